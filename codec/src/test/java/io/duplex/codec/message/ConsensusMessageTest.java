package io.duplex.codec.message;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

class ConsensusMessageTest {

  private static void rejects(Class<? extends RuntimeException> type, String message,
      Executable construction) {
    assertEquals(message, assertThrows(type, construction).getMessage());
  }

  @Test
  void shouldRejectNegativeHeightsAndRoundsNamingTheValue() {
    rejects(IllegalArgumentException.class, "height < 0: -1",
        () -> new Proposal(-1, 0, "p", "h", new byte[0]));
    rejects(IllegalArgumentException.class, "round < 0: -2",
        () -> new Proposal(0, -2, "p", "h", new byte[0]));
    rejects(IllegalArgumentException.class, "height < 0: " + Long.MIN_VALUE,
        () -> new Vote(Long.MIN_VALUE, 0, VoteType.PREVOTE, "h", "v", 0));
    rejects(IllegalArgumentException.class, "round < 0: " + Integer.MIN_VALUE,
        () -> new Vote(0, Integer.MIN_VALUE, VoteType.PREVOTE, "h", "v", 0));
    rejects(IllegalArgumentException.class, "height < 0: -7", () -> new Status(-7, "n"));
  }

  @Test
  void shouldRejectNullFieldsNamingTheField() {
    rejects(NullPointerException.class, "proposer == null",
        () -> new Proposal(0, 0, null, "h", new byte[0]));
    rejects(NullPointerException.class, "blockHash == null",
        () -> new Proposal(0, 0, "p", null, new byte[0]));
    rejects(NullPointerException.class, "block == null", () -> new Proposal(0, 0, "p", "h", null));
    rejects(NullPointerException.class, "type == null", () -> new Vote(0, 0, null, "h", "v", 0));
    rejects(NullPointerException.class, "blockHash == null",
        () -> new Vote(0, 0, VoteType.PREVOTE, null, "v", 0));
    rejects(NullPointerException.class, "voter == null",
        () -> new Vote(0, 0, VoteType.PREVOTE, "h", null, 0));
    rejects(NullPointerException.class, "nodeId == null", () -> new Status(0, null));
  }

  @Test
  void shouldAcceptZeroEmptyAndNegativeTimestamps() {
    Vote v = new Vote(0, 0, VoteType.PRECOMMIT, "", "", Long.MIN_VALUE);
    assertEquals(Long.MIN_VALUE, v.timestampNanos());
    assertEquals(0, new Status(0, "").height());
    assertEquals(0, new Proposal(0, 0, "", "", new byte[0]).block().length);
  }

  @Test
  void shouldCompareProposalBlocksByContent() {
    Proposal a = new Proposal(1, 2, "p", "h", new byte[] {1, 2, 3});
    Proposal b = new Proposal(1, 2, "p", "h", new byte[] {1, 2, 3});
    assertEquals(a, b);
    assertEquals(a.hashCode(), b.hashCode());
    assertNotEquals(a, new Proposal(1, 2, "p", "h", new byte[] {1, 2, 4}));
    assertNotEquals(a, new Proposal(1, 3, "p", "h", new byte[] {1, 2, 3}));
    assertNotEquals(a, new Proposal(1, 2, "q", "h", new byte[] {1, 2, 3}));
    assertNotEquals(a, new Proposal(1, 2, "p", "g", new byte[] {1, 2, 3}));
    assertNotEquals(a, new Proposal(2, 2, "p", "h", new byte[] {1, 2, 3}));
    assertFalse(a.equals(new Status(1, "p")));
    assertFalse(a.equals(null));
  }

  @Test
  void shouldPrintABlocksSizeNotItsBytes() {
    String s = new Proposal(5, 1, "alice", "beef", new byte[256 * 1024]).toString();
    assertEquals("Proposal[height=5, round=1, proposer=alice, blockHash=beef,"
        + " block=262144 bytes]", s);
    assertTrue(s.length() < 100, s);
  }

  @Test
  void shouldExposeTheHeightOfEveryMessage() {
    ConsensusMessage[] messages = {
        new Proposal(3, 0, "p", "h", new byte[0]),
        new Vote(3, 0, VoteType.PREVOTE, "h", "v", 0),
        new Status(3, "n")};
    for (ConsensusMessage m : messages) {
      assertEquals(3, m.height(), m.toString());
    }
  }
}
