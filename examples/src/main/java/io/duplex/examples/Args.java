package io.duplex.examples;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The examples' command-line options: {@code --name value} pairs, each name from a fixed set,
 * each at most once. Anything else (an unknown flag, a flag without a value, a repeated flag, a
 * number that does not parse or is out of range) is a {@link UsageException}, which the programs
 * print with their usage before exiting with status {@value #USAGE_STATUS}.
 */
final class Args {
  /** The exit status of a program given bad options. */
  static final int USAGE_STATUS = 2;

  /** Bad options; the message says which and why. */
  static final class UsageException extends Exception {
    private static final long serialVersionUID = 1L;

    UsageException(String message) {
      super(message);
    }
  }

  private final Map<String, String> values;

  private Args(Map<String, String> values) {
    this.values = values;
  }

  /** Parses {@code args}; every flag must be {@code --} and a name in {@code known}. */
  static Args parse(String[] args, Set<String> known) throws UsageException {
    return parse(args, known, Set.of());
  }

  /**
   * Parses {@code args}: {@code --name value} for a name in {@code known}, or {@code --name}
   * alone for a name in {@code switches}.
   */
  static Args parse(String[] args, Set<String> known, Set<String> switches)
      throws UsageException {
    Map<String, String> values = new HashMap<>();
    for (int i = 0; i < args.length; i += 2) {
      String flag = args[i];
      String name = flag.startsWith("--") ? flag.substring(2) : "";
      if (switches.contains(name)) {
        if (values.put(name, "true") != null) {
          throw new UsageException("option " + flag + " given twice");
        }
        i--; // no value follows a switch
        continue;
      }
      if (!known.contains(name)) {
        throw new UsageException("unknown option '" + flag + "'");
      }
      if (i + 1 == args.length) {
        throw new UsageException("option " + flag + " needs a value");
      }
      if (values.put(name, args[i + 1]) != null) {
        throw new UsageException("option " + flag + " given twice");
      }
    }
    return new Args(values);
  }

  /** Whether the switch {@code --name} was given. */
  boolean has(String name) {
    return values.containsKey(name);
  }

  /** The value of {@code --name}, or {@code fallback} if it was not given. */
  String string(String name, String fallback) {
    return values.getOrDefault(name, fallback);
  }

  /** The value of {@code --name}, which must be one of {@code allowed}, or {@code fallback}. */
  String oneOf(String name, String fallback, List<String> allowed) throws UsageException {
    String v = string(name, fallback);
    if (!allowed.contains(v)) {
      throw new UsageException("--" + name + " must be " + String.join(" or ", allowed) + ": "
          + v);
    }
    return v;
  }

  /** The value of {@code --name}, which is required and must be a number in [min, max]. */
  int requiredInt(String name, int min, int max) throws UsageException {
    if (!values.containsKey(name)) {
      throw new UsageException("--" + name + " is required");
    }
    return intValue(name, 0, min, max);
  }

  /** The value of {@code --name}, a number in [min, max], or {@code fallback}. */
  int intValue(String name, int fallback, int min, int max) throws UsageException {
    String v = values.get(name);
    if (v == null) {
      return fallback;
    }
    int n;
    try {
      n = Integer.parseInt(v);
    } catch (NumberFormatException e) {
      throw new UsageException("--" + name + " must be a number: " + v);
    }
    if (n < min || n > max) {
      throw new UsageException("--" + name + " must be " + min + " to " + max + ": " + v);
    }
    return n;
  }
}
