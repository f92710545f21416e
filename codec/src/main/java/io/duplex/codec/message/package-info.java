/**
 * duplex's example message family, {@link io.duplex.codec.message.ConsensusMessage}: what a
 * blockchain node's consensus layer sends to its peers. Both codecs of this module encode it, and
 * the demos and benchmarks use it.
 */
package io.duplex.codec.message;
