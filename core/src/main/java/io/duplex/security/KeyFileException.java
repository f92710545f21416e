package io.duplex.security;

import io.duplex.DuplexException;
import java.nio.file.Path;
import java.util.Objects;

/**
 * A key file could not be loaded or saved: it is missing, unreadable, open to other users, not a
 * PEM Ed25519 private key, or (when saving) already there. The message names the file and says
 * what to do; it never holds key material.
 */
public final class KeyFileException extends DuplexException {
  private static final long serialVersionUID = 1L;

  /** Transient: a Path is not serializable, so a deserialized exception has none. */
  private final transient Path path;

  /** An exception about the key file at {@code path}, with a message that says what to do. */
  public KeyFileException(String message, Path path) {
    super(message);
    this.path = Objects.requireNonNull(path, "path");
  }

  /** An exception about the key file at {@code path}, with a message and the underlying cause. */
  public KeyFileException(String message, Path path, Throwable cause) {
    super(message, cause);
    this.path = Objects.requireNonNull(path, "path");
  }

  /** The key file this exception is about, as the caller named it. */
  public Path path() {
    return path;
  }
}
