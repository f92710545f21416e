package io.duplex.benchmarks;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.duplex.Connection;
import io.duplex.ConnectionListener;
import io.duplex.NodeId;
import io.duplex.Transport;
import io.duplex.TransportConfig;
import io.duplex.codec.json.JsonCodec;
import io.duplex.codec.message.ConsensusMessage;
import io.duplex.codec.message.Vote;
import io.duplex.codec.message.VoteType;
import io.duplex.nio.NioTransport;
import io.duplex.security.CipherSuite;
import io.duplex.security.Identity;
import io.duplex.security.RecordException;
import java.io.BufferedOutputStream;
import java.io.ByteArrayOutputStream;
import java.io.Closeable;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.MessageDigest;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.Signature;
import java.security.spec.X509EncodedKeySpec;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import javax.crypto.Cipher;
import javax.crypto.KeyAgreement;
import javax.crypto.Mac;
import javax.crypto.spec.IvParameterSpec;
import javax.crypto.spec.SecretKeySpec;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A client written from docs/PROTOCOL.md ("Secure channel") alone talks to a real duplex server.
 * On its side of the wire there is no duplex class: a blocking {@link Socket}, the JDK's crypto
 * (X25519 through "XDH", Ed25519, ChaCha20-Poly1305, HmacSHA256, SHA-256) and a small Noise XX
 * initiator written here from the Noise specification. It runs the handshake, checks the server's
 * identity, exchanges a MESSAGE in records each way and closes; a tampered record and the rekey
 * after 2^20 records are checked the same way.
 */
@Timeout(120)
class SecureProtocolInteropTest {
  private static final String VOTE_JSON = "{\"type\":\"vote\",\"data\":{\"height\":7,\"round\":0,"
      + "\"type\":\"PREVOTE\",\"blockHash\":\"ab\",\"voter\":\"jdk\",\"timestampNanos\":1}}";
  private static final Vote VOTE = new Vote(7, 0, VoteType.PREVOTE, "ab", "jdk", 1);

  /** A duplex server, secure by default, that echoes every message and tells who connected. */
  private static final class Server implements AutoCloseable {
    final Identity identity = Identity.generate();
    final CompletableFuture<NodeId> clientId = new CompletableFuture<>();
    final CompletableFuture<Throwable> error = new CompletableFuture<>();
    final Transport<ConsensusMessage> transport;
    final InetSocketAddress address;

    Server() throws IOException {
      transport = NioTransport.builder(JsonCodec.consensus())
          // The client below speaks ChaChaPoly; the default suite is AES-256-GCM.
          .config(TransportConfig.builder().identity(identity)
              .cipherSuite(CipherSuite.CHACHA20_POLY1305).build())
          .errorHandler((c, e) -> error.complete(e))
          .listener(new ConnectionListener<>() {
            @Override
            public void onOpen(Connection<ConsensusMessage> c) {
              clientId.complete(c.peer().nodeId());
              c.onMessage((conn, m) -> conn.send(m)); // echo
            }
          }).build();
      address = transport.listen(new InetSocketAddress("127.0.0.1", 0));
    }

    @Override
    public void close() {
      transport.close();
    }
  }

  @Test
  void aClientWrittenFromTheDocumentTalksToADuplexServer() throws Exception {
    try (Server server = new Server();
        SecureClient client = SecureClient.connect(server.address,
            server.identity.nodeId().toBytes())) {
      // The node id derived from the identity key in message 2 is the server's own.
      assertArrayEquals(server.identity.nodeId().toBytes(), client.peerNodeId);
      assertEquals("duplex", client.peerNetwork);
      assertEquals("json", client.peerCodec);
      // And the server derived ours from our identity key in message 3.
      assertEquals(NodeId.of(client.nodeId), server.clientId.get(10, TimeUnit.SECONDS));

      client.sendFrame(MESSAGE, VOTE_JSON.getBytes(StandardCharsets.UTF_8));
      client.flush();
      byte[] echo = client.nextFrame();
      assertEquals(MESSAGE, echo[0]);
      assertEquals(VOTE, JsonCodec.consensus().decode(ByteBuffer.wrap(echo, 1, echo.length - 1)));

      // Graceful close: our CLOSE (code 0) in a record, then FIN; the server answers alike.
      client.sendFrame(CLOSE, new byte[] {0, 0});
      client.flush();
      client.shutdownOutput();
      byte[] close = client.nextFrame();
      assertEquals(CLOSE, close[0]);
      assertEquals(0, ByteBuffer.wrap(close, 1, 2).getShort());
      assertNull(client.readRecord(), "the server's FIN follows its CLOSE");
    }
  }

