package io.duplex.nio;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The write role is always given back: an {@code Error} while a sender writes through (here an
 * OutOfMemoryError allocating its thread's 256 KiB direct write buffer, in a child JVM with 4 MiB
 * of direct memory, all taken) fails that send's future and closes the connection with the
 * Error as the cause, and every later send's future completes at once instead of waiting for a
 * role nobody will give back.
 */
@Timeout(60)
class WriteRoleTest {

  @Test
  void shouldFailTheSendAndCloseTheConnectionWhenAnErrorEscapesAWriteThrough()
      throws Exception {
    try (ChildJvm child = ChildJvm.start(DirectMemoryChild.class, 0,
        List.of("-XX:MaxDirectMemorySize=4m"))) {
      String hog = child.awaitValue("HOG ", 30);
      String first = child.awaitValue("FIRST ", 30);
      String closed = child.awaitValue("CLOSED ", 30);
      String later = child.awaitValue("LATER ", 30);
      String all = "(direct memory taken " + hog + ") the fresh thread's first send: " + first
          + "; the connection closed: " + closed + "; a later send: " + later;

      assertTrue(first.startsWith("failed ") && first.contains("OutOfMemoryError"),
          "the send that met the Error must return a future failed by it, not throw: " + all);
      assertTrue(closed.contains("OutOfMemoryError"), "the connection must be closed with the"
          + " Error as the cause: " + all);
      assertTrue(later.startsWith("failed "), "a later send must complete (exceptionally, the"
          + " connection is closed) at once: " + all);
    }
  }
}
