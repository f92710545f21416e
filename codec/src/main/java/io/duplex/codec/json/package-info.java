/**
 * {@link io.duplex.codec.json.JsonCodec}: a JSON codec on Jackson for a family of message classes
 * registered by wire name, strict and safe against hostile peers.
 */
package io.duplex.codec.json;
