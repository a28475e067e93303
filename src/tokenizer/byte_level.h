// The GPT-2 byte-to-unicode map of byte-level BPE vocabularies.
//
// Byte-level BPE works on bytes, but vocabulary files store each token as text: every byte is
// written as one printable code point (printable Latin-1 bytes as themselves, the other 68 bytes
// as U+0100..U+0143, so the space 0x20 is "Ġ" U+0120 and the newline "Ċ" U+010A). This maps
// between the two forms. Thread-safety: pure functions over constant tables.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace qwl {

// The code point that stands for byte `b` in vocabulary text.
char32_t byte_to_unicode(uint8_t b);

// The byte that code point `cp` stands for, or nullopt when `cp` is not one of the 256.
std::optional<uint8_t> unicode_to_byte(char32_t cp);

// Vocabulary text of raw bytes ("hi there" -> "hiĠthere").
std::string bytes_to_vocab_text(std::string_view bytes);

// Raw bytes of vocabulary text, or nullopt when the text is not well-formed UTF-8 or holds a
// code point outside the map.
std::optional<std::string> vocab_text_to_bytes(std::string_view text);

}  // namespace qwl
