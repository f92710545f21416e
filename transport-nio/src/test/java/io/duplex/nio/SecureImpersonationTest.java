package io.duplex.nio;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.duplex.Connection;
import io.duplex.ConnectionClosedException;
import io.duplex.HandshakeException;
import io.duplex.HandshakeException.Field;
import io.duplex.NodeId;
import io.duplex.TransportConfig;
import io.duplex.codec.ByteArrayCodec;
import io.duplex.internal.SecureHandshake;
import io.duplex.internal.noise.HandshakeState;
import io.duplex.internal.noise.NoiseSuite;
import io.duplex.internal.noise.X25519;
import io.duplex.peer.PeerAddress;
import io.duplex.peer.PeerNode;
import io.duplex.security.Identity;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.security.KeyPair;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The impersonation scenario, with secure {@link PeerNode}s on loopback: n5 is connected to the
 * real n2, and an impostor dials n5. With a key of its own it joins under its own node id and
 * n5 keeps the real n2: what n5 sends to n2's id reaches n2, what the impostor sends is labelled
 * with the impostor's id. Claiming n2's id is not possible: in plaintext it is refused at the
 * preface (SECURITY); replaying n2's identity key and signature, learnt by dialing n2, is
 * refused for the signature (IDENTITY) or, with n2's static key too, for the handshake itself
 * (AUTHENTICATION). Banning the impostor leaves n2 alone.
 */
@Timeout(60)
class SecureImpersonationTest {
  private final Identity n2Identity = Identity.generate();
  private final NodeId n2Id = n2Identity.nodeId();
  private final List<String> atN2 = new CopyOnWriteArrayList<>();
  private final List<String> atN5 = new CopyOnWriteArrayList<>();
  private final List<Throwable> n5Errors = new CopyOnWriteArrayList<>();
  private PeerNode<byte[]> n2;
  private PeerNode<byte[]> n5;
  private NodeId n5Id;
  /** n5's connection to the real n2, before any impostor. */
  private Connection<byte[]> realN2;

  private static PeerNode<byte[]> node(Identity identity, List<String> inbox,
      List<Throwable> errors, PeerAddress... dial) throws IOException {
    return PeerNode.builder(NioTransport.builder(ByteArrayCodec.instance())
            .config(TransportConfig.builder().identity(identity)
                .closeTimeout(Duration.ofMillis(500)).build())
            .factory())
        .listen(Peers.ANY_LOCAL)
        .dial(dial)
        .reconnect(Duration.ofMillis(20), Duration.ofMillis(100))
        .onMessage((c, m) -> inbox.add(c.peer().nodeId().toHex() + ": " + new String(m, UTF_8)))
        .errorHandler((address, c, e) -> errors.add(e))
        .build();
  }

  private static String from(NodeId id, String text) {
    return id.toHex() + ": " + text;
  }

  @BeforeEach
  void n5IsConnectedToTheRealN2() throws Exception {
    n2 = node(n2Identity, atN2, new CopyOnWriteArrayList<>());
    n5 = node(Identity.generate(), atN5, n5Errors,
        PeerAddress.of(n2Id, n2.listenAddress().orElseThrow()));
    n5Id = n5.transport().config().nodeId();
    Peers.await("n5 and n2 connected", 10, () -> n5.size() == 1 && n2.size() == 1);
    realN2 = n5.peer(n2Id).orElseThrow();
    assertN5KeepsTheRealN2("before");
  }

  @AfterEach
  void close() {
    if (n5 != null) {
      n5.close();
    }
    if (n2 != null) {
      n2.close();
    }
  }

  /** n5's connection for n2's id is the one it had, and a message to n2's id reaches n2. */
  private void assertN5KeepsTheRealN2(String text) throws Exception {
    assertSame(realN2, n5.peer(n2Id).orElseThrow(), "n5 still has its connection to n2");
    assertTrue(realN2.isAlive());
    n5.sendTo(n2Id, text.getBytes(UTF_8)).get(10, TimeUnit.SECONDS);
    Peers.await("the real n2 gets '" + text + "'", 10,
        () -> atN2.contains(from(n5Id, text)));
  }

