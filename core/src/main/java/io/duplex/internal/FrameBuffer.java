package io.duplex.internal;

import io.duplex.codec.Codec;
import io.duplex.codec.EncoderException;
import io.duplex.codec.PayloadSink;
import java.nio.ByteBuffer;
import java.util.Arrays;

/**
 * A growable heap buffer that holds one outbound frame: room for the header at the front, then
 * the payload a codec writes. The transport fills the header when the codec is done ({@link
 * #finishFrame}), so a message is encoded straight into the bytes that go to the socket.
 *
 * <p>Confined to one thread at a time (typically a thread-local per sender thread); not
 * thread-safe. The payload limit is checked on every write, so an oversized message fails while
 * it is being encoded, before the buffer grows past the limit.
 */
public final class FrameBuffer extends PayloadSink {
  /** Arrays for payloads this large or smaller are kept between messages. */
  static final int RETAIN_CAPACITY = 64 * 1024;
  /**
   * Arrays are kept too while the messages written into them are at most this large and fill at
   * least a quarter of them (so a kept array is under twice this size): a thread that sends 1 MiB
   * blocks one after another reuses one array instead of allocating one per block, and lets it
   * go at its first small message.
   */
  static final int RETAIN_LARGE_CAPACITY = 2 * 1024 * 1024;

  private final int headerSize;
  private final int initialCapacity;
  private int maxPayload;
  private byte[] array;
  // A reusable view of array for finishFrame, so a frame costs no ByteBuffer allocation.
  private ByteBuffer view;
  private int position;

  private FrameBuffer(int initialCapacity, int headerSize, int maxPayload) {
    Checks.positive(initialCapacity, "initialCapacity");
    Checks.notNegative(maxPayload, "maxPayload");
    this.headerSize = headerSize;
    this.initialCapacity = initialCapacity;
    this.maxPayload = maxPayload;
    this.array = new byte[headerSize + initialCapacity];
    this.position = headerSize;
  }

  /** A buffer for whole frames ({@link Wire#HEADER_SIZE} header bytes, then the payload). */
  public static FrameBuffer forFrames(int initialCapacity, int maxFrameLength) {
    Checks.positive(maxFrameLength, "maxFrameLength");
    return new FrameBuffer(initialCapacity, Wire.HEADER_SIZE, maxFrameLength - Wire.TYPE_SIZE);
  }

  /** A buffer with no header room, for encoding a payload on its own. */
  public static FrameBuffer forPayloadOnly(int initialCapacity, int maxPayload) {
    return new FrameBuffer(initialCapacity, 0, maxPayload);
  }

  /** Changes the payload limit for the next message (after a handshake, say). */
  public void maxPayload(int maxPayload) {
    this.maxPayload = Checks.notNegative(maxPayload, "maxPayload");
  }

  /**
   * Forgets the current message. Keeps the array for the next one if it is small, or if the
   * message just forgotten was at most {@link #RETAIN_LARGE_CAPACITY} bytes and filled a quarter
   * of it (the array itself may be up to twice that, as it grows by doubling); otherwise drops
   * it, so one big message does not pin its memory on this thread.
   */
  public void reset() {
    int capacity = array.length - headerSize;
    int used = size();
    if (capacity > RETAIN_CAPACITY
        && (used > RETAIN_LARGE_CAPACITY || (long) used * 4 < capacity)) {
      array = new byte[headerSize + initialCapacity];
    }
    position = headerSize;
  }

  /** The payload bytes this buffer can hold before it grows (for tests). */
  int capacity() {
    return array.length - headerSize;
  }

  @Override
  public int size() {
    return position - headerSize;
  }

  @Override
  public void write(int b) {
    ensure(1);
    array[position++] = (byte) b;
  }

  @Override
  public void write(byte[] b, int off, int len) {
    Checks.fromIndexSize(off, len, b.length);
    ensure(len);
    System.arraycopy(b, off, array, position, len);
    position += len;
  }

  @Override
  public void write(ByteBuffer src) {
    int len = src.remaining();
    ensure(len);
    src.get(array, position, len);
    position += len;
  }

  @Override
  public void writeShort(int v) {
    ensure(2);
    array[position] = (byte) (v >>> 8);
    array[position + 1] = (byte) v;
    position += 2;
  }

  @Override
  public void writeInt(int v) {
    ensure(4);
    Bytes.putInt(array, position, v);
    position += 4;
  }

  @Override
  public void writeLong(long v) {
    ensure(8);
    Bytes.putInt(array, position, (int) (v >>> 32));
    Bytes.putInt(array, position + 4, (int) v);
    position += 8;
  }

  /**
   * Writes the header for a frame of {@code type} in front of the payload and returns the whole
   * frame, from its first header byte to its last payload byte. The view shares this buffer's
   * array and is reused by the next call: use it before the next {@link #reset}.
   */
  public ByteBuffer finishFrame(byte type) {
    if (headerSize != Wire.HEADER_SIZE) {
      throw new IllegalStateException("buffer has no frame header room");
    }
    Bytes.putInt(array, 0, Wire.TYPE_SIZE + size());
    array[Wire.LENGTH_SIZE] = type;
    if (view == null || view.array() != array) {
      view = ByteBuffer.wrap(array);
    }
    view.clear().limit(position);
    return view;
  }

  /**
   * Encodes {@code message} with {@code codec} as a MESSAGE frame and returns it as {@link
   * #finishFrame} does. A codec that fails with anything but an {@link EncoderException} is
   * reported as one, naming the codec and the message type.
   *
   * @throws EncoderException if the codec refuses the message or it passes the payload limit
   */
  public <T> ByteBuffer encodeMessage(Codec<T> codec, T message) {
    try {
      codec.encode(message, this);
    } catch (EncoderException e) {
      throw e;
    } catch (RuntimeException e) {
      throw new EncoderException("codec '" + codec.name() + "' failed to encode a "
          + message.getClass().getName() + ": " + e, e);
    }
    return finishFrame(Wire.MESSAGE);
  }

  /** A copy of the payload bytes. */
  public byte[] payloadToArray() {
    return Arrays.copyOfRange(array, headerSize, position);
  }

  private void ensure(int more) {
    int payload = size();
    if (more > maxPayload - payload) {
      throw new EncoderException("message payload of more than " + maxPayload
          + " bytes (" + ((long) payload + more) + " so far) exceeds the max frame size; raise"
          + " maxFrameSize on both peers or split the message");
    }
    int needed = position + more;
    if (needed > array.length) {
      long grown = Math.max((long) array.length * 2, needed);
      long cap = (long) headerSize + maxPayload;
      array = Arrays.copyOf(array, (int) Math.min(Math.min(grown, cap), Integer.MAX_VALUE - 8));
    }
  }
}