  @Test
  void aTamperedRecordIsRefusedAndTheServerSaysWhyInARecord() throws Exception {
    try (Server server = new Server();
        SecureClient client = SecureClient.connect(server.address, null)) {
      byte[] frame = frame(MESSAGE, VOTE_JSON.getBytes(StandardCharsets.UTF_8));
      byte[] record = client.seal(frame);
      record[10] ^= 0x01; // one bit of ciphertext
      client.out.write(record);
      client.flush();

      byte[] close = client.nextFrame();
      assertEquals(CLOSE, close[0], "the server's answer is a CLOSE frame, sealed");
      assertEquals(2, ByteBuffer.wrap(close, 1, 2).getShort(), "code 2 PROTOCOL_ERROR");
      String reason = new String(close, 3, close.length - 3, StandardCharsets.UTF_8);
      assertTrue(reason.startsWith("record refused: authentication failed"), reason);
      RecordException e = assertInstanceOf(RecordException.class,
          server.error.get(10, TimeUnit.SECONDS));
      assertEquals(RecordException.Reason.AUTHENTICATION, e.reason());
      assertNull(client.readRecord(), "then its FIN");
    }
  }

  @Test
  void theKeyOfEachDirectionChangesAfter2To20RecordsAsTheDocumentSays() throws Exception {
    // One MESSAGE frame, cut into records of one byte each: more than 2^20 records, so the
    // server opens records 2^20 and 2^20 + 1 under the key after one Rekey().
    String hash = "a".repeat((1 << 20) + 16);
    Vote big = new Vote(1, 0, VoteType.PRECOMMIT, hash, "jdk", 1);
    byte[] frame = frame(MESSAGE, ("{\"type\":\"vote\",\"data\":{\"height\":1,\"round\":0,"
        + "\"type\":\"PRECOMMIT\",\"blockHash\":\"" + hash + "\",\"voter\":\"jdk\","
        + "\"timestampNanos\":1}}").getBytes(StandardCharsets.UTF_8));
    assertTrue(frame.length > (1 << 20) + 1);
    try (Server server = new Server();
        SecureClient client = SecureClient.connect(server.address, null)) {
      for (int i = 0; i < frame.length; i++) {
        client.out.write(client.seal(new byte[] {frame[i]}));
      }
      client.flush();
      assertEquals(frame.length, client.send.n, "one record per byte, nonces from 0");
      byte[] echo = client.nextFrame();
      assertEquals(MESSAGE, echo[0]);
      assertEquals(big, JsonCodec.consensus().decode(ByteBuffer.wrap(echo, 1, echo.length - 1)));
    }
  }

  // ---- frames (PROTOCOL.md "Frames"): u32 length, u8 type, body ---------------------------

  static final byte MESSAGE = 0x00;
  static final byte PING = 0x02;
  static final byte PONG = 0x03;
  static final byte CLOSE = 0x04;

  static byte[] frame(byte type, byte[] body) {
    return ByteBuffer.allocate(4 + 1 + body.length).putInt(1 + body.length).put(type).put(body)
        .array();
  }

  // ---- the client: PROTOCOL.md's "Secure channel", initiator side --------------------------

  /** A secure-channel initiator over a blocking socket. */
  static final class SecureClient implements Closeable {
    static final String PROTOCOL_NAME = "Noise_XX_25519_ChaChaPoly_SHA256";
    /** "DPLX", version 2, mode 1 (Noise XX), suite 1 (ChaChaPoly). */
    static final byte[] PREFACE = {'D', 'P', 'L', 'X', 0, 2, 1, 1};
    static final byte[] CONTEXT = "duplex-noise-static-key:".getBytes(StandardCharsets.US_ASCII);
    static final int MAX_PLAINTEXT = 65535 - 16;

    final Socket socket;
    final DataInputStream in;
    final OutputStream out;
    final KeyPair identity = generate("Ed25519");
    final byte[] nodeId = nodeIdOf(raw(identity.getPublic()));
    CipherState send;
    CipherState receive;
    byte[] peerNodeId;
    String peerNetwork;
    String peerCodec;
    private final ByteArrayOutputStream plain = new ByteArrayOutputStream();
    private int plainRead;

    private SecureClient(Socket socket) throws IOException {
      this.socket = socket;
      this.in = new DataInputStream(socket.getInputStream());
      this.out = new BufferedOutputStream(socket.getOutputStream(), 1 << 16);
    }

