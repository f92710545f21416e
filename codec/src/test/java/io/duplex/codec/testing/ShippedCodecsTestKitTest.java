package io.duplex.codec.testing;

import io.duplex.codec.binary.ConsensusBinaryCodec;
import io.duplex.codec.json.JsonCodec;
import io.duplex.codec.testkit.CodecTestKit;
import org.junit.jupiter.api.Test;

/** The codecs duplex ships pass the same kit it offers codec authors. */
class ShippedCodecsTestKitTest {
  @Test
  void theJsonCodecPassesTheKit() {
    CodecTestKit.of(JsonCodec.consensus()).garbageSamples(500).checkAll(Messages.small());
  }

  @Test
  void theBinaryCodecPassesTheKit() {
    CodecTestKit.of(ConsensusBinaryCodec.instance()).checkAll(Messages.small());
  }
}
