/**
 * duplex codecs: a Jackson JSON codec for a registered family of message types ({@code
 * io.duplex.codec.json}), a hand-written binary codec ({@code io.duplex.codec.binary}), and the
 * example consensus message family both encode ({@code io.duplex.codec.message}).
 */
module io.duplex.codec {
  requires transitive io.duplex.core;
  requires com.fasterxml.jackson.databind;

  exports io.duplex.codec.json;
  exports io.duplex.codec.binary;
  exports io.duplex.codec.message;

  opens io.duplex.codec.message to com.fasterxml.jackson.databind;
}
