// Tests of UTF-8 repair, NFC and the pre-tokenizer's character classes.
#include "tokenizer/unicode.h"

#include <gtest/gtest.h>

namespace qwl {
namespace {

const std::string kFffd = "\xEF\xBF\xBD";

TEST(Utf8, ValidityFollowsTheStandard) {
  EXPECT_TRUE(utf8_is_valid(""));
  EXPECT_TRUE(utf8_is_valid("plain ascii, long enough to take the 8-byte path"));
  EXPECT_TRUE(utf8_is_valid("caf\xC3\xA9 \xE4\xBD\xA0 \xF0\x9F\x98\x80"));
  EXPECT_TRUE(utf8_is_valid(std::string("a\0b", 3)));
  EXPECT_FALSE(utf8_is_valid("\xC0\xAF"));          // overlong
  EXPECT_FALSE(utf8_is_valid("\xED\xA0\x80"));      // surrogate
  EXPECT_FALSE(utf8_is_valid("\xF4\x90\x80\x80"));  // above U+10FFFF
  EXPECT_FALSE(utf8_is_valid("\xE4\xBD"));          // truncated
  EXPECT_FALSE(utf8_is_valid("\x80"));
  EXPECT_FALSE(utf8_is_valid("12345678\xFF"));
}

// The expected strings are what Node's TextDecoder gives for the same bytes (checked with
// `new TextDecoder().decode(Buffer.from([...]))`): one U+FFFD per maximal subpart.
TEST(Utf8, SanitizeReplacesMaximalSubparts) {
  EXPECT_EQ(utf8_sanitize("a\xF0\x9F\x98"
                          "b"),
            "a" + kFffd + "b");
  EXPECT_EQ(utf8_sanitize("\xED\xA0\x80"), kFffd + kFffd + kFffd);
  EXPECT_EQ(utf8_sanitize("\xC0\xAF"), kFffd + kFffd);
  EXPECT_EQ(utf8_sanitize("\xF5"), kFffd);
  EXPECT_EQ(utf8_sanitize("\xE0\x80"), kFffd + kFffd);
  EXPECT_EQ(utf8_sanitize("\xF4\x90\x80\x80"), kFffd + kFffd + kFffd + kFffd);
  EXPECT_EQ(utf8_sanitize("\xE2\x82"), kFffd);
  EXPECT_EQ(utf8_sanitize("\xE4\xBD\xE4\xBD\xA0"), kFffd + "\xE4\xBD\xA0");
  EXPECT_EQ(utf8_sanitize("ok \xE4\xBD\xA0"), "ok \xE4\xBD\xA0");
}

TEST(Utf8, CompletePrefixHoldsBackOnlyUnfinishedCharacters) {
  EXPECT_EQ(utf8_complete_prefix(""), 0u);
  EXPECT_EQ(utf8_complete_prefix("abc"), 3u);
  EXPECT_EQ(utf8_complete_prefix("ab\xE4"), 2u);
  EXPECT_EQ(utf8_complete_prefix("ab\xE4\xBD"), 2u);
  EXPECT_EQ(utf8_complete_prefix("ab\xE4\xBD\xA0"), 5u);
  EXPECT_EQ(utf8_complete_prefix("\xF0\x9F\x98"), 0u);
  EXPECT_EQ(utf8_complete_prefix("\xF0\x9F\x98\x80"), 4u);
  // Bytes that can never complete are not held back: they are emitted as U+FFFD at once.
  EXPECT_EQ(utf8_complete_prefix("a\xFF"), 2u);
  EXPECT_EQ(utf8_complete_prefix("a\xE0\x80"), 3u);
  EXPECT_EQ(utf8_complete_prefix("a\x80"), 2u);
}

TEST(Utf8, DecodeAndAppendRoundTrip) {
  for (char32_t cp : {0x41u, 0xE9u, 0x4F60u, 0x1F600u, 0x10FFFFu, 0u}) {
    std::string s;
    utf8_append(cp, &s);
    char32_t back = 0;
    EXPECT_EQ(utf8_decode(s, 0, &back), s.size());
    EXPECT_EQ(back, cp);
  }
}

TEST(Nfc, ComposesAndKeepsOtherText) {
  EXPECT_EQ(nfc("e\xCC\x81"), "\xC3\xA9");                                 // e + U+0301 -> é
  EXPECT_EQ(nfc("\xE1\x84\x92\xE1\x85\xA1\xE1\x86\xAB"), "\xED\x95\x9C");  // Hangul jamo -> 한
  EXPECT_EQ(nfc("\xE2\x84\xAB"), "\xC3\x85");                              // Angstrom sign -> Å
  EXPECT_EQ(nfc("\xEF\xAC\x81"), "\xEF\xAC\x81");  // ﬁ ligature: NFC keeps compatibility forms
  EXPECT_EQ(nfc(std::string("a\0b", 3)), std::string("a\0b", 3));
  EXPECT_EQ(nfc("plain"), "plain");
}

TEST(Nfc, ViewReturnsTheInputWhenAlreadyNormal) {
  std::string storage;
  const std::string_view text = "plain, 你好, café, 한국어, 😀";
  EXPECT_EQ(nfc_view(text, &storage).data(), text.data());
  const std::string_view changed = nfc_view("cafe\xCC\x81!", &storage);
  EXPECT_EQ(changed, "caf\xC3\xA9!");
  EXPECT_EQ(changed.data(), storage.data());
}

// The quick check cuts the text before "inert" characters; normalizing piecewise must give
// what utf8proc gives for the whole text. Every code point of planes 0-2 is tried between a
// base letter, combining marks and Hangul jamo, which compose with it or around it.
TEST(Nfc, PiecewiseEqualsWholeForEveryCodePoint) {
  std::string storage;
  size_t mismatches = 0;
  for (char32_t cp = 0; cp < 0x30000; ++cp) {
    if (cp >= 0xD800 && cp <= 0xDFFF) continue;
    std::string s = "xa";
    utf8_append(cp, &s);
    s += "\xCC\x81\xCC\xA3";  // U+0301, U+0323: reordered and composed
    utf8_append(cp, &s);
    s += "\xE1\x84\x80";  // U+1100 (Hangul L), composes with a following V
    utf8_append(cp, &s);
    s += "\xE1\x85\xA1\xE1\x86\xA8";  // V, T jamo
    utf8_append(cp, &s);
    utf8_append(cp, &s);
    if (nfc_view(s, &storage) != nfc_full(s) && ++mismatches <= 5) {
      ADD_FAILURE() << "U+" << std::hex << static_cast<uint32_t>(cp);
    }
  }
  EXPECT_EQ(mismatches, 0u);
}

TEST(CharClass, MatchesTheRegexClasses) {
  EXPECT_EQ(char_class('a'), kCharLetter);
  EXPECT_EQ(char_class(0x4F60), kCharLetter);  // 你
  EXPECT_EQ(char_class(0x02B0), kCharLetter);  // modifier letter (Lm)
  EXPECT_EQ(char_class('7'), kCharNumber);
  EXPECT_EQ(char_class(0x00B2), kCharNumber);   // superscript two (No)
  EXPECT_EQ(char_class(0x2167), kCharNumber);   // Roman numeral eight (Nl)
  EXPECT_EQ(char_class(0x1D7CE), kCharNumber);  // mathematical bold digit zero, outside the BMP
  EXPECT_EQ(char_class(0x20000), kCharLetter);  // CJK extension B
  EXPECT_EQ(char_class(' '), kCharSpace);
  EXPECT_EQ(char_class(0x3000), kCharSpace);
  EXPECT_EQ(char_class(0xFEFF), kCharSpace);  // ECMAScript \s has the BOM ...
  EXPECT_EQ(char_class(0x0085), 0);           // ... and not NEL
  EXPECT_EQ(char_class(0x0301), 0);           // combining mark
  EXPECT_EQ(char_class(0x1F600), 0);          // emoji
  EXPECT_EQ(char_class('\''), 0);
}

}  // namespace
}  // namespace qwl
