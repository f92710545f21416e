package io.duplex.codec;

import java.lang.reflect.Method;

/**
 * Bytes allocated by the current thread, from the JDK's {@code
 * com.sun.management.ThreadMXBean#getThreadAllocatedBytes(long)} (reached by reflection: the tests
 * are compiled into the {@code io.duplex.core} module, which does not read {@code
 * jdk.management}).
 */
public final class Allocations {
  private static final Object BEAN;
  private static final Method ALLOCATED;

  static {
    try {
      Class<?> factory = Class.forName("java.lang.management.ManagementFactory");
      BEAN = factory.getMethod("getThreadMXBean").invoke(null);
      ALLOCATED = Class.forName("com.sun.management.ThreadMXBean")
          .getMethod("getThreadAllocatedBytes", long.class);
    } catch (ReflectiveOperationException e) {
      throw new ExceptionInInitializerError(e);
    }
    // On JDK 17 a reflective call is "inflated" into a generated accessor class after 15 calls;
    // get that (tens of KiB of allocation) over with before any test measures anything.
    for (int i = 0; i < 32; i++) {
      ofCurrentThread();
    }
  }

  private Allocations() {}

  /** Bytes the current thread has allocated since it started. */
  @SuppressWarnings("deprecation") // getId: the bean's API takes the platform thread id
  public static long ofCurrentThread() {
    try {
      return (long) ALLOCATED.invoke(BEAN, Thread.currentThread().getId());
    } catch (ReflectiveOperationException e) {
      throw new AssertionError(e);
    }
  }
}
