package io.duplex.nio;

import io.duplex.NodeId;
import io.duplex.PeerInfo;
import io.duplex.TransportConfig;
import io.duplex.internal.FrameBuffer;
import io.duplex.internal.Handshake;
import io.duplex.internal.Wire;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;

/**
 * A hand-driven peer on a plain blocking socket, for tests that need to break the protocol:
 * send any bytes, any frame, any handshake; read frames one at a time with a timeout.
 */
final class RawPeer implements AutoCloseable {
  final Socket socket;
  private final DataInputStream in;
  private final OutputStream out;

  RawPeer(InetSocketAddress to) throws IOException {
    this(connect(to));
  }

  /** Drives an already connected socket. */
  RawPeer(Socket connected) throws IOException {
    socket = connected;
    socket.setTcpNoDelay(true);
    socket.setSoTimeout(10_000);
    in = new DataInputStream(socket.getInputStream());
    out = socket.getOutputStream();
  }

  /** A raw peer whose socket is bound to {@code localIp} (any address in 127.0.0.0/8 works). */
  static RawPeer from(String localIp, InetSocketAddress to) throws IOException {
    Socket s = new Socket();
    s.bind(new InetSocketAddress(localIp, 0));
    s.connect(to, 5000);
    return new RawPeer(s);
  }

  private static Socket connect(InetSocketAddress to) throws IOException {
    Socket s = new Socket();
    s.connect(to, 5000);
    return s;
  }

  static PeerInfo info(String node, String network, String codec) {
    return new PeerInfo(NodeId.of(node), network, 0, codec, 16 * 1024 * 1024);
  }

  /**
   * A raw peer whose handshake (as node {@code raw}, with {@code codec}'s name) {@code server}
   * has accepted: the server's connection to it is open and taken from {@code server.opened}.
   */
  static RawPeer handshaken(Peers.CodecNode<?> server, String codec) throws Exception {
    RawPeer raw = new RawPeer(server.address);
    raw.sendHandshake(info("raw", TransportConfig.DEFAULT_NETWORK_ID, codec));
    raw.readHandshake();
    server.nextOpened();
    return raw;
  }

  /** Sends a handshake frame for {@code info}. */
  RawPeer sendHandshake(PeerInfo info) throws IOException {
    out.write(handshakeFrame(info));
    return this;
  }

  /** The bytes of a handshake frame for {@code info}, length prefix included. */
  static byte[] handshakeFrame(PeerInfo info) {
    FrameBuffer buffer = FrameBuffer.forFrames(128, 4096);
    Handshake.encode(info, buffer);
    ByteBuffer frame = buffer.finishFrame(Wire.HANDSHAKE);
    byte[] bytes = new byte[frame.remaining()];
    frame.get(bytes);
    return bytes;
  }

  /** Sends a frame of {@code type} with {@code body}. */
  RawPeer sendFrame(byte type, byte[] body) throws IOException {
    ByteBuffer f = ByteBuffer.allocate(5 + body.length);
    f.putInt(1 + body.length).put(type).put(body);
    out.write(f.array());
    return this;
  }

  RawPeer sendRaw(byte[] bytes) throws IOException {
    out.write(bytes);
    out.flush();
    return this;
  }

  /** Reads one frame: its type byte first, then the body. Throws on EOF or after 10 s. */
  byte[] readFrame() throws IOException {
    int length = in.readInt();
    byte[] frame = new byte[length];
    in.readFully(frame);
    return frame;
  }

  /** Reads the peer's handshake frame and returns what it says. */
  PeerInfo readHandshake() throws IOException {
    byte[] frame = readFrame();
    if (frame[0] != Wire.HANDSHAKE) {
      throw new IOException("expected a handshake frame, got type " + frame[0]);
    }
    return Handshake.decode(ByteBuffer.wrap(frame, 1, frame.length - 1));
  }

  /** True if the peer closed the connection (EOF or reset) within the socket timeout. */
  boolean closedByPeer() throws IOException {
    try {
      while (true) {
        if (in.read() < 0) {
          return true;
        }
      }
    } catch (EOFException | java.net.SocketException e) {
      return true;
    } catch (SocketTimeoutException e) {
      return false;
    }
  }

  @Override
  public void close() throws IOException {
    socket.close();
  }
}
