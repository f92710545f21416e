package io.duplex.nio.internal;

import java.io.IOException;
import java.nio.channels.SelectionKey;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;

/**
 * A listening socket, registered for OP_ACCEPT with the first read loop. Accepts what is
 * waiting, a bounded number per pass, and hands each socket to the transport, which first checks
 * the inbound connection limits (a socket over one is reset at once, before any read or
 * buffer is allocated for it), then assigns it to a read loop and a write loop. Under a flood,
 * each pass accepts at most {@value #ACCEPTS_PER_PASS}, so the loop's other connections are
 * still read between passes.
 *
 * <p>When accept fails (out of file descriptors: EMFILE), the connection that could not be
 * accepted stays in the kernel's backlog, so the key stays ready and every select would return
 * at once to fail again: the loop would spin. So the acceptor stops accepting for a while
 * instead, {@value #FIRST_BACKOFF_MILLIS} ms and doubling up to {@value #MAX_BACKOFF_MILLIS} ms
 * while it keeps failing, and the transport's timer turns it back on. Read loop thread (the
 * timer only submits the command that re-enables it).
 */
final class Acceptor {
  private static final int ACCEPTS_PER_PASS = 64;
  static final long FIRST_BACKOFF_MILLIS = 50;
  static final long MAX_BACKOFF_MILLIS = 1_000;

  private final ServerSocketChannel server;
  private final LoopTransport<?> transport;
  private final ReadLoop loop;
  // Read loop only: the pause after the next failure, 0 while accepts succeed.
  private long backoffMillis;

  Acceptor(ServerSocketChannel server, LoopTransport<?> transport, ReadLoop loop) {
    this.server = server;
    this.transport = transport;
    this.loop = loop;
  }

  void accept(SelectionKey key) {
    for (int i = 0; i < ACCEPTS_PER_PASS; i++) {
      SocketChannel channel;
      try {
        channel = server.accept();
      } catch (IOException e) {
        // Out of descriptors, or the listener closed: report, and pause before trying again.
        transport.errors().report(null, e);
        pause(key);
        return;
      }
      if (channel == null) {
        return;
      }
      backoffMillis = 0;
      transport.accepted(channel);
    }
  }

  private void pause(SelectionKey key) {
    if (!key.isValid()) {
      return;
    }
    backoffMillis = backoffMillis == 0
        ? FIRST_BACKOFF_MILLIS : Math.min(MAX_BACKOFF_MILLIS, backoffMillis * 2);
    key.interestOps(0);
    transport.schedule(backoffMillis, () -> loop.execute(() -> {
      if (key.isValid()) {
        key.interestOps(SelectionKey.OP_ACCEPT);
      }
    }));
  }
}
