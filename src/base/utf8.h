// UTF-8 shared by the layers: encoding code points (tokenizer, chat) and cutting text short
// without splitting a character (error messages, bounded tool results).
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace qwl {

// Appends the UTF-8 encoding of `cp` (at most U+10FFFF; callers pass valid scalar values).
void utf8_encode(char32_t cp, std::string* out);

// The longest prefix of `text` of at most `max_bytes` bytes that does not end inside a UTF-8
// sequence (continuation bytes are never kept without their lead byte).
std::string_view utf8_prefix(std::string_view text, size_t max_bytes);

// `text` when it fits in `max_bytes`, else utf8_prefix(text, max_bytes) followed by `mark`:
// client text echoed in an error message, a long result shown in part.
std::string utf8_shorten(std::string_view text, size_t max_bytes, std::string_view mark = "...");

}  // namespace qwl
