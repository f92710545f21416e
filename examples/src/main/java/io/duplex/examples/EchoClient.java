package io.duplex.examples;

import io.duplex.Connection;
import io.duplex.ConnectionClosedException;
import io.duplex.ReceiveTimeoutException;
import io.duplex.Transport;
import io.duplex.NodeId;
import io.duplex.TransportConfig;
import io.duplex.security.KeyFileException;
import io.duplex.codec.ByteArrayCodec;
import io.duplex.codec.Codec;
import io.duplex.codec.binary.ConsensusBinaryCodec;
import io.duplex.codec.json.JsonCodec;
import io.duplex.codec.message.ConsensusMessage;
import io.duplex.codec.message.Proposal;
import io.duplex.nio.NioTransport;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicReference;

/**
 * {@code echo-client --port P [--host 127.0.0.1] [--count N] [--size B]
 * [--codec json|binary|bytes] [--window W] [--server-id HEX] [--key FILE | --insecure]}: sends N numbered messages of about B bytes to an
 * {@link EchoServer}, never more than W without their echo (and none more while the transport's
 * outbound queue is over its high water mark), checks that every echo comes back exactly as sent
 * and in order, and measures each message's round trip (from just before {@code send} to the
 * echo's arrival).
 *
 * <p>The messages: for {@code json} and {@code binary}, {@link Proposal}s whose height is the
 * sequence number and whose block is B bytes of noise seeded by it; for {@code bytes}, arrays of
 * B bytes (4 at least): the sequence number, then the same noise.
 *
 * <p>Output on success (exit 0), on stdout (the figures of a cold JVM on two cores):
 *
 * <pre>
 * echo-client: 10000 of 10000 echoes intact and in order (codec json, size 256, window 64)
 * throughput: 8358 msg/s, 3.81 MB/s each way (frames on the wire), 1.196 s
 * round trip us: p50 5261.0  p90 16769.2  p99 31151.2  max 53545.1
 * </pre>
 *
 * Otherwise one line on stderr and exit 1: a connection that fails, or echoes that are lost
 * (never came back), corrupted (not exactly a message still awaited) or out of order (came back
 * after the echo of a later message). Bad options: exit 2.
 */
final class EchoClient {
  static final String USAGE = "echo-client --port P [--host 127.0.0.1] [--count N] [--size B]"
      + " [--codec json|binary|bytes] [--window W] [--server-id HEX] " + Security.USAGE;

  /** How long to wait for the next echo before giving up on the rest. */
  private static final Duration ECHO_TIMEOUT = Duration.ofSeconds(10);
  /** Bounds the wait for the connection; the transport's handshake timeout normally ends it. */
  private static final Duration CONNECT_TIMEOUT =
      TransportConfig.DEFAULT_HANDSHAKE_TIMEOUT.plusSeconds(5);
  /** The largest --size: its JSON form (base64) stays under the JSON codec's string limit. */
  private static final int MAX_SIZE = 4 * 1024 * 1024;
  /** The largest --count: one round-trip time (a long) is kept per message. */
  private static final int MAX_COUNT = 10_000_000;

  private EchoClient() {}

  private record Options(InetSocketAddress server, String codec, int count, int size,
      int window, TransportConfig config, NodeId serverId) {}

  /** The program; returns the exit status. */
  static int run(String[] args, PrintStream out, PrintStream err) {
    Options o;
    try {
      Args a = Args.parse(args, Set.of("port", "host", "count", "size", "codec", "window", "key",
          "server-id"), Set.of("insecure"));
      String serverId = a.string("server-id", null);
      NodeId expected;
      try {
        expected = serverId == null ? null : NodeId.fromHex(serverId);
      } catch (IllegalArgumentException e) {
        throw new Args.UsageException("--server-id must be the server's node id in hex: "
            + e.getMessage());
      }
      o = new Options(
          new InetSocketAddress(a.string("host", "127.0.0.1"), a.requiredInt("port", 1, 65535)),
          a.oneOf("codec", "json", List.of("json", "binary", "bytes")),
          a.intValue("count", 10_000, 1, MAX_COUNT),
          a.intValue("size", 256, 0, MAX_SIZE),
          a.intValue("window", 64, 1, 1_000_000),
          Security.config(a).build(), expected);
    } catch (Args.UsageException e) {
      err.println("echo-client: " + e.getMessage());
      err.println("usage: " + USAGE);
      return Args.USAGE_STATUS;
    } catch (KeyFileException e) {
      err.println("echo-client: " + e.getMessage());
      return 1;
    }
    if (o.server().isUnresolved()) {
      err.println("echo-client: cannot connect to " + hostAndPort(o.server()) + ": unknown host");
      return 1;
    }
    try {
      return switch (o.codec()) {
        case "json" -> run(proposals(JsonCodec.consensus()), o, out, err);
        case "binary" -> run(proposals(ConsensusBinaryCodec.instance()), o, out, err);
        default -> run(BYTES, o, out, err);
      };
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      err.println("echo-client: interrupted");
      return 1;
    }
  }

