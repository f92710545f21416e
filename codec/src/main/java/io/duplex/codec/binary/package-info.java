/**
 * {@link io.duplex.codec.binary.ConsensusBinaryCodec}: a hand-written binary codec for the
 * example message family, and the worked example of writing a {@link io.duplex.codec.Codec}.
 */
package io.duplex.codec.binary;
