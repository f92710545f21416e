package io.duplex.codec.json;

import io.duplex.codec.DecoderException;

/**
 * A strict UTF-8 check of a whole JSON payload, run before Jackson sees it. Jackson's parser
 * alone accepts overlong forms (it reads {@code C0 AF} as {@code /}) and detects UTF-16 and
 * UTF-32 input by itself; RFC 8259 requires UTF-8 between systems, and two spellings of one
 * string are a classic way past a filter. This accepts exactly the well-formed sequences of the
 * Unicode standard (table 3-7) and refuses the NUL byte, which JSON text never contains raw and
 * which every UTF-16 or UTF-32 encoding of JSON does.
 */
final class Utf8 {
  private Utf8() {}

  /**
   * Checks {@code length} bytes of {@code bytes} from {@code offset}.
   *
   * @throws DecoderException naming where the first bad sequence starts (counted from {@code
   *     offset}) and what is wrong with it
   */
  static void check(byte[] bytes, int offset, int length) {
    check(java.nio.ByteBuffer.wrap(bytes), offset, length);
  }

  /**
   * Checks {@code length} bytes of {@code bytes} from index {@code offset} (absolute: the
   * buffer's position and limit are not used or moved).
   *
   * @throws DecoderException naming where the first bad sequence starts (counted from {@code
   *     offset}) and what is wrong with it
   */
  static void check(java.nio.ByteBuffer bytes, int offset, int length) {
    int end = offset + length;
    int i = offset;
    while (i < end) {
      int b = bytes.get(i);
      if (b > 0) { // ASCII: the whole payload, usually
        i++;
        continue;
      }
      if (b == 0) {
        throw invalid(i - offset, "a NUL byte, which JSON text never contains (UTF-16 input?)");
      }
      int lead = b & 0xFF;
      int more;
      int min = 0x80;
      int max = 0xBF;
      if (lead >= 0xC2 && lead <= 0xDF) {
        more = 1;
      } else if (lead == 0xE0) {
        more = 2;
        min = 0xA0; // below: an overlong 3-byte form
      } else if (lead == 0xED) {
        more = 2;
        max = 0x9F; // above: a UTF-16 surrogate
      } else if (lead >= 0xE1 && lead <= 0xEF) {
        more = 2;
      } else if (lead == 0xF0) {
        more = 3;
        min = 0x90; // below: an overlong 4-byte form
      } else if (lead == 0xF4) {
        more = 3;
        max = 0x8F; // above: past U+10FFFF
      } else if (lead >= 0xF1 && lead <= 0xF3) {
        more = 3;
      } else {
        throw invalid(i - offset, badLead(lead));
      }
      if (end - i <= more) {
        throw invalid(i - offset, "a " + (more + 1) + "-byte sequence cut short by the end of"
            + " the payload");
      }
      int second = bytes.get(i + 1) & 0xFF;
      if (second < min || second > max) {
        throw invalid(i - offset, badSecond(lead, second));
      }
      for (int k = 2; k <= more; k++) {
        if ((bytes.get(i + k) & 0xC0) != 0x80) {
          throw invalid(i - offset, "lead byte " + hex(lead) + " then " + hex(bytes.get(i + k))
              + " where continuation byte " + (k + 1) + " of " + (more + 1) + " belongs");
        }
      }
      i += more + 1;
    }
  }

  private static String badLead(int lead) {
    if (lead < 0xC0) {
      return "a continuation byte " + hex(lead) + " with no lead byte before it";
    }
    if (lead < 0xC2) {
      return "lead byte " + hex(lead) + " of an overlong (non-shortest) form";
    }
    return "byte " + hex(lead) + ", which never occurs in UTF-8"
        + (lead >= 0xFE ? " (a UTF-16 byte order mark?)" : "");
  }

  private static String badSecond(int lead, int second) {
    if ((second & 0xC0) != 0x80) {
      return "lead byte " + hex(lead) + " then " + hex(second) + ", not a continuation byte";
    }
    if (lead == 0xE0 || lead == 0xF0) {
      return "an overlong (non-shortest) form " + hex(lead) + " " + hex(second);
    }
    if (lead == 0xED) {
      return "an encoded UTF-16 surrogate " + hex(lead) + " " + hex(second);
    }
    return "a code point above U+10FFFF " + hex(lead) + " " + hex(second);
  }

  private static String hex(int b) {
    return String.format("0x%02X", b & 0xFF);
  }

  private static DecoderException invalid(int at, String what) {
    return new DecoderException("invalid UTF-8 in JSON message at byte " + at + ": " + what);
  }
}
