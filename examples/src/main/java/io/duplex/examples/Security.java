package io.duplex.examples;

import io.duplex.TransportConfig;
import io.duplex.security.Identity;
import io.duplex.security.KeyFileException;
import java.nio.file.Path;

/**
 * The examples' security options: {@code --key FILE} (the node's identity key, made there if
 * the file does not exist; a fresh key for this run when absent) and {@code --insecure}
 * (insecure plaintext, which every peer must use too).
 */
final class Security {
  static final String USAGE = "[--key FILE | --insecure]";

  private Security() {}

  /**
   * A configuration builder for the options: secure with the key, or insecure plaintext.
   *
   * @throws Args.UsageException if both are given
   * @throws KeyFileException if the key file is refused (its message says why and what to do)
   */
  static TransportConfig.Builder config(Args a) throws Args.UsageException {
    String key = a.string("key", null);
    if (a.has("insecure")) {
      if (key != null) {
        throw new Args.UsageException("--key and --insecure contradict each other: a plaintext"
            + " connection proves no key");
      }
      return TransportConfig.builder().insecurePlaintext();
    }
    Identity identity = key == null ? Identity.generate() : Identity.loadOrGenerate(Path.of(key));
    return TransportConfig.builder().identity(identity);
  }

  /** How a configuration connects, for the programs' first line: its node id, or INSECURE. */
  static String describe(TransportConfig config) {
    return config.insecurePlaintext() ? "INSECURE plaintext" : "node " + config.nodeId().toHex();
  }
}
