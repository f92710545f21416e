package io.duplex.nio.internal;

import io.duplex.Connection;
import io.duplex.PeerInfo;
import io.duplex.SlowPeerPolicy;
import java.net.InetSocketAddress;
import jdk.jfr.Category;
import jdk.jfr.DataAmount;
import jdk.jfr.Description;
import jdk.jfr.Event;
import jdk.jfr.Label;
import jdk.jfr.Name;
import jdk.jfr.StackTrace;

/**
 * duplex's JDK Flight Recorder events, under the category "duplex" in JDK Mission Control, beside
 * the GC and the threads: connections opened and closed (with the cause), handshakes that failed,
 * sends refused by backpressure, frames dropped by a deadline or the slow-peer policy, and reads
 * paused. Each costs nothing but a check while no recording has it enabled; they carry no stack
 * trace. Names and fields are listed in docs/METRICS.md. Any thread.
 */
final class Jfr {
  private Jfr() {}

  private static final String CATEGORY = "duplex";

  @Name("io.duplex.ConnectionOpened")
  @Label("Connection Opened")
  @Category(CATEGORY)
  @Description("A connection completed its handshake")
  @StackTrace(false)
  static final class Opened extends Event {
    @Label("Remote Address") String remote;
    @Label("Peer Node Id") String peer;
    @Label("Outbound") @Description("This side dialed") boolean outbound;
  }

  @Name("io.duplex.ConnectionClosed")
  @Label("Connection Closed")
  @Category(CATEGORY)
  @Description("A connection that had completed its handshake closed")
  @StackTrace(false)
  static final class Closed extends Event {
    @Label("Remote Address") String remote;
    @Label("Peer Node Id") String peer;
    @Label("Cause") @Description("Why it closed") String cause;
    @Label("Error") @Description("The error's class, or empty for an orderly close") String error;
    @Label("Bytes In") @DataAmount long bytesIn;
    @Label("Bytes Out") @DataAmount long bytesOut;
  }

  @Name("io.duplex.HandshakeFailed")
  @Label("Handshake Failed")
  @Category(CATEGORY)
  @Description("A connection failed before its handshake completed")
  @StackTrace(false)
  static final class HandshakeFailed extends Event {
    @Label("Remote Address") String remote;
    @Label("Outbound") @Description("This side dialed") boolean outbound;
    @Label("Cause") String cause;
    @Label("Error") String error;
  }

  @Name("io.duplex.SendRefused")
  @Label("Send Refused")
  @Category(CATEGORY)
  @Description("A send met the outbound hard limit; the slow-peer policy acted")
  @StackTrace(false)
  static final class SendRefused extends Event {
    @Label("Remote Address") String remote;
    @Label("Policy") String policy;
    @Label("Pending Bytes") @DataAmount long pending;
    @Label("Frame Bytes") @DataAmount long frame;
  }

  @Name("io.duplex.FrameDropped")
  @Label("Frame Dropped")
  @Category(CATEGORY)
  @Description("A queued frame was dropped before it started: its deadline passed, or"
      + " DROP_OLDEST made room")
  @StackTrace(false)
  static final class FrameDropped extends Event {
    @Label("Remote Address") String remote;
    @Label("Reason") String reason;
    @Label("Frame Bytes") @DataAmount long frame;
  }

  @Name("io.duplex.ReadPaused")
  @Label("Read Paused")
  @Category(CATEGORY)
  @Description("The read loop stopped reading a connection until the application or the socket"
      + " catches up")
  @StackTrace(false)
  static final class ReadPaused extends Event {
    @Label("Remote Address") String remote;
    @Label("Reason") String reason;
  }

  static void opened(Connection<?> c) {
    Opened e = new Opened();
    if (e.shouldCommit()) {
      e.remote = address(c.remoteAddress());
      e.peer = peer(c.peer());
      e.outbound = c.isOutbound();
      e.commit();
    }
  }

  static void closed(Connection<?> c, Throwable reason, long bytesIn, long bytesOut) {
    Closed e = new Closed();
    if (e.shouldCommit()) {
      e.remote = address(c.remoteAddress());
      e.peer = peer(c.peer());
      e.cause = reason.getMessage();
      e.error = reason.getCause() != null ? reason.getCause().getClass().getName() : "";
      e.bytesIn = bytesIn;
      e.bytesOut = bytesOut;
      e.commit();
    }
  }

  static void handshakeFailed(InetSocketAddress remote, boolean outbound, Throwable cause) {
    HandshakeFailed e = new HandshakeFailed();
    if (e.shouldCommit()) {
      e.remote = address(remote);
      e.outbound = outbound;
      e.cause = cause.getMessage();
      e.error = cause.getClass().getName();
      e.commit();
    }
  }

  static void sendRefused(Connection<?> c, SlowPeerPolicy policy, long pending, long frame) {
    SendRefused e = new SendRefused();
    if (e.shouldCommit()) {
      e.remote = address(c.remoteAddress());
      e.policy = policy.name();
      e.pending = pending;
      e.frame = frame;
      e.commit();
    }
  }

  static void frameDropped(Connection<?> c, long frame, String reason) {
    FrameDropped e = new FrameDropped();
    if (e.shouldCommit()) {
      e.remote = address(c.remoteAddress());
      e.reason = reason;
      e.frame = frame;
      e.commit();
    }
  }

  static void readPaused(Connection<?> c, String reason) {
    ReadPaused e = new ReadPaused();
    if (e.shouldCommit()) {
      e.remote = address(c.remoteAddress());
      e.reason = reason;
      e.commit();
    }
  }

  private static String address(InetSocketAddress a) {
    if (a == null) {
      return "";
    }
    return (a.getAddress() != null ? a.getAddress().getHostAddress() : a.getHostString()) + ":"
        + a.getPort();
  }

  private static String peer(PeerInfo p) {
    return p == null ? "" : p.nodeId().toString();
  }
}