  private static <T> int run(Messages<T> messages, Options o, PrintStream out, PrintStream err)
      throws InterruptedException {
    try (Transport<T> transport = NioTransport.builder(messages.codec()).config(o.config())
        .build()) {
      Connection<T> connection;
      try {
        connection = (o.serverId() == null ? transport.connect(o.server())
            : transport.connect(o.server(), o.serverId()))
            .get(CONNECT_TIMEOUT.toSeconds(), TimeUnit.SECONDS);
      } catch (ExecutionException | TimeoutException e) {
        String why = e instanceof TimeoutException
            ? "no answer within " + CONNECT_TIMEOUT.toSeconds() + " s" : describe(e.getCause());
        String where = hostAndPort(o.server());
        // A refused dial names the address itself ("Connection refused: 127.0.0.1:9002").
        err.println("echo-client: cannot connect to " + where + ": "
            + (why.endsWith(": " + where) ? why.substring(0, why.length() - where.length() - 2)
                : why));
        return 1;
      }
      Tally t = exchange(connection, messages, o);
      connection.close();

      int intact = t.arrived() - t.corrupted() - t.outOfOrder();
      if (intact != o.count()) {
        err.println("echo-client: FAILED: " + intact + " of " + o.count() + " echoes intact and in"
            + " order; " + (o.count() - t.arrived()) + " lost, " + t.corrupted() + " corrupted, "
            + t.outOfOrder() + " out of order"
            + (t.stoppedBecause() == null ? "" : " (stopped: " + t.stoppedBecause() + ")"));
        return 1;
      }
      long[] rtt = t.roundTrips();
      Arrays.sort(rtt);
      out.printf(Locale.ROOT, "echo-client: %d of %d echoes intact and in order (codec %s, size %d,"
          + " window %d)%n", intact, o.count(), o.codec(), o.size(), o.window());
      out.printf(Locale.ROOT, "throughput: %.0f msg/s, %.2f MB/s each way (frames on the wire),"
          + " %.3f s%n", o.count() / t.seconds(), t.bytesOut() / t.seconds() / 1e6, t.seconds());
      out.printf(Locale.ROOT, "round trip us: p50 %.1f  p90 %.1f  p99 %.1f  max %.1f%n",
          micros(rtt, 0.50), micros(rtt, 0.90), micros(rtt, 0.99), micros(rtt, 1.0));
      out.flush();
      return 0;
    }
  }

  /**
   * What came back: {@code arrived} echoes, of which {@code corrupted} were not exactly a message
   * still awaited and {@code outOfOrder} came after the echo of a later message; the round trips
   * of the awaited ones; the bytes written and the time taken; and why it stopped early, if so.
   */
  private record Tally(int arrived, int corrupted, int outOfOrder, long[] roundTrips,
      long bytesOut, double seconds, String stoppedBecause) {}

