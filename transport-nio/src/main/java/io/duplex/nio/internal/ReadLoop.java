package io.duplex.nio.internal;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;

/**
 * A read loop: accepts peers on the listening sockets it was given, completes non-blocking
 * connects, and reads and decodes every connection assigned to it. It owns one direct read
 * buffer that all its connections share: after each read the frame decoder has taken every byte
 * (whole frames are handled at once, a partial one is kept by that connection's decoder), so no
 * connection keeps a read buffer of its own.
 *
 * <p>Rules: it never blocks (no blocking write, no handler code unless the user asked for handlers
 * on the read loop) and one connection's failure closes that connection only.
 */
final class ReadLoop extends SelectorLoop {
  /** Bytes read per system call, at most. */
  static final int READ_BUFFER_SIZE = 256 * 1024;

  // Loop thread only.
  private final ByteBuffer readBuffer = ByteBuffer.allocateDirect(READ_BUFFER_SIZE);

  ReadLoop(String name, ErrorSink errors, long spinNanos) throws IOException {
    super(name, errors, spinNanos);
  }

  @Override
  long selectTimeoutMillis() {
    return 0;
  }

  @Override
  void handle(SelectionKey key) {
    Object attachment = key.attachment();
    if (attachment instanceof Acceptor) {
      ((Acceptor) attachment).accept(key);
      return;
    }
    NioConnection<?> connection = (NioConnection<?>) attachment;
    if (!key.isValid()) {
      return;
    }
    if (key.isConnectable()) {
      connection.finishConnect(key);
    } else if (key.isReadable()) {
      connection.readHalf().onReadable(readBuffer);
    }
  }
}
