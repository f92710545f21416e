package io.duplex.nio.internal;

import java.io.IOException;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;

/**
 * A listening socket, registered for OP_ACCEPT with the first read loop. Accepts what is
 * waiting, a bounded number per pass, and hands each socket to the transport, which first checks
 * the inbound connection limits (a socket over one is reset at once, before any read or
 * buffer is allocated for it), then assigns it to a read loop and a write loop. Under a flood,
 * each pass accepts at most {@value #ACCEPTS_PER_PASS}, so the loop's other connections are
 * still read between passes. Read loop thread.
 */
final class Acceptor {
  private static final int ACCEPTS_PER_PASS = 64;

  private final ServerSocketChannel server;
  private final LoopTransport<?> transport;

  Acceptor(ServerSocketChannel server, LoopTransport<?> transport) {
    this.server = server;
    this.transport = transport;
  }

  void accept() {
    for (int i = 0; i < ACCEPTS_PER_PASS; i++) {
      SocketChannel channel;
      try {
        channel = server.accept();
      } catch (IOException e) {
        // Out of descriptors, or the listener closed: report and let the next pass retry.
        transport.errors().report(null, e);
        return;
      }
      if (channel == null) {
        return;
      }
      transport.accepted(channel);
    }
  }
}
