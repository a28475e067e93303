// JSON string text as grammar expressions: one character of a JSON string drawn from a set of
// code points (raw or escaped as JSON requires), and a regular-expression pattern (the
// ECMA-262 subset JSON Schema's "pattern" keyword uses in practice) turned into the grammar of
// the string contents that match it.
//
// Encoding: a character is written raw when JSON allows it (U+0020 and above, except '"' and
// '\'; U+007F..U+009F are written escaped too, being controls), '"' and '\' as \" and \\, '/'
// raw or as \/, controls as \b \f \n \r \t where those exist and otherwise as \u00XX (hex
// digits of either case). Other characters are never \u-escaped inside a pattern (a model has
// no reason to), so generated text round-trips through any JSON parser to the same string.
//
// Pattern subset: literals, '.', classes [...] with ranges and negation, \d \D \w \W \s \S,
// escapes \n \r \t \f \v \0 \xHH \uHHHH \u{H...} \cX and identity escapes, groups (...),
// (?:...) and (?<name>...), alternation, quantifiers * + ? {m} {m,} {m,n} (lazy '?' suffixes
// are accepted: they change nothing for generation), and the anchors ^ and $ at the start and
// end of the pattern or of its top-level alternatives. A pattern is searched, as JSON Schema
// says: an alternative without ^ may be preceded by any text and one without $ followed by
// any. Errors (Unsupported) name the construct and its offset: lookahead and lookbehind,
// backreferences, word boundaries \b \B, Unicode properties \p{...}, anchors elsewhere, and
// repetition bounds above kMaxPatternRepeat; InvalidArgument for a malformed pattern.
#pragma once

#include <string_view>
#include <vector>

#include "base/status.h"
#include "runtime/grammar.h"

namespace qwl {

inline constexpr int kMaxPatternRepeat = 1000;

// One character of JSON string content whose decoded code point is in `set`.
GrammarExpr json_string_char(Grammar* g, std::vector<CodepointRange> set);

// Any one character of JSON string content: raw (any code point but controls, '"' and '\'),
// a short escape, or \uXXXX (a surrogate only as a high-low pair, so the text decodes).
GrammarExpr json_string_any_char(Grammar* g);

// The contents of a JSON string (without the quotes) whose decoded value the pattern matches.
Result<GrammarExpr> json_string_pattern(Grammar* g, std::string_view pattern);

}  // namespace qwl
