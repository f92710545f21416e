package io.duplex.nio.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/**
 * The lanes' gather budget ({@link SocketWriter#laneLimit}, {@link SocketWriter#nextLaneBudget}):
 * how many bytes the write loop commits to a gather while lanes have work. The figures are a
 * turn seen over a 100 Mbit/s link (BENCHMARKS.md, "Where a vote's time goes at 100 Mbit/s"):
 * the socket took 108,600 bytes in one turn; in the next, the first gather (the staged rest and
 * the votes) went whole, 91,128 bytes. The budget is the turn's: the next gather may add what
 * is left of it, not twice the budget (which committed 229 KB to a gather the socket then took
 * 14.5 KB of, 215 KB staged ahead of every vote for two more turns).
 */
class LaneGatherBudgetTest {
  private static final int CHUNK = 32 * 1024 + 9;
  private static final int NONE = Integer.MAX_VALUE;

  @Test
  void unlimitedWhileTheSocketTakesEverything() {
    assertEquals(NONE, SocketWriter.laneLimit(NONE, 0));
    assertEquals(NONE, SocketWriter.laneLimit(NONE, 10L << 30));
    assertEquals(NONE, SocketWriter.nextLaneBudget(NONE, 10L << 30, false, CHUNK));
  }

  @Test
  void aTurnThatFillsTheSocketSetsTheBudgetToWhatTheTurnTook() {
    assertEquals(108_600, SocketWriter.nextLaneBudget(NONE, 108_600, true, CHUNK));
    // two writes in the turn: the first whole, the second short
    assertEquals(105_704, SocketWriter.nextLaneBudget(108_600, 91_128 + 14_576, true, CHUNK));
    // at least one chunk, however little the socket took
    assertEquals(CHUNK, SocketWriter.nextLaneBudget(108_600, 1_000, true, CHUNK));
    assertEquals(CHUNK, SocketWriter.nextLaneBudget(108_600, 0, true, CHUNK));
  }

  @Test
  void aGatherWrittenWholeLeavesTheRestOfTheTurnsBudget() {
    int budget = SocketWriter.nextLaneBudget(108_600, 91_128, false, CHUNK);
    assertEquals(108_600, budget, "a first gather written whole does not grow the budget");
    assertEquals(17_472, SocketWriter.laneLimit(budget, 91_128));
    assertEquals(0, SocketWriter.laneLimit(budget, 200_000));
  }

  @Test
  void aTurnThatTakesTheWholeBudgetWithoutFillingTheSocketDoublesIt() {
    assertEquals(217_200, SocketWriter.nextLaneBudget(108_600, 108_600, false, CHUNK));
    assertEquals(217_200, SocketWriter.laneLimit(217_200, 108_600) + 108_600);
    // from a whole buffer up, no limit again: a socket that keeps up gets whole buffers
    assertEquals(NONE, SocketWriter.nextLaneBudget(SocketWriter.DIRECT_BUFFER_SIZE,
        SocketWriter.DIRECT_BUFFER_SIZE, false, CHUNK));
  }
}
