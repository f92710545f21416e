package io.duplex.nio;

import io.duplex.PeerInfo;
import io.duplex.TransportConfig;
import io.duplex.internal.Records;
import io.duplex.internal.SecureHandshake;
import io.duplex.internal.Wire;
import io.duplex.internal.noise.CipherState;
import io.duplex.security.CipherSuite;
import io.duplex.security.Identity;
import java.io.ByteArrayInputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.SequenceInputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.util.Arrays;

/**
 * A hand-driven secure peer on a plain blocking socket, for tests that need to break the secure
 * channel: the handshake is a real {@link SecureHandshake} (the dialer's side), and after it the
 * test seals records itself, so it can send any record (altered, replayed, reordered, cut) and
 * any frame inside a valid one. It reads the peer's records and the frames in them.
 */
final class SecureRawPeer implements AutoCloseable {
  final Socket socket;
  final Identity identity = Identity.generate();
  private final CipherSuite suite;
  private final String codec;
  private final OutputStream out;
  private DataInputStream in;
  private CipherState send;
  private CipherState receive;
  private ByteBuffer plain = ByteBuffer.allocate(0); // opened bytes not yet read as frames
  PeerInfo peer;

  SecureRawPeer(InetSocketAddress to) throws IOException {
    this(to, TransportConfig.DEFAULT_CIPHER_SUITE);
  }

  SecureRawPeer(InetSocketAddress to, CipherSuite suite) throws IOException {
    this(connect(to), suite, "bytes");
  }

  /** Drives {@code connected}, saying it speaks {@code codec}. */
  SecureRawPeer(Socket connected, CipherSuite suite, String codec) throws IOException {
    this.suite = suite;
    this.codec = codec;
    socket = connected;
    socket.setTcpNoDelay(true);
    socket.setSoTimeout(10_000);
    in = new DataInputStream(socket.getInputStream());
    out = socket.getOutputStream();
  }

  private static Socket connect(InetSocketAddress to) throws IOException {
    Socket s = new Socket();
    s.connect(to, 5000);
    return s;
  }

  /** A raw secure peer that completed the handshake with {@code server} (its connection open). */
  static SecureRawPeer handshaken(Peers.CodecNode<?> server) throws Exception {
    SecureRawPeer raw = new SecureRawPeer(server.address);
    raw.handshake();
    server.nextOpened();
    return raw;
  }

  /** What a peer of {@code identity} says in its handshake: network "duplex", codec "bytes". */
  static PeerInfo info(Identity identity) {
    return info(identity, "bytes");
  }

  static PeerInfo info(Identity identity, String codec) {
    return new PeerInfo(identity.nodeId(), TransportConfig.DEFAULT_NETWORK_ID, 0, codec,
        TransportConfig.DEFAULT_MAX_FRAME_SIZE);
  }

  /** Runs the dialer's side of the handshake; returns the server's authenticated settings. */
  PeerInfo handshake() throws IOException {
    SecureHandshake hs = new SecureHandshake(true, suite, info(identity, codec),
        SecureHandshake.StaticKey.generate(identity), null, null, 65535, null);
    write(hs.start());
    byte[] buffer = new byte[4096];
    for (int reads = 0; !hs.isComplete(); reads++) {
      if (reads == 1000) {
        throw new IOException("no handshake after 1000 reads");
      }
      int n = in.read(buffer);
      if (n < 0) {
        throw new EOFException("the peer closed the connection during the handshake");
      }
      ByteBuffer src = ByteBuffer.wrap(buffer, 0, n);
      for (int steps = 0; src.hasRemaining() && !hs.isComplete(); steps++) {
        if (steps == 1000) {
          throw new IOException("the handshake takes no bytes");
        }
        write(hs.read(src));
      }
      if (hs.isComplete() && src.hasRemaining()) { // the peer's first records
        byte[] rest = Arrays.copyOfRange(buffer, src.position(), n);
        in = new DataInputStream(new SequenceInputStream(new ByteArrayInputStream(rest), in));
      }
    }
    CipherState[] keys = hs.split();
    send = keys[0];
    receive = keys[1];
    peer = hs.peer();
    return peer;
  }

