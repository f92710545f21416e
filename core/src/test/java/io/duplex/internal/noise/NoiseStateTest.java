package io.duplex.internal.noise;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.HexFormat;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** What the state machine refuses, and rekeying; the vectors are in NoiseVectorsTest. */
class NoiseStateTest {
  private static final byte[] PROLOGUE = "test".getBytes(StandardCharsets.US_ASCII);

  @ParameterizedTest
  @EnumSource(NoiseSuite.class)
  void aFlippedBitInAnyHandshakeMessageFailsTheReader(NoiseSuite suite) {
    for (int msg = 1; msg <= 2; msg++) { // message 1 has no tag to check: its e is mixed into h
      for (int bit : new int[] {0, 7 * 8 + 3, -1}) {
        HandshakeState i = HandshakeState.initiator(suite, PROLOGUE, X25519.generate(), null);
        HandshakeState r = HandshakeState.responder(suite, PROLOGUE, X25519.generate(), null);
        byte[] m1 = i.writeMessage(new byte[0]);
        r.readMessage(m1);
        byte[] m2 = r.writeMessage(new byte[] {1, 2, 3});
        if (msg == 1) {
          flip(m2, bit);
          assertThrows(NoiseException.class, () -> i.readMessage(m2));
          continue;
        }
        i.readMessage(m2);
        byte[] m3 = i.writeMessage(new byte[] {4, 5});
        flip(m3, bit);
        assertThrows(NoiseException.class, () -> r.readMessage(m3));
      }
    }
  }

  @ParameterizedTest
  @EnumSource(NoiseSuite.class)
  void aTamperedFirstMessageFailsTheSecond(NoiseSuite suite) {
    HandshakeState i = HandshakeState.initiator(suite, PROLOGUE, X25519.generate(), null);
    HandshakeState r = HandshakeState.responder(suite, PROLOGUE, X25519.generate(), null);
    byte[] m1 = i.writeMessage(new byte[0]);
    m1[5] ^= 0x10; // another (valid) point: the DH results differ
    r.readMessage(m1);
    byte[] m2 = r.writeMessage(new byte[0]);
    assertThrows(NoiseException.class, () -> i.readMessage(m2));
  }

  @ParameterizedTest
  @EnumSource(NoiseSuite.class)
  void aDifferentPrologueFailsTheHandshake(NoiseSuite suite) {
    HandshakeState i = HandshakeState.initiator(suite, PROLOGUE, X25519.generate(), null);
    HandshakeState r = HandshakeState.responder(suite, "tesT".getBytes(StandardCharsets.US_ASCII),
        X25519.generate(), null);
    r.readMessage(i.writeMessage(new byte[0]));
    byte[] m2 = r.writeMessage(new byte[0]);
    assertThrows(NoiseException.class, () -> i.readMessage(m2));
  }

  @ParameterizedTest
  @EnumSource(NoiseSuite.class)
  void smallOrderEphemeralKeysAreRefused(NoiseSuite suite) {
    // RFC 7748 section 6.1 points whose X25519 result is all zeros: 0, 1 and a point of order 8.
    String[] points = {
        "0000000000000000000000000000000000000000000000000000000000000000",
        "0100000000000000000000000000000000000000000000000000000000000000",
        "e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800"};
    for (String p : points) {
      HandshakeState r = HandshakeState.responder(suite, PROLOGUE, X25519.generate(), null);
      r.readMessage(HexFormat.of().parseHex(p));
      assertThrows(NoiseException.class, () -> r.writeMessage(new byte[0]), p);
    }
  }

  @ParameterizedTest
  @EnumSource(NoiseSuite.class)
  void aShortMessageIsRefusedNotOverread(NoiseSuite suite) {
    HandshakeState r = HandshakeState.responder(suite, PROLOGUE, X25519.generate(), null);
    assertThrows(NoiseException.class, () -> r.readMessage(new byte[31]));
    HandshakeState i = HandshakeState.initiator(suite, PROLOGUE, X25519.generate(), null);
    i.writeMessage(new byte[0]);
    assertThrows(NoiseException.class, () -> i.readMessage(new byte[32 + 48 + 15]));
  }

  @ParameterizedTest
  @EnumSource(NoiseSuite.class)
  void transportRecordsOpenOnceInOrderAndRekeyInStep(NoiseSuite suite) {
    CipherState[][] pair = handshake(suite);
    CipherState send = pair[0][0];
    CipherState receive = pair[1][1];
    ByteBuffer r0 = seal(send, "zero");
    ByteBuffer r1 = seal(send, "one");
    assertThrows(NoiseException.class, () -> open(receive, r1.duplicate()), "out of order");
    assertThrows(NoiseException.class, () -> open(receive, r0.duplicate()),
        "a state that refused a record refuses every later one");

    CipherState[][] fresh = handshake(suite);
    send = fresh[0][0];
    CipherState receiver = fresh[1][1];
    ByteBuffer s0 = seal(send, "zero");
    assertArrayEquals(bytes("zero"), open(receiver, s0.duplicate()));
    assertThrows(NoiseException.class, () -> open(receiver, s0.duplicate()), "a replay");

    fresh = handshake(suite);
    send = fresh[0][0];
    CipherState receive2 = fresh[1][1];
    assertArrayEquals(bytes("one"), open(receive2, seal(send, "one")));
    send.rekey();
    ByteBuffer r2 = seal(send, "two");
    CipherState stale = fresh[1][1];
    assertThrows(NoiseException.class, () -> open(stale, r2.duplicate()), "not rekeyed");
    CipherState[][] again = handshake(suite);
    again[0][0].rekey();
    again[1][1].rekey();
    assertArrayEquals(bytes("two"), open(again[1][1], seal(again[0][0], "two")));
  }