  /** Sends the messages and takes their echoes, never more than the window without one. */
  private static <T> Tally exchange(Connection<T> connection, Messages<T> messages, Options o)
      throws InterruptedException {
    // Message number seq waits in slot seq % window until its echo comes back.
    int window = Math.min(o.window(), o.count());
    @SuppressWarnings("unchecked")
    T[] awaited = (T[]) new Object[window];
    long[] sentAt = new long[window];
    long[] roundTrips = new long[o.count()];
    int sent = 0;
    int outstanding = 0;
    int arrived = 0;
    int timed = 0;
    int corrupted = 0;
    int outOfOrder = 0;
    long highestSeq = -1;
    String stoppedBecause = null;
    AtomicReference<Throwable> sendFailure = new AtomicReference<>();
    long bytesBefore = connection.stats().bytesOut();
    long start = System.nanoTime();

    while (arrived < o.count()) {
      // Fill the window, but stop at the transport's high water mark: then echoes come first.
      while (sent < o.count() && awaited[sent % window] == null
          && (outstanding == 0 || connection.isWritable()) && sendFailure.get() == null) {
        T message = messages.make(sent, o.size());
        awaited[sent % window] = message;
        sentAt[sent % window] = System.nanoTime();
        connection.send(message).whenComplete((ok, e) -> {
          if (e != null) {
            sendFailure.compareAndSet(null, e);
          }
        });
        sent++;
        outstanding++;
      }
      Throwable failed = unwrap(sendFailure.get());
      if (failed != null && !(failed instanceof ConnectionClosedException)) {
        stoppedBecause = "a send failed: " + describe(failed);
        break;
      } // once the connection closes, the echoes it still holds are taken, then receive fails

      T echo;
      try {
        echo = connection.receive(ECHO_TIMEOUT);
      } catch (ReceiveTimeoutException e) {
        stoppedBecause = "no echo within " + ECHO_TIMEOUT.toSeconds() + " s";
        break;
      } catch (ConnectionClosedException e) {
        stoppedBecause = describe(e);
        break;
      }
      long now = System.nanoTime();
      arrived++;

      long seq = messages.seq(echo);
      int slot = seq >= 0 && seq < sent ? (int) (seq % window) : -1;
      if (slot < 0 || awaited[slot] == null || messages.seq(awaited[slot]) != seq) {
        corrupted++; // a number we never sent or no longer await (garbled, or a duplicate)
        continue;
      }
      T original = awaited[slot];
      awaited[slot] = null;
      outstanding--;
      roundTrips[timed++] = now - sentAt[slot];
      if (!messages.same(original, echo)) {
        corrupted++;
      } else if (seq < highestSeq) {
        outOfOrder++;
      }
      highestSeq = Math.max(highestSeq, seq);
    }
    double seconds = (System.nanoTime() - start) / 1e9;
    return new Tally(arrived, corrupted, outOfOrder, timed == o.count() ? roundTrips : Arrays.copyOf(roundTrips, timed),
        connection.stats().bytesOut() - bytesBefore, seconds, stoppedBecause);
  }

  /** The nearest-rank percentile {@code q} of {@code sorted} nanoseconds, in microseconds. */
  private static double micros(long[] sorted, double q) {
    int rank = (int) Math.ceil(q * sorted.length);
    return sorted[Math.max(0, rank - 1)] / 1e3;
  }

  // ---- the messages --------------------------------------------------------------------------

  /** The test messages of one codec. */
  private interface Messages<T> {
    Codec<T> codec();

    /** Message number {@code seq}, carrying about {@code size} bytes. */
    T make(int seq, int size);

    /** The number {@code message} carries, or -1 if it carries none. */
    long seq(T message);

    /** Whether {@code echo} is exactly {@code sent}. */
    boolean same(T sent, T echo);
  }

  private static Messages<ConsensusMessage> proposals(Codec<ConsensusMessage> codec) {
    return new Messages<>() {
      @Override
      public Codec<ConsensusMessage> codec() {
        return codec;
      }

      @Override
      public ConsensusMessage make(int seq, int size) {
        byte[] block = noise(seq, new byte[size], 0);
        return new Proposal(seq, 0, "echo-client", Integer.toHexString(seq), block);
      }

      @Override
      public long seq(ConsensusMessage message) {
        return message instanceof Proposal p ? p.height() : -1;
      }

      @Override
      public boolean same(ConsensusMessage sent, ConsensusMessage echo) {
        return sent.equals(echo);
      }
    };
  }

  private static final Messages<byte[]> BYTES = new Messages<>() {
    @Override
    public Codec<byte[]> codec() {
      return ByteArrayCodec.instance();
    }

    @Override
    public byte[] make(int seq, int size) {
      byte[] message = new byte[Math.max(Integer.BYTES, size)];
      ByteBuffer.wrap(message).putInt(seq);
      return noise(seq, message, Integer.BYTES);
    }

    @Override
    public long seq(byte[] message) {
      return message.length < Integer.BYTES ? -1 : ByteBuffer.wrap(message).getInt();
    }

    @Override
    public boolean same(byte[] sent, byte[] echo) {
      return Arrays.equals(sent, echo);
    }
  };

  /**
   * Fills {@code bytes} from {@code from} on with xorshift noise seeded by {@code seq}: every
   * message differs, so a byte from the wrong message or place shows as corruption.
   */
  private static byte[] noise(int seq, byte[] bytes, int from) {
    int x = seq * 0x9E3779B9 | 1;
    for (int i = from; i < bytes.length; i++) {
      x ^= x << 13;
      x ^= x >>> 17;
      x ^= x << 5;
      bytes[i] = (byte) x;
    }
    return bytes;
  }

  // ---- text ----------------------------------------------------------------------------------

  private static Throwable unwrap(Throwable t) {
    while (t instanceof CompletionException && t.getCause() != null) {
      t = t.getCause();
    }
    return t;
  }

  private static String describe(Throwable t) {
    t = unwrap(t);
    return t.getMessage() != null ? t.getMessage() : t.getClass().getSimpleName();
  }

  private static String hostAndPort(InetSocketAddress a) {
    return a.getHostString() + ":" + a.getPort();
  }
}