  private void write(ByteBuffer bytes) throws IOException {
    if (bytes != null && bytes.hasRemaining()) {
      byte[] b = new byte[bytes.remaining()];
      bytes.get(b);
      out.write(b);
      out.flush();
    }
  }

  /** The bytes of a frame of {@code type} with {@code body}, length prefix included. */
  static byte[] frame(byte type, byte[] body) {
    return ByteBuffer.allocate(Wire.HEADER_SIZE + body.length)
        .putInt(1 + body.length).put(type).put(body).array();
  }

  /** A record sealing {@code plaintext} under the next nonce: {@code u16 length, ciphertext}. */
  byte[] seal(byte[] plaintext) {
    Records.rekeyIfDue(send);
    ByteBuffer record = ByteBuffer.allocate(Records.LENGTH_SIZE + plaintext.length
        + CipherState.TAG_SIZE);
    record.putShort((short) (plaintext.length + CipherState.TAG_SIZE));
    send.encryptWithAd(new byte[0], plaintext, 0, plaintext.length, record.array(),
        Records.LENGTH_SIZE);
    return record.array();
  }

  /** Sends {@code frames}, concatenated, sealed in one record. */
  SecureRawPeer sendFrames(byte[]... frames) throws IOException {
    int n = 0;
    for (byte[] f : frames) {
      n += f.length;
    }
    ByteBuffer all = ByteBuffer.allocate(n);
    for (byte[] f : frames) {
      all.put(f);
    }
    return sendRaw(seal(all.array()));
  }

  /**
   * Sends {@code bytes} (any part of the frame stream) sealed in as many full records as they
   * need; returns the bytes that went on the wire.
   */
  long sendSealed(byte[] bytes) throws IOException {
    long wire = 0;
    for (int at = 0; at < bytes.length; at += Records.MAX_PLAINTEXT) {
      byte[] record = seal(Arrays.copyOfRange(bytes, at,
          Math.min(bytes.length, at + Records.MAX_PLAINTEXT)));
      out.write(record);
      wire += record.length;
    }
    out.flush();
    return wire;
  }

  /** Sends {@code bytes} as they are (a record, part of one, or anything). */
  SecureRawPeer sendRaw(byte[] bytes) throws IOException {
    out.write(bytes);
    out.flush();
    return this;
  }

  /** Reads the next record as it is on the wire, without opening it. */
  byte[] readSealedRecord() throws IOException {
    int length = in.readUnsignedShort();
    byte[] record = new byte[2 + length];
    in.readFully(record, 2, length);
    return ByteBuffer.wrap(record).putShort((short) length).array();
  }

  /** Reads and opens the next record; returns its plaintext. EOF or 10 s without one throws. */
  byte[] readRecord() throws IOException {
    return open(readSealedRecord());
  }

  /** Opens {@code record} (as read: length field, then ciphertext) under the next nonce. */
  byte[] open(byte[] record) {
    Records.rekeyIfDue(receive);
    byte[] opened = new byte[record.length];
    int n = receive.decryptWithAd(new byte[0], record, 2, record.length - 2, opened, 0); // or throws
    return Arrays.copyOf(opened, n);
  }

  /** Reads the next frame (type byte, then body), opening records as it needs them. */
  byte[] readFrame() throws IOException {
    need(Wire.LENGTH_SIZE);
    int length = plain.getInt(plain.position());
    need(Wire.LENGTH_SIZE + length);
    plain.getInt();
    byte[] frame = new byte[length];
    plain.get(frame);
    return frame;
  }

  private void need(int n) throws IOException {
    for (int records = 0; plain.remaining() < n; records++) {
      if (records == 10_000) {
        throw new IOException("no frame in 10,000 records");
      }
      byte[] more = readRecord();
      plain = ByteBuffer.allocate(plain.remaining() + more.length).put(plain).put(more).flip();
    }
  }

  /** True if the peer closed the connection (EOF or reset) within the socket timeout. */
  boolean closedByPeer() throws IOException {
    InputStream raw = in;
    try {
      for (long bytes = 0; bytes < 100_000_000; bytes++) {
        if (raw.read() < 0) {
          return true;
        }
      }
      return false;
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
