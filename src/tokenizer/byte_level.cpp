// GPT-2 byte <-> unicode map (see byte_level.h). The tables are built once from the rule:
// bytes '!'..'~', 0xA1..0xAC and 0xAE..0xFF keep their own code point; the remaining bytes, in
// increasing order, take U+0100, U+0101, ...
#include "tokenizer/byte_level.h"

#include <array>

#include "tokenizer/unicode.h"

namespace qwl {
namespace {

struct Tables {
  std::array<char32_t, 256> to_unicode{};
  std::array<int16_t, 0x144> to_byte{};  // code points up to U+0143; -1 where unmapped
};

const Tables& tables() {
  static const Tables t = [] {
    Tables r;
    r.to_byte.fill(-1);
    auto keeps_itself = [](int b) {
      return (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
    };
    char32_t next = 0x100;
    for (int b = 0; b < 256; ++b) {
      const char32_t cp = keeps_itself(b) ? static_cast<char32_t>(b) : next++;
      r.to_unicode[b] = cp;
      r.to_byte[cp] = static_cast<int16_t>(b);
    }
    return r;
  }();
  return t;
}

}  // namespace

char32_t byte_to_unicode(uint8_t b) {
  return tables().to_unicode[b];
}

std::optional<uint8_t> unicode_to_byte(char32_t cp) {
  if (cp >= tables().to_byte.size() || tables().to_byte[cp] < 0) return std::nullopt;
  return static_cast<uint8_t>(tables().to_byte[cp]);
}

std::string bytes_to_vocab_text(std::string_view bytes) {
  std::string out;
  out.reserve(bytes.size() * 2);
  for (char c : bytes) utf8_append(byte_to_unicode(static_cast<uint8_t>(c)), &out);
  return out;
}

std::optional<std::string> vocab_text_to_bytes(std::string_view text) {
  if (!utf8_is_valid(text)) return std::nullopt;
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size();) {
    char32_t cp;
    i += utf8_decode(text, i, &cp);
    const std::optional<uint8_t> b = unicode_to_byte(cp);
    if (!b) return std::nullopt;
    out.push_back(static_cast<char>(*b));
  }
  return out;
}

}  // namespace qwl