  private InetSocketAddress n5Address() {
    return n5.listenAddress().orElseThrow();
  }

  @Test
  void anImpostorWithItsOwnKeyAppearsUnderItsOwnIdAndN5KeepsTheRealN2() throws Exception {
    try (Peers.Node impostor = new Peers.Node("impostor", b -> { }, t -> { }, c -> { }, true)) {
      NodeId impostorId = impostor.transport.config().nodeId();
      Connection<byte[]> c = impostor.transport.connect(n5Address()).get(10, TimeUnit.SECONDS);
      assertEquals(n5Id, c.peer().nodeId());
      Peers.await("the impostor joins n5's group", 10, () -> n5.size() == 2);
      Connection<byte[]> atN5Side = n5.peer(impostorId).orElseThrow();
      assertEquals(impostorId, atN5Side.peer().nodeId());

      c.send("I am n2".getBytes(UTF_8));
      Peers.await("n5 hears the impostor", 10, () -> atN5.size() == 1);
      assertEquals(List.of(from(impostorId, "I am n2")), atN5, "labelled with its own id");

      assertN5KeepsTheRealN2("for n2 only");
      assertEquals(0, atN5Side.stats().messagesOut(), "nothing for n2 went to the impostor");
      assertEquals(List.of(n2Id, impostorId).stream().sorted().toList(),
          n5.peers().stream().map(p -> p.peer().nodeId()).sorted().toList());

      // Banning the impostor's id closes it, and leaves n2 alone.
      n5.ban(impostorId, Duration.ofMinutes(1));
      c.closeFuture().get(10, TimeUnit.SECONDS);
      Peers.await("the impostor leaves n5's group", 10, () -> n5.size() == 1);
      assertTrue(n5.isBanned(impostorId));
      assertFalse(n5.isBanned(n2Id));
      assertN5KeepsTheRealN2("after the ban");
      // And it stays out: a redial is closed once it has said who it is.
      Throwable refused = assertThrows(Exception.class, () -> impostor.transport
          .connect(n5Address()).get(10, TimeUnit.SECONDS).receive(Duration.ofSeconds(10)));
      Throwable cause = refused instanceof ExecutionException ? refused.getCause() : refused;
      assertInstanceOf(ConnectionClosedException.class, cause, refused.toString());
      assertTrue(n5.peer(impostorId).isEmpty());
      assertN5KeepsTheRealN2("after the redial");
    }
  }

  @Test
  void anImpostorInPlaintextClaimingN2sIdIsRefusedAtThePreface() throws Exception {
    try (Peers.Node impostor = new Peers.Node("impostor",
        b -> b.insecurePlaintext().nodeId(n2Id), t -> { }, c -> { }, false).listen()) {
      // It dials n5, as n2.
      ExecutionException e = assertThrows(ExecutionException.class,
          () -> impostor.transport.connect(n5Address()).get(10, TimeUnit.SECONDS));
      HandshakeException atImpostor = assertInstanceOf(HandshakeException.class, e.getCause());
      assertEquals(Field.SECURITY, atImpostor.field(), atImpostor.getMessage());
      Peers.await("n5 refuses it", 10, () -> securityErrors() == 1);
      assertN5KeepsTheRealN2("after the plaintext dial");

      // n5 is told n2 is at the impostor's address: the dial is refused just the same.
      n5.addPeer(PeerAddress.of(n2Id, impostor.address));
      Peers.await("n5's dials to the impostor refused", 10, () -> securityErrors() >= 3);
      assertTrue(impostor.opened.isEmpty());
      assertEquals(1, n5.size());
      assertN5KeepsTheRealN2("after the plaintext listener");
    }
  }

  private long securityErrors() {
    return n5Errors.stream().filter(t -> t instanceof HandshakeException h
        && h.field() == Field.SECURITY).count();
  }

