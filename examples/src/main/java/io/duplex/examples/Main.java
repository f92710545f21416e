package io.duplex.examples;

import java.io.PrintStream;
import java.util.Arrays;

/**
 * The entry point of {@code duplex-examples.jar}: picks a program by its first argument.
 *
 * <pre>
 *   java -jar examples/target/duplex-examples.jar [program] [options]
 * </pre>
 */
public final class Main {
  private Main() {}

  /** Runs the program named by {@code args[0]}, or prints the usage. */
  public static void main(String[] args) throws Exception {
    System.exit(run(args, System.out, System.err));
  }

  static int run(String[] args, PrintStream out, PrintStream err) throws Exception {
    if (args.length == 0 || args[0].equals("help") || args[0].equals("--help")) {
      usage(out);
      return 0;
    }
    String[] rest = Arrays.copyOfRange(args, 1, args.length);
    switch (args[0]) {
      case "echo-server":
        return EchoServer.run(rest, out, err);
      case "echo-client":
        return EchoClient.run(rest, out, err);
      default:
        err.println("unknown program '" + args[0] + "'");
        usage(err);
        return 2;
    }
  }

  private static void usage(PrintStream out) {
    out.println("duplex examples");
    out.println();
    out.println("usage: java -jar examples/target/duplex-examples.jar <program> [options]");
    out.println();
    out.println("programs:");
    out.println("  " + EchoServer.USAGE);
    out.println("      echoes every message back; stops gracefully on SIGTERM or Ctrl-C");
    out.println("  " + EchoClient.USAGE);
    out.println("      sends N messages, checks every echo, prints throughput and round trips");
    out.println("  help");
    out.println("      prints this text");
  }
}
