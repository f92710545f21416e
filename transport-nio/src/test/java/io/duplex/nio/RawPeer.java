package io.duplex.nio;

import io.duplex.NodeId;
import io.duplex.PeerInfo;
import io.duplex.TransportConfig;
import io.duplex.internal.FrameBuffer;
import io.duplex.internal.Handshake;
import io.duplex.internal.LaneTable;
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
 * send any bytes, any frame, any handshake; read frames one at a time with a timeout. Against a
 * secure node it can run the secure handshake ({@link #handshaken}, {@link #handshake}); from
 * then on what it sends is the frame stream, sealed into records, and what it reads is opened
 * from them, so the same hostile frames reach the node through the secure channel.
 */
final class RawPeer implements AutoCloseable {
  final Socket socket;
  private final DataInputStream in;
  private final OutputStream out;
  /** The secure channel, once its handshake is done; null in plaintext. */
  private SecureRawPeer secure;
  private long bytesSent;

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
    raw.handshake(server, codec);
    server.nextOpened();
    return raw;
  }

  /**
   * The handshake {@code server} speaks, as node "raw" (or, secure, a fresh identity) with
   * {@code codec}'s name; the server's connection opens (not taken from {@code server.opened}).
   */
  RawPeer handshake(Peers.CodecNode<?> server, String codec) throws IOException {
    if (server.transport.config().insecurePlaintext()) {
      sendHandshake(info("raw", TransportConfig.DEFAULT_NETWORK_ID, codec)).readHandshake();
    } else {
      SecureRawPeer s = new SecureRawPeer(socket, server.transport.config().cipherSuite(), codec);
      s.handshake();
      secure = s;
    }
    return this;
  }

  /** Bytes this peer wrote on the wire so far, records' lengths and tags included. */
  long bytesSent() {
    return bytesSent;
  }

  /** Sends a handshake frame for {@code info}. */
  RawPeer sendHandshake(PeerInfo info) throws IOException {
    return sendRaw(handshakeFrame(info));
  }

  /** Sends a handshake frame for {@code info} carrying the lane table {@code lanes}. */
  RawPeer sendHandshake(PeerInfo info, LaneTable lanes) throws IOException {
    return sendRaw(handshakeFrame(info, lanes));
  }

  /** The bytes of a handshake frame for {@code info}, length prefix included. */
  static byte[] handshakeFrame(PeerInfo info) {
    return handshakeFrame(info, null);
  }

  /**
   * The bytes of a handshake frame for {@code info} with the lane table {@code lanes} (none if
   * null), length prefix included.
   */
  static byte[] handshakeFrame(PeerInfo info, LaneTable lanes) {
    FrameBuffer buffer = FrameBuffer.forFrames(128, 4096);
    Handshake.encode(info, lanes, buffer);
    ByteBuffer frame = buffer.finishFrame(Wire.HANDSHAKE);
    byte[] bytes = new byte[frame.remaining()];
    frame.get(bytes);
    return bytes;
  }

  /** Sends a frame of {@code type} with {@code body}. */
  RawPeer sendFrame(byte type, byte[] body) throws IOException {
    ByteBuffer f = ByteBuffer.allocate(5 + body.length);
    f.putInt(1 + body.length).put(type).put(body);
    return sendRaw(f.array());
  }

  /** Sends {@code bytes} as they are, or after a secure handshake sealed into records. */
  RawPeer sendRaw(byte[] bytes) throws IOException {
    if (secure != null) {
      bytesSent += secure.sendSealed(bytes);
      return this;
    }
    out.write(bytes);
    out.flush();
    bytesSent += bytes.length;
    return this;
  }

  /** Reads one frame: its type byte first, then the body. Throws on EOF or after 10 s. */
  byte[] readFrame() throws IOException {
    if (secure != null) {
      return secure.readFrame();
    }
    int length = in.readInt();
    byte[] frame = new byte[length];
    in.readFully(frame);
    return frame;
  }

  /** Reads the peer's handshake frame and returns what it says. */
  PeerInfo readHandshake() throws IOException {
    return readHandshakeFull().info();
  }

  /** Reads the peer's handshake frame and returns what it says, its lane table included. */
  Handshake.Received readHandshakeFull() throws IOException {
    byte[] frame = readFrame();
    if (frame[0] != Wire.HANDSHAKE) {
      throw new IOException("expected a handshake frame, got type " + frame[0]);
    }
    return Handshake.decodeFull(ByteBuffer.wrap(frame, 1, frame.length - 1));
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
