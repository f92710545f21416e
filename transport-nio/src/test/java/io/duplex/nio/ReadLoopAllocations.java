package io.duplex.nio;

import java.lang.reflect.Method;
import java.util.HashMap;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * Bytes allocated by the transports' read loop threads ({@code duplex-<n>-read-<i>}), from the
 * JDK's {@code com.sun.management.ThreadMXBean#getThreadAllocatedBytes(long[])}, reached by
 * reflection: the tests are compiled into the {@code io.duplex.transport.nio} module, which does
 * not read {@code jdk.management}. Where a frame's bytes are decoded, so this is where a
 * payload-sized buffer would show.
 */
final class ReadLoopAllocations {
  private static final Pattern READ_LOOP = Pattern.compile("duplex-\\d+-read-\\d+");
  private static final Object BEAN;
  private static final Method ALLOCATED;

  static {
    try {
      Class<?> factory = Class.forName("java.lang.management.ManagementFactory");
      BEAN = factory.getMethod("getThreadMXBean").invoke(null);
      ALLOCATED = Class.forName("com.sun.management.ThreadMXBean")
          .getMethod("getThreadAllocatedBytes", long[].class);
    } catch (ReflectiveOperationException e) {
      throw new ExceptionInInitializerError(e);
    }
  }

  private final Map<Long, Long> start;

  private ReadLoopAllocations() {
    start = now();
  }

  /** Starts counting what every read loop thread alive now allocates from here on. */
  static ReadLoopAllocations start() {
    return new ReadLoopAllocations();
  }

  /** Bytes the calling thread has allocated since it started. */
  @SuppressWarnings("deprecation") // getId: the bean's API takes the platform thread id
  static long ofCurrentThread() {
    try {
      return ((long[]) ALLOCATED.invoke(BEAN, (Object) new long[] {
          Thread.currentThread().getId()}))[0];
    } catch (ReflectiveOperationException e) {
      throw new AssertionError(e);
    }
  }

  /** Bytes the read loops counted at {@link #start} have allocated since then. */
  long allocatedSinceStart() {
    long total = 0;
    for (Map.Entry<Long, Long> e : now().entrySet()) {
      Long before = start.get(e.getKey());
      if (before != null && e.getValue() >= 0) {
        total += e.getValue() - before;
      }
    }
    return total;
  }

  @SuppressWarnings("deprecation") // getId: the bean's API takes the platform thread id
  private static Map<Long, Long> now() {
    long[] ids = Thread.getAllStackTraces().keySet().stream()
        .filter(t -> READ_LOOP.matcher(t.getName()).matches())
        .mapToLong(Thread::getId)
        .toArray();
    long[] bytes;
    try {
      bytes = (long[]) ALLOCATED.invoke(BEAN, (Object) ids);
    } catch (ReflectiveOperationException e) {
      throw new AssertionError(e);
    }
    Map<Long, Long> m = new HashMap<>();
    for (int i = 0; i < ids.length; i++) {
      m.put(ids[i], bytes[i]);
    }
    return m;
  }
}
