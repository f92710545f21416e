package io.duplex.examples;

import java.util.HashMap;
import java.util.Map;
import java.util.Set;

/** A tiny {@code --flag value} parser that refuses unknown flags and bad numbers. */
final class Args {
  /** A usage error: the program prints it with its usage and exits with status 2. */
  static final class UsageException extends Exception {
    private static final long serialVersionUID = 1L;

    UsageException(String message) {
      super(message);
    }
  }

  private final Map<String, String> values = new HashMap<>();

  private Args() {}

  /** Parses {@code --name value} pairs; every name must be in {@code known}. */
  static Args parse(String[] args, Set<String> known) throws UsageException {
    Args parsed = new Args();
    for (int i = 0; i < args.length; i++) {
      String flag = args[i];
      if (!flag.startsWith("--") || !known.contains(flag.substring(2))) {
        throw new UsageException("unknown option '" + flag + "'");
      }
      if (i + 1 == args.length) {
        throw new UsageException("option " + flag + " needs a value");
      }
      parsed.values.put(flag.substring(2), args[++i]);
    }
    return parsed;
  }

  String string(String name, String fallback) {
    return values.getOrDefault(name, fallback);
  }

  int integer(String name, int fallback, int min, int max) throws UsageException {
    String v = values.get(name);
    if (v == null) {
      return fallback;
    }
    try {
      int n = Integer.parseInt(v);
      if (n < min || n > max) {
        throw new UsageException("--" + name + " must be " + min + ".." + max + ": " + v);
      }
      return n;
    } catch (NumberFormatException e) {
      throw new UsageException("--" + name + " must be a number: " + v);
    }
  }

  boolean has(String name) {
    return values.containsKey(name);
  }
}
