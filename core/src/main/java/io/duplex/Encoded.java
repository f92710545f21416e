package io.duplex;

import io.duplex.codec.Codec;
import io.duplex.codec.EncoderException;
import io.duplex.internal.FrameBuffer;
import io.duplex.internal.LaneFrames;
import io.duplex.internal.Wire;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.Objects;

/**
 * A message encoded once into a complete frame, to be sent to many peers: every connection
 * that sends it shares the same read-only bytes, so a broadcast to 50 peers runs the codec once
 * and holds one copy of the frame. Made by {@link Transport#encode}; immutable and thread-safe.
 *
 * <p>An encoded message may carry a deadline ({@link #withDeadline}): a connection whose queue
 * has not started writing it by then drops it and fails that peer's send with {@link
 * FrameDroppedException}, so a slow peer is not sent stale data later. Frames sent this way are
 * also the ones {@link SlowPeerPolicy#DROP_OLDEST} may drop.
 *
 * @param <T> the message type
 */
public final class Encoded<T> {
  private final T message;
  private final ByteBuffer frame;
  private final long deadlineNanos;

  private Encoded(T message, ByteBuffer frame, long deadlineNanos) {
    this.message = message;
    this.frame = frame;
    this.deadlineNanos = deadlineNanos;
  }

  /**
   * Encodes {@code message} with {@code codec} into a frame of at most {@code maxFrameSize}
   * bytes of length.
   *
   * @throws EncoderException if the codec refuses the message or the frame is too large
   */
  public static <T> Encoded<T> encode(Codec<T> codec, T message, int maxFrameSize) {
    Objects.requireNonNull(message, "message");
    ByteBuffer frame = FrameBuffer.forFrames(256, maxFrameSize).encodeMessage(codec, message);
    ByteBuffer exact = ByteBuffer.allocate(frame.remaining()).put(frame).flip();
    return new Encoded<>(message, exact.asReadOnlyBuffer(), Long.MAX_VALUE);
  }

  /**
   * Encodes {@code message} laid out for lane number {@code lane} (docs/PROTOCOL.md, "Lanes"):
   * one frame if its body is at most {@code chunk} bytes, else its chunk frames back to back.
   * For {@link Transport#encode(Lane, Object)}.
   *
   * @throws EncoderException if the codec refuses the message or its body is over {@code
   *     maxMessage}
   */
  static <T> Encoded<T> encodeOnLane(Codec<T> codec, T message, int lane, int maxMessage,
      int chunk) {
    Objects.requireNonNull(message, "message");
    FrameBuffer buffer = FrameBuffer.forFrames(256, Integer.MAX_VALUE);
    buffer.maxPayload(maxMessage);
    ByteBuffer frame = buffer.encodeMessage(codec, message);
    frame.position(frame.position() + Wire.HEADER_SIZE);
    return new Encoded<>(message, LaneFrames.layout(lane, frame, chunk).asReadOnlyBuffer(),
        Long.MAX_VALUE);
  }

  /**
   * The same frame with a deadline {@code timeout} from now: a peer whose connection has not
   * started writing it by then drops it.
   */
  public Encoded<T> withDeadline(Duration timeout) {
    long nanos;
    try {
      nanos = timeout.toNanos();
    } catch (ArithmeticException e) {
      nanos = Long.MAX_VALUE / 2;
    }
    return new Encoded<>(message, frame, System.nanoTime() + nanos);
  }

  /** The message that was encoded. */
  public T message() {
    return message;
  }

  /**
   * The whole frame, header included, as a new read-only view (position 0); for a message
   * encoded for a lane, its frames back to back.
   */
  public ByteBuffer frame() {
    return frame.duplicate();
  }

  /** Bytes on the wire, header included. */
  public int size() {
    return frame.capacity();
  }

  /** The frame's length field: the largest frame size a peer must accept to take it. */
  public int frameLength() {
    return frame.getInt(0); // the first frame is the largest (a chunked message's first chunk)
  }

  /** The {@link System#nanoTime()} deadline, or {@link Long#MAX_VALUE} for none. */
  public long deadlineNanos() {
    return deadlineNanos;
  }
}
