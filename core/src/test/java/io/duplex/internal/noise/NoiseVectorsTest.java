package io.duplex.internal.noise;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * The Noise state machine against the published XX vectors of two independent implementations
 * (cacophony and snow; src/test/resources/noise/README.md), both suites: fed the fixed keys,
 * each side produces every handshake and transport message byte for byte, reads the other's
 * back to its payload, and both end with the published handshake hash.
 */
class NoiseVectorsTest {
  private static final HexFormat HEX = HexFormat.of();

  @TestFactory
  List<DynamicTest> cacophony() throws IOException {
    return vectors("cacophony-xx.json");
  }

  @TestFactory
  List<DynamicTest> snow() throws IOException {
    return vectors("snow-xx.json");
  }

  private List<DynamicTest> vectors(String file) throws IOException {
    JsonNode root;
    try (InputStream in = getClass().getResourceAsStream("/noise/" + file)) {
      assertNotNull(in, file + " is missing from the test resources");
      root = new ObjectMapper().readTree(in);
    }
    List<DynamicTest> tests = new ArrayList<>();
    for (JsonNode v : root.get("vectors")) {
      String name = v.get("protocol_name").asText();
      tests.add(DynamicTest.dynamicTest(file + " " + name, () -> run(v)));
    }
    assertEquals(2, tests.size(), "one vector per suite");
    return tests;
  }

  private static void run(JsonNode v) {
    NoiseSuite suite = NoiseSuite.byProtocolName(v.get("protocol_name").asText());
    assertNotNull(suite, v.get("protocol_name").asText());
    HandshakeState initiator = HandshakeState.initiator(suite, hex(v, "init_prologue"),
        X25519.fromPrivate(hex(v, "init_static")), X25519.fromPrivate(hex(v, "init_ephemeral")));
    HandshakeState responder = HandshakeState.responder(suite, hex(v, "resp_prologue"),
        X25519.fromPrivate(hex(v, "resp_static")), X25519.fromPrivate(hex(v, "resp_ephemeral")));

    JsonNode messages = v.get("messages");
    assertTrue(messages.size() > 3, "the vector has transport messages after the handshake");
    CipherState[] init = null;
    CipherState[] resp = null;
    for (int i = 0; i < messages.size(); i++) {
      byte[] payload = HEX.parseHex(messages.get(i).get("payload").asText());
      byte[] expected = HEX.parseHex(messages.get(i).get("ciphertext").asText());
      boolean fromInitiator = i % 2 == 0;
      byte[] sent;
      byte[] received;
      if (i < 3) {
        HandshakeState writer = fromInitiator ? initiator : responder;
        HandshakeState reader = fromInitiator ? responder : initiator;
        sent = writer.writeMessage(payload);
        received = reader.readMessage(sent);
        if (i == 2) {
          assertTrue(initiator.isComplete() && responder.isComplete());
          if (v.has("handshake_hash")) {
            assertArrayEquals(hex(v, "handshake_hash"), initiator.handshakeHash());
          }
          assertArrayEquals(initiator.handshakeHash(), responder.handshakeHash());
          init = initiator.split();
          resp = responder.split();
        }
      } else {
        CipherState writer = fromInitiator ? init[0] : resp[0];
        CipherState reader = fromInitiator ? resp[1] : init[1];
        sent = new byte[payload.length + CipherState.TAG_SIZE];
        writer.encryptWithAd(new byte[0], payload, 0, payload.length, sent, 0);
        received = new byte[payload.length];
        assertEquals(payload.length,
            reader.decryptWithAd(new byte[0], sent, 0, sent.length, received, 0));
      }
      assertArrayEquals(expected, sent, "message " + i + " ciphertext");
      assertArrayEquals(payload, received, "message " + i + " payload");
    }
  }

  private static byte[] hex(JsonNode v, String field) {
    return HEX.parseHex(v.get(field).asText());
  }
}
