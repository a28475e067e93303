// Unicode helpers for the tokenizer: UTF-8 validation and repair, NFC, and the character classes
// that the Qwen2 pre-tokenizer regex uses.
//
// Ill-formed UTF-8 is repaired the way a WHATWG TextDecoder (and Node's Buffer.toString) does:
// each maximal subpart of an ill-formed sequence becomes one U+FFFD. That is what the reference
// tokenizer sees when a file is read as UTF-8 with replacement, so the tokenizer does the same.
//
// Character classes follow the reference (JavaScript regexes with the u flag): \p{L} and \p{N}
// by Unicode general category (utf8proc's tables, Unicode 15.0), and \s as ECMAScript defines it
// (White_Space without U+0085, plus U+FEFF). NFC is utf8proc's.
// Thread-safety: pure functions; the class table is built once, thread-safely, on first use.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace qwl {

constexpr char32_t kReplacementChar = 0xFFFD;

// True when `s` is well-formed UTF-8 (no overlongs, surrogates or code points above U+10FFFF).
bool utf8_is_valid(std::string_view s);

// `s` with every maximal subpart of an ill-formed sequence replaced by U+FFFD (EF BF BD).
// Well-formed input comes back unchanged.
std::string utf8_sanitize(std::string_view s);

// The length of the longest prefix of `s` that a streaming UTF-8 decoder can finish now: what
// follows it (at most 3 bytes) is the start of a sequence that more bytes could still complete.
// Equals s.size() when nothing is pending.
size_t utf8_complete_prefix(std::string_view s);

// Decodes the code point at s[pos] of well-formed UTF-8 and returns its length in bytes (1-4).
// Precondition: `s` is well-formed and pos < s.size().
size_t utf8_decode(std::string_view s, size_t pos, char32_t* cp);

// Appends the UTF-8 encoding of `cp` (a Unicode scalar value) to `out`.
void utf8_append(char32_t cp, std::string* out);

// NFC of well-formed UTF-8.
std::string nfc(std::string_view s);

// The same, without copying text that is already NFC: returns `s` itself, or a view of
// `*storage` holding the normalized text. Only the stretches around characters that NFC may
// change (combining marks, decomposable characters that do not survive NFC, possible second
// halves of a composition) go through utf8proc; the text is cut only before characters that
// NFC never changes nor combines with what precedes them, where normalizing the parts
// separately is the same as normalizing the whole.
std::string_view nfc_view(std::string_view s, std::string* storage);

// NFC by utf8proc over the whole text, without the quick check (the reference of the tests).
std::string nfc_full(std::string_view s);

// Character classes of the pre-tokenizer regex, as bit flags.
enum CharClass : uint8_t {
  kCharLetter = 1,  // \p{L}: Lu Ll Lt Lm Lo
  kCharNumber = 2,  // \p{N}: Nd Nl No
  kCharSpace = 4,   // ECMAScript \s
};
uint8_t char_class(char32_t cp);

}  // namespace qwl
