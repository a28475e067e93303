// Tests of the GPT-2 byte <-> unicode map.
#include "tokenizer/byte_level.h"

#include <gtest/gtest.h>

#include <set>

namespace qwl {
namespace {

TEST(ByteLevel, KnownEntries) {
  EXPECT_EQ(byte_to_unicode('A'), U'A');
  EXPECT_EQ(byte_to_unicode(' '), 0x120u);   // Ġ
  EXPECT_EQ(byte_to_unicode('\n'), 0x10Au);  // Ċ
  EXPECT_EQ(byte_to_unicode(0x00), 0x100u);
  EXPECT_EQ(byte_to_unicode(0x7F), 0x121u);
  EXPECT_EQ(byte_to_unicode(0xAD), 0x143u);  // soft hyphen, the last remapped byte
  EXPECT_EQ(byte_to_unicode(0xE4), 0xE4u);
}

TEST(ByteLevel, IsABijection) {
  std::set<char32_t> seen;
  for (int b = 0; b < 256; ++b) {
    const char32_t cp = byte_to_unicode(static_cast<uint8_t>(b));
    EXPECT_TRUE(seen.insert(cp).second) << b;
    ASSERT_TRUE(unicode_to_byte(cp).has_value());
    EXPECT_EQ(*unicode_to_byte(cp), b);
  }
  EXPECT_FALSE(unicode_to_byte(' ').has_value());
  EXPECT_FALSE(unicode_to_byte(0x144).has_value());
  EXPECT_FALSE(unicode_to_byte(0x4F60).has_value());
}

TEST(ByteLevel, TextRoundTrip) {
  EXPECT_EQ(bytes_to_vocab_text(" world\n"), "\xC4\xA0world\xC4\x8A");
  EXPECT_EQ(bytes_to_vocab_text("\xE4\xBD\xA0"), "\xC3\xA4\xC2\xBD\xC5\x82");  // 你 -> ä½ł
  std::string all;
  for (int b = 0; b < 256; ++b) all.push_back(static_cast<char>(b));
  EXPECT_EQ(vocab_text_to_bytes(bytes_to_vocab_text(all)), all);
  EXPECT_FALSE(vocab_text_to_bytes("a b").has_value());  // a raw space is not vocab text
  EXPECT_FALSE(vocab_text_to_bytes("\xFF").has_value());
}

}  // namespace
}  // namespace qwl
