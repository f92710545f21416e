package io.duplex.benchmarks.baseline;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.net.Socket;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The design duplex replaces: one blocking {@code java.net.Socket} per peer and ONE lock around
 * both directions, as in a node whose connection object is shared behind a mutex. A send holds
 * the lock while it blocks in {@code write}; a receive holds it while it reads a whole frame.
 * Same framing as the other baselines: a 4-byte big-endian length, then the payload.
 * Test-grade code for the benchmarks; do not use it.
 */
public final class LockedConnection implements AutoCloseable {
  private final Socket socket;
  private final ReentrantLock lock = new ReentrantLock(true);
  private final DataOutputStream out;
  private final DataInputStream in;

  public LockedConnection(Socket socket) throws IOException {
    this.socket = socket;
    socket.setTcpNoDelay(true);
    this.out = new DataOutputStream(new BufferedOutputStream(socket.getOutputStream(), 64 * 1024));
    this.in = new DataInputStream(new BufferedInputStream(socket.getInputStream(), 64 * 1024));
  }

  /** Writes one frame and flushes, holding the connection's one lock (blocks on a full socket). */
  public void send(byte[] payload) throws IOException {
    send(payload, 1);
  }

  /** Writes {@code count} frames of {@code payload} and flushes once, holding the lock throughout. */
  public void send(byte[] payload, int count) throws IOException {
    lock.lock();
    try {
      for (int i = 0; i < count; i++) {
        out.writeInt(payload.length);
        out.write(payload);
      }
      out.flush();
    } finally {
      lock.unlock();
    }
  }

  /** Reads one frame, holding the connection's one lock while it waits for the bytes. */
  public byte[] receive() throws IOException {
    lock.lock();
    try {
      byte[] payload = new byte[in.readInt()];
      in.readFully(payload);
      return payload;
    } finally {
      lock.unlock();
    }
  }

  /**
   * Reads one frame if its first bytes have arrived, holding the lock until the whole frame is
   * read; returns null at once, without the lock, if nothing has arrived. A reader thread polls
   * this: holding the lock in a blocking read while idle would deadlock two such connections
   * whose senders wait on each other's readers.
   */
  public byte[] receiveIfAvailable() throws IOException {
    lock.lock();
    try {
      if (in.available() == 0) {
        return null;
      }
      byte[] payload = new byte[in.readInt()];
      in.readFully(payload);
      return payload;
    } finally {
      lock.unlock();
    }
  }

  @Override
  public void close() throws IOException {
    socket.close();
  }
}