    /** Connects and runs the handshake; {@code expected} is the node id to insist on, or null. */
    static SecureClient connect(InetSocketAddress at, byte[] expected) throws Exception {
      SecureClient c = new SecureClient(new Socket(at.getAddress(), at.getPort()));
      c.socket.setSoTimeout(30_000);
      c.handshake(expected);
      return c;
    }

    private void handshake(byte[] expected) throws Exception {
      KeyPair s = generate("X25519"); // our static key: any X25519 key, signed below
      KeyPair e = generate("X25519"); // fresh for this connection
      SymmetricState noise = new SymmetricState(PROTOCOL_NAME);
      noise.mixHash(PREFACE); // the prologue: the initiator's preface

      // Preface, then message 1 (-> e), whose payload is empty.
      byte[] ePub = raw(e.getPublic());
      noise.mixHash(ePub);
      byte[] m1 = concat(ePub, noise.encryptAndHash(new byte[0]));
      assertEquals(32, m1.length);
      out.write(PREFACE);
      writeMessage(m1);
      out.flush();

      // The server's preface must equal ours, byte for byte.
      byte[] preface = new byte[8];
      in.readFully(preface);
      assertArrayEquals(PREFACE, preface, "the server's preface");

      // Message 2 (<- e, ee, s, es): e (32), s sealed (48), the payload sealed.
      byte[] m2 = readMessage();
      byte[] re = Arrays.copyOfRange(m2, 0, 32);
      noise.mixHash(re);
      noise.mixKey(dh(e.getPrivate(), re));
      byte[] rs = noise.decryptAndHash(Arrays.copyOfRange(m2, 32, 80));
      noise.mixKey(dh(e.getPrivate(), rs));
      acceptPayload(noise.decryptAndHash(Arrays.copyOfRange(m2, 80, m2.length)), rs, expected);

      // Message 3 (-> s, se): s sealed, then our payload sealed.
      byte[] sealedS = noise.encryptAndHash(raw(s.getPublic()));
      noise.mixKey(dh(s.getPrivate(), re));
      byte[] sealedPayload = noise.encryptAndHash(payload(raw(s.getPublic())));
      writeMessage(concat(sealedS, sealedPayload));
      out.flush();

      // Split(): the initiator sends with the first state and receives with the second.
      CipherState[] split = noise.split();
      send = split[0];
      receive = split[1];
    }

    /** Our payload: identity key, signature, settings, an empty extension area. */
    private byte[] payload(byte[] staticKey) throws GeneralSecurityException {
      Signature signer = Signature.getInstance("Ed25519");
      signer.initSign(identity.getPrivate());
      signer.update(concat(CONTEXT, staticKey));
      byte[] signature = signer.sign();
      byte[] network = "duplex".getBytes(StandardCharsets.UTF_8);
      byte[] codec = "json".getBytes(StandardCharsets.UTF_8);
      return ByteBuffer.allocate(32 + 64 + 1 + network.length + 2 + 1 + codec.length + 4 + 2)
          .put(raw(identity.getPublic())).put(signature)
          .put((byte) network.length).put(network)
          .putShort((short) 0) // listen port: we do not listen
          .put((byte) codec.length).put(codec)
          .putInt(16 * 1024 * 1024) // max frame size
          .putShort((short) 0) // extension area length: none
          .array();
    }

    /** The server's payload, checked as "Payload checks" says. */
    private void acceptPayload(byte[] payload, byte[] rs, byte[] expected) throws Exception {
      ByteBuffer p = ByteBuffer.wrap(payload);
      byte[] identityKey = new byte[32];
      byte[] signature = new byte[64];
      p.get(identityKey).get(signature);
      Signature verifier = Signature.getInstance("Ed25519");
      verifier.initVerify(KeyFactory.getInstance("Ed25519").generatePublic(
          new X509EncodedKeySpec(concat(ED25519_X509, identityKey))));
      verifier.update(concat(CONTEXT, rs));
      assertTrue(verifier.verify(signature), "the identity signature over the static key");
      peerNodeId = nodeIdOf(identityKey);
      peerNetwork = text(p);
      p.getShort(); // listen port
      peerCodec = text(p);
      assertTrue(p.getInt() > 0, "max frame size");
      int x = p.getShort() & 0xFFFF;
      assertEquals(x, p.remaining(), "the extension area is the rest of the payload");
      while (p.hasRemaining()) { // (type, length, bytes) entries: none is known, skip each
        p.getShort();
        p.position(p.position() + (p.getShort() & 0xFFFF));
      }
      assertEquals("duplex", peerNetwork);
      assertEquals("json", peerCodec);
      if (expected != null) {
        assertEquals(HexFormat.of().formatHex(expected), HexFormat.of().formatHex(peerNodeId),
            "the node id we dialed");
      }
    }

