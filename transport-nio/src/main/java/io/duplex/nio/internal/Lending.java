package io.duplex.nio.internal;

import io.duplex.Lane;
import io.duplex.PayloadHandler;
import io.duplex.TransportConfig;

/**
 * How a transport's connections receive: through the lent path ({@code handler} set, see {@link
 * PayloadHandler}) or by decoding messages ({@code handler} null), and whether lent buffers are
 * poisoned after each call (the debug switch). Immutable; one per transport. Each connection of
 * the lent path lends through a {@link Lender} of its own, made from it.
 *
 * @param handler the payload handler, or null
 * @param lanes the lane of each lane number: {@link Lane#DEFAULT}, then the configured lanes
 * @param poison whether each lent buffer (and each buffer a codec decodes from) is overwritten
 *     and emptied when its call returns
 */
record Lending<T>(PayloadHandler<T> handler, Lane[] lanes, boolean poison) {

  static <T> Lending<T> of(PayloadHandler<T> handler, TransportConfig config, boolean poison) {
    Lane[] lanes = new Lane[config.lanes().size() + 1];
    lanes[0] = Lane.DEFAULT;
    for (int i = 1; i < lanes.length; i++) {
      lanes[i] = config.lanes().get(i - 1);
    }
    return new Lending<>(handler, lanes, poison);
  }
}