  @ParameterizedTest
  @EnumSource(NoiseSuite.class)
  void recordsRekeyBothSidesAtTheSameNonce(NoiseSuite suite) {
    CipherState[][] pair = handshake(suite);
    CipherState send = pair[0][0];
    CipherState receive = pair[1][1];
    long at = io.duplex.internal.Records.REKEY_INTERVAL;
    send.setNonce(at - 1);
    receive.setNonce(at - 1);
    for (String text : new String[] {"before", "after", "later"}) {
      io.duplex.internal.Records.rekeyIfDue(send);
      ByteBuffer sealed = seal(send, text);
      io.duplex.internal.Records.rekeyIfDue(receive);
      assertArrayEquals(bytes(text), open(receive, sealed));
    }
    CipherState[][] other = handshake(suite); // a receiver that skips the rekey cannot open
    other[0][0].setNonce(at);
    other[1][1].setNonce(at);
    io.duplex.internal.Records.rekeyIfDue(other[0][0]);
    ByteBuffer sealed = seal(other[0][0], "x");
    assertThrows(NoiseException.class, () -> open(other[1][1], sealed));
  }

  @ParameterizedTest
  @EnumSource(NoiseSuite.class)
  void theLastNonceIsNeverUsed(NoiseSuite suite) {
    CipherState[][] pair = handshake(suite);
    pair[0][0].setNonce(-1L);
    assertThrows(NoiseException.class, () -> seal(pair[0][0], "x"));
    pair[1][1].setNonce(-2L);
    pair[0][0].setNonce(-2L);
    ByteBuffer last = seal(pair[0][0], "last");
    assertArrayEquals(bytes("last"), open(pair[1][1], last));
    assertThrows(NoiseException.class, () -> seal(pair[0][0], "x"));
    assertFalse(pair[0][0].toString().contains("n=0"));
  }

  @ParameterizedTest
  @EnumSource(NoiseSuite.class)
  void bothSidesAgreeOnStaticKeysAndHash(NoiseSuite suite) {
    java.security.KeyPair is = X25519.generate();
    java.security.KeyPair rs = X25519.generate();
    HandshakeState i = HandshakeState.initiator(suite, PROLOGUE, is, null);
    HandshakeState r = HandshakeState.responder(suite, PROLOGUE, rs, null);
    r.readMessage(i.writeMessage(new byte[0]));
    assertArrayEquals(bytes("hello"), i.readMessage(r.writeMessage(bytes("hello"))));
    assertArrayEquals(bytes("id"), r.readMessage(i.writeMessage(bytes("id"))));
    assertArrayEquals(X25519.encode(rs.getPublic()), i.remoteStatic());
    assertArrayEquals(X25519.encode(is.getPublic()), r.remoteStatic());
    assertArrayEquals(i.handshakeHash(), r.handshakeHash());
    assertTrue(i.isComplete() && r.isComplete());
  }

  private static CipherState[][] handshake(NoiseSuite suite) {
    HandshakeState i = HandshakeState.initiator(suite, PROLOGUE, X25519.generate(), null);
    HandshakeState r = HandshakeState.responder(suite, PROLOGUE, X25519.generate(), null);
    r.readMessage(i.writeMessage(new byte[0]));
    i.readMessage(r.writeMessage(new byte[0]));
    r.readMessage(i.writeMessage(new byte[0]));
    return new CipherState[][] {i.split(), r.split()};
  }

  private static ByteBuffer seal(CipherState c, String text) {
    byte[] plain = bytes(text);
    byte[] out = new byte[plain.length + CipherState.TAG_SIZE];
    c.encryptWithAd(new byte[0], plain, 0, plain.length, out, 0);
    return ByteBuffer.wrap(out);
  }

  private static byte[] open(CipherState c, ByteBuffer record) {
    byte[] out = new byte[record.remaining()];
    int n = c.decryptWithAd(new byte[0], record.array(), record.arrayOffset() + record.position(),
        record.remaining(), out, 0);
    record.position(record.limit());
    return java.util.Arrays.copyOf(out, n);
  }

  private static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  private static void flip(byte[] b, int bit) {
    int at = bit < 0 ? b.length * 8 - 1 : bit;
    b[at / 8] ^= (byte) (1 << (at % 8));
  }
}