  @Test
  void anImpostorReplayingN2sIdentityKeyAndSignatureIsRefused() throws Exception {
    // What n2 proves to anyone who dials it: its message-2 payload and its static key.
    Stolen stolen = steal(n2.listenAddress().orElseThrow());
    assertArrayEquals(n2Identity.publicKey(), Arrays.copyOf(stolen.payload, 32));

    // With a static key of its own: n2's signature does not cover it.
    HandshakeException own = impersonate(X25519.generate(), stolen.payload, Field.IDENTITY);
    assertTrue(own.getMessage().contains("signature"), own.getMessage());
    // With n2's static public key, whose private key it lacks: the handshake fails outright.
    KeyPair n2Static = new KeyPair(X25519.publicKey(stolen.staticKey),
        X25519.generate().getPrivate());
    impersonate(n2Static, stolen.payload, Field.AUTHENTICATION);
    assertEquals(1, n5.size());
    assertTrue(atN5.isEmpty(), "nothing of the impostor reached n5's handler");
    assertN5KeepsTheRealN2("after the replays");
  }

  private record Stolen(byte[] payload, byte[] staticKey) {}

  /** Dials {@code n2} with Noise by hand and keeps what its message 2 shows. */
  private static Stolen steal(InetSocketAddress n2) throws IOException {
    try (Socket socket = connect(n2)) {
      HandshakeState noise = HandshakeState.initiator(SUITE, preface(),
          X25519.generate(), null);
      send(socket, preface(), noise.writeMessage(new byte[0]));
      byte[] payload = noise.readMessage(readMessage(socket));
      return new Stolen(payload, noise.remoteStatic());
    }
  }

  /**
   * Dials n5 as an initiator with static key {@code s} and message-3 payload {@code payload};
   * n5 must refuse it with {@code field}, and close.
   */
  private HandshakeException impersonate(KeyPair s, byte[] payload, Field field)
      throws Exception {
    long before = n5Errors.size();
    try (Socket socket = connect(n5Address())) {
      HandshakeState noise = HandshakeState.initiator(SUITE, preface(), s, null);
      send(socket, preface(), noise.writeMessage(new byte[0]));
      byte[] n5Payload = noise.readMessage(readMessage(socket));
      assertArrayEquals(n5.transport().config().identity().orElseThrow().publicKey(),
          Arrays.copyOf(n5Payload, 32), "message 2 came from n5");
      send(socket, new byte[0], noise.writeMessage(payload));
      assertEquals(-1, socket.getInputStream().read(), "n5 closes the connection");
    }
    Peers.await("n5 reports the refusal", 10, () -> n5Errors.size() > before);
    HandshakeException e = assertInstanceOf(HandshakeException.class,
        n5Errors.get(n5Errors.size() - 1));
    assertEquals(field, e.field(), e.getMessage());
    return e;
  }

  /** The Noise suite of the nodes' (default) cipher suite. */
  private static final NoiseSuite SUITE =
      TransportConfig.DEFAULT_CIPHER_SUITE == io.duplex.security.CipherSuite.AES_256_GCM
          ? NoiseSuite.AES_GCM : NoiseSuite.CHACHA_POLY;

  private static byte[] preface() {
    return SecureHandshake.preface(TransportConfig.DEFAULT_CIPHER_SUITE);
  }

  private static Socket connect(InetSocketAddress to) throws IOException {
    Socket socket = new Socket();
    socket.connect(to, 5000);
    socket.setSoTimeout(10_000);
    return socket;
  }

  private static void send(Socket socket, byte[] preface, byte[] message) throws IOException {
    OutputStream out = socket.getOutputStream();
    out.write(ByteBuffer.allocate(preface.length + 2 + message.length).put(preface)
        .putShort((short) message.length).put(message).array());
    out.flush();
  }

  /** Reads the peer's preface (the first time) and its next handshake message. */
  private static byte[] readMessage(Socket socket) throws IOException {
    DataInputStream in = new DataInputStream(socket.getInputStream());
    byte[] preface = new byte[SecureHandshake.PREFACE_SIZE];
    in.readFully(preface);
    byte[] message = new byte[in.readUnsignedShort()];
    in.readFully(message);
    return message;
  }
}
