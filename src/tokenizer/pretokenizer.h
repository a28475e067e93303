// The Qwen2 pre-tokenizer: splits normalized text into the pieces that BPE encodes one by one.
//
// It implements, by hand and in linear time, the regex of Qwen2/Qwen2.5/Qwen3 tokenizer.json
//   (?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|
//   \s*[\r\n]+|\s+(?!\S)|\s+
// with the reference's semantics (a JavaScript regex with the u flag, leftmost alternative
// first, greedy quantifiers with backtracking): contractions match ASCII letters of either case
// only; \p{N} is a single character; classes are those of unicode.h. Every character belongs to
// some alternative, so the pieces cover the text exactly.
// Thread-safety: a pure function.
#pragma once

#include <string_view>
#include <vector>

namespace qwl {

// Appends to `pieces` the consecutive pieces of `text` (well-formed UTF-8, normally NFC); each
// is a view into `text`.
void split_qwen2(std::string_view text, std::vector<std::string_view>* pieces);

}  // namespace qwl
