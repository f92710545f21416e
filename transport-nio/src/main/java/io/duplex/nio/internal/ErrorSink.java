package io.duplex.nio.internal;

import io.duplex.Connection;

/** Where the loops report errors: the user's error handler, then slf4j. Thread-safe. */
interface ErrorSink {
  /** Reports {@code error}, which ended or affected {@code connection} (null: none). */
  void report(Connection<?> connection, Throwable error);
}
