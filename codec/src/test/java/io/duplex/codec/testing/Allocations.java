package io.duplex.codec.testing;

import java.lang.reflect.Method;

/**
 * Bytes allocated by the current thread, from the JDK's {@code com.sun.management.ThreadMXBean}
 * (reached by reflection, so the tests need no extra module reads).
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
  }

  private Allocations() {}

  /** The bytes the current thread has allocated since it started. */
  @SuppressWarnings("deprecation") // getId: the bean's API takes the platform thread id
  public static long ofCurrentThread() {
    try {
      return (long) ALLOCATED.invoke(BEAN, Thread.currentThread().getId());
    } catch (ReflectiveOperationException e) {
      throw new AssertionError(e);
    }
  }
}