    private static String text(ByteBuffer p) {
      byte[] b = new byte[p.get() & 0xFF];
      p.get(b);
      return new String(b, StandardCharsets.UTF_8);
    }

    private void writeMessage(byte[] m) throws IOException {
      out.write(m.length >>> 8);
      out.write(m.length);
      out.write(m);
    }

    private byte[] readMessage() throws IOException {
      byte[] m = new byte[in.readUnsignedShort()];
      in.readFully(m);
      return m;
    }

    // -- records: u16 length, then EncryptWithAd(empty ad, plaintext); rekey every 2^20 -----

    /** One record sealing {@code plaintext} (1..65,519 bytes) with the next nonce. */
    byte[] seal(byte[] plaintext) throws GeneralSecurityException {
      rekeyIfDue(send);
      byte[] ciphertext = send.encrypt(new byte[0], plaintext);
      return ByteBuffer.allocate(2 + ciphertext.length).putShort((short) ciphertext.length)
          .put(ciphertext).array();
    }

    /** The next record's plaintext, or null at end of stream. */
    byte[] readRecord() throws IOException, GeneralSecurityException {
      int length;
      try {
        length = in.readUnsignedShort();
      } catch (EOFException e) {
        return null;
      }
      assertTrue(length >= 17, "a record holds at least one byte and the tag: " + length);
      byte[] ciphertext = new byte[length];
      in.readFully(ciphertext);
      rekeyIfDue(receive);
      return receive.decrypt(new byte[0], ciphertext);
    }

    /** Before the record whose nonce is a non-zero multiple of 2^20: Rekey(). */
    private static void rekeyIfDue(CipherState c) throws GeneralSecurityException {
      if (c.n != 0 && c.n % (1L << 20) == 0) {
        c.rekey();
      }
    }

    /** Sends one frame, in records of at most 65,519 bytes of plaintext. */
    void sendFrame(byte type, byte[] body) throws IOException, GeneralSecurityException {
      byte[] f = frame(type, body);
      for (int at = 0; at < f.length; at += MAX_PLAINTEXT) {
        out.write(seal(Arrays.copyOfRange(f, at, Math.min(f.length, at + MAX_PLAINTEXT))));
      }
    }

    /**
     * The next frame (type byte, then body) from the records' plaintext, which frames run
     * across; a PING is answered with a PONG and skipped.
     */
    byte[] nextFrame() throws IOException, GeneralSecurityException {
      while (true) {
        byte[] buffered = plain.toByteArray();
        int available = buffered.length - plainRead;
        if (available >= 4) {
          int length = ByteBuffer.wrap(buffered, plainRead, 4).getInt();
          if (available >= 4 + length) {
            byte[] f = Arrays.copyOfRange(buffered, plainRead + 4, plainRead + 4 + length);
            plainRead += 4 + length;
            if (f[0] == PING) {
              sendFrame(PONG, Arrays.copyOfRange(f, 1, f.length));
              flush();
              continue;
            }
            return f;
          }
        }
        byte[] record = readRecord();
        assertNotNull(record, "the stream ended before a whole frame");
        plain.write(record);
      }
    }

    void flush() throws IOException {
      out.flush();
    }

    void shutdownOutput() throws IOException {
      socket.shutdownOutput();
    }

    @Override
    public void close() throws IOException {
      socket.close();
    }
  }

  // ---- Noise (revision 34), the parts XX needs, with 25519, ChaChaPoly and SHA-256 ---------

  /** A CipherState: key k, nonce n; ChaChaPoly's nonce is 4 zero bytes, then n little-endian. */
  static final class CipherState {
    private final Cipher cipher;
    private byte[] k;
    long n;

    CipherState(byte[] k) throws GeneralSecurityException {
      this.cipher = Cipher.getInstance("ChaCha20-Poly1305");
      this.k = k;
    }

    byte[] encrypt(byte[] ad, byte[] plaintext) throws GeneralSecurityException {
      return crypt(Cipher.ENCRYPT_MODE, n++, ad, plaintext);
    }

    byte[] decrypt(byte[] ad, byte[] ciphertext) throws GeneralSecurityException {
      return crypt(Cipher.DECRYPT_MODE, n++, ad, ciphertext);
    }

