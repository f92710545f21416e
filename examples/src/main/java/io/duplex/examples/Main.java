package io.duplex.examples;

import java.io.PrintStream;
import java.util.Arrays;

/**
 * The entry point of {@code duplex-examples.jar}: runs the program its first argument names, and
 * exits with that program's status (0 success, 1 failure, 2 bad options).
 *
 * <pre>
 *   java -jar examples/target/duplex-examples.jar [program] [options]
 * </pre>
 */
public final class Main {
  private Main() {}

  /** Runs the program named by {@code args[0]}, or prints the usage. */
  public static void main(String[] args) {
    System.exit(run(args, System.out, System.err));
  }

  static int run(String[] args, PrintStream out, PrintStream err) {
    if (args.length == 0 || args[0].equals("help") || args[0].equals("--help")) {
      usage(out);
      return 0;
    }
    String[] rest = Arrays.copyOfRange(args, 1, args.length);
    switch (args[0]) {
      case "demo":
        return Demo.run(rest, out, err);
      case "gossip":
        return GossipExample.run(rest, out, err);
      case "echo-server":
        return EchoServer.run(rest, out, err);
      case "echo-client":
        return EchoClient.run(rest, out, err);
      default:
        err.println("unknown program '" + args[0] + "'");
        usage(err);
        return Args.USAGE_STATUS;
    }
  }

  private static void usage(PrintStream out) {
    out.println("duplex examples");
    out.println();
    out.println("usage: java -jar examples/target/duplex-examples.jar <program> [options]");
    out.println();
    out.println("programs:");
    out.println("  " + Demo.USAGE);
    out.println("      a small P2P network on 127.0.0.1: a rotating proposer broadcasts a block");
    out.println("      every 200 ms, every node votes on it, the last --slow nodes read slowly;");
    out.println("      prints progress and a summary, for duplex (split), the single-locked");
    out.println("      design (locked), or both side by side. Duplex puts proposals on a blocks");
    out.println("      lane and votes on a consensus lane; --lanes off runs it on one lane, as");
    out.println("      before lanes, and --lanes both runs it both ways for comparison.");
    out.println("      Exit 1 if duplex lost a message.");
    out.println("  " + GossipExample.USAGE);
    out.println("      the custom codec example: nodes that speak GossipCodec, a binary codec of");
    out.println("      the example's own messages, flood rumors to each other until all know all.");
    out.println("  " + EchoServer.USAGE);
    out.println("      echoes every message back on its connection until SIGTERM or Ctrl-C,");
    out.println("      which close it gracefully; prints one line once it listens (--port 0");
    out.println("      picks a free port). Default codec: json.");
    out.println("  " + EchoClient.USAGE);
    out.println("      sends N messages (default 10000) of about B bytes (default 256), at most");
    out.println("      W (default 64) unanswered; checks every echo is intact and in order;");
    out.println("      prints msg/s, MB/s and round-trip p50/p90/p99/max in microseconds.");
    out.println("      Exit 0 if all came back intact and in order, 1 otherwise.");
    out.println("  help");
    out.println("      prints this text");
    out.println();
    out.println("codecs: json and binary carry the consensus messages (Proposal, Vote, Status);");
    out.println("bytes carries raw byte arrays. Client and server must use the same codec.");
    out.println("exit status: 0 success, 1 failure, 2 bad options.");
  }
}
