// UTF-8 encoding shared by the layers that build text from code points (tokenizer, chat).
#pragma once

#include <string>

namespace qwl {

// Appends the UTF-8 encoding of `cp` (at most U+10FFFF; callers pass valid scalar values).
void utf8_encode(char32_t cp, std::string* out);

}  // namespace qwl