    /** Rekey(): k = the first 32 bytes of ENCRYPT(k, 2^64 - 1, empty, 32 zero bytes). */
    void rekey() throws GeneralSecurityException {
      k = Arrays.copyOf(crypt(Cipher.ENCRYPT_MODE, -1L, new byte[0], new byte[32]), 32);
    }

    private byte[] crypt(int mode, long nonce, byte[] ad, byte[] in)
        throws GeneralSecurityException {
      byte[] iv = new byte[12];
      for (int i = 0; i < 8; i++) {
        iv[4 + i] = (byte) (nonce >>> (8 * i));
      }
      cipher.init(mode, new SecretKeySpec(k, "ChaCha20"), new IvParameterSpec(iv));
      cipher.updateAAD(ad);
      return cipher.doFinal(in);
    }
  }

  /** A SymmetricState: chaining key ck, handshake hash h, and a CipherState once keyed. */
  static final class SymmetricState {
    private byte[] ck;
    private byte[] h;
    private CipherState c;

    SymmetricState(String protocolName) throws GeneralSecurityException {
      byte[] name = protocolName.getBytes(StandardCharsets.US_ASCII);
      h = name.length <= 32 ? Arrays.copyOf(name, 32) : sha256(name);
      ck = h.clone();
    }

    void mixHash(byte[] data) throws GeneralSecurityException {
      h = sha256(concat(h, data));
    }

    void mixKey(byte[] ikm) throws GeneralSecurityException {
      byte[][] out = hkdf(ck, ikm);
      ck = out[0];
      c = new CipherState(out[1]);
    }

    byte[] encryptAndHash(byte[] plaintext) throws GeneralSecurityException {
      byte[] ciphertext = c == null ? plaintext : c.encrypt(h, plaintext);
      mixHash(ciphertext);
      return ciphertext;
    }

    byte[] decryptAndHash(byte[] ciphertext) throws GeneralSecurityException {
      byte[] plaintext = c == null ? ciphertext : c.decrypt(h, ciphertext);
      mixHash(ciphertext);
      return plaintext;
    }

    CipherState[] split() throws GeneralSecurityException {
      byte[][] out = hkdf(ck, new byte[0]);
      return new CipherState[] {new CipherState(out[0]), new CipherState(out[1])};
    }

    /** HKDF(ck, ikm) with two outputs, over HMAC-SHA256. */
    private static byte[][] hkdf(byte[] chainingKey, byte[] ikm) throws GeneralSecurityException {
      byte[] temp = hmac(chainingKey, ikm);
      byte[] out1 = hmac(temp, new byte[] {1});
      byte[] out2 = hmac(temp, concat(out1, new byte[] {2}));
      return new byte[][] {out1, out2};
    }

    private static byte[] hmac(byte[] key, byte[] data) throws GeneralSecurityException {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(new SecretKeySpec(key, "HmacSHA256"));
      return mac.doFinal(data);
    }
  }

  // ---- JDK key plumbing ---------------------------------------------------------------------

  /** The X.509 prefixes before a raw 32-byte X25519 and Ed25519 public key. */
  static final byte[] X25519_X509 = HexFormat.of().parseHex("302a300506032b656e032100");
  static final byte[] ED25519_X509 = HexFormat.of().parseHex("302a300506032b6570032100");

  static KeyPair generate(String algorithm) {
    try {
      return KeyPairGenerator.getInstance(algorithm).generateKeyPair();
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }

  /** The raw 32-byte public key (X25519's u-coordinate or Ed25519's point, as RFCs encode). */
  static byte[] raw(PublicKey key) {
    byte[] der = key.getEncoded();
    return Arrays.copyOfRange(der, der.length - 32, der.length);
  }

  static byte[] dh(PrivateKey priv, byte[] publicRaw) throws GeneralSecurityException {
    KeyAgreement agreement = KeyAgreement.getInstance("XDH");
    agreement.init(priv);
    agreement.doPhase(KeyFactory.getInstance("XDH").generatePublic(
        new X509EncodedKeySpec(concat(X25519_X509, publicRaw))), true);
    return agreement.generateSecret();
  }

  /** A node id: the first 20 bytes of the SHA-256 of the 32-byte identity key. */
  static byte[] nodeIdOf(byte[] identityKey) {
    try {
      return Arrays.copyOf(sha256(identityKey), 20);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }

  static byte[] sha256(byte[] data) throws GeneralSecurityException {
    return MessageDigest.getInstance("SHA-256").digest(data);
  }

  static byte[] concat(byte[] a, byte[] b) {
    byte[] c = Arrays.copyOf(a, a.length + b.length);
    System.arraycopy(b, 0, c, a.length, b.length);
    return c;
  }
}
