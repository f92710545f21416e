/**
 * duplex's NIO transport: {@link io.duplex.nio.NioTransport} builds a {@link io.duplex.Transport}
 * whose connections are served by separate read and write selector loops.
 */
module io.duplex.transport.nio {
  requires transitive io.duplex.core;
  requires org.slf4j;
  requires jdk.jfr;

  exports io.duplex.nio;
}
