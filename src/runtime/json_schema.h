// JSON Schema and Qwen tool calls as byte grammars (grammar.h), for constrained decoding.
//
// json_schema_grammar() accepts exactly one JSON value (no whitespace around it) that
// validates against the schema, written the way a model writes JSON: keys in the order the
// schema declares them, bounded optional whitespace between tokens. docs/CONSTRAINTS.md lists
// every keyword and what is enforced; in short:
//   - type (a name or an array of names), enum, const, anyOf, oneOf (treated as anyOf), allOf
//     with one member, $ref to "#" or any "#/..." JSON pointer ($defs, definitions; recursion
//     allowed, nesting bounded by the matcher's stack), true / {} = any value, false = none;
//   - object: properties (in declared order; required ones always present, the others
//     optional), required, additionalProperties (false, true or a schema; when absent it is
//     false if "properties" is present and true otherwise, so generated text always
//     validates and {"type":"object"} still means any object);
//   - array: items, minItems, maxItems;
//   - string: minLength, maxLength (in code points), pattern (constraint_regex.h), format
//     (date, time, date-time, email, uuid, uri, ipv4, hostname; approximations documented);
//   - integer: minimum, maximum, exclusiveMinimum, exclusiveMaximum, exactly (bounds within
//     int64); number: the same bounds enforced exactly on the decimal text (no exponent is
//     then allowed); without bounds the full JSON number syntax with bounded digit counts;
//   - boolean, null;
//   - annotations accepted and ignored: title, description, default, examples, $schema, $id,
//     $comment, deprecated, readOnly, writeOnly, and the keyword "$defs"/"definitions" itself.
// Any other keyword, or a keyword with a malformed value, is an error that names its JSON
// path ("schema: /properties/age/minimum: ..."): InvalidArgument for malformed values and
// inconsistent bounds, Unsupported for keywords we do not implement (patternProperties,
// multipleOf, if/then/else, not, ...).
//
// Whitespace: between the structural tokens of objects and arrays a model may write nothing,
// one space, or one newline followed by at most max_indent spaces or tabs (pretty-printed
// JSON up to that indentation); never more, so a model cannot loop on whitespace.
//
// Thread-safety: plain functions; the returned Grammar is a value.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "base/status.h"
#include "runtime/grammar.h"

namespace qwl {

struct JsonGrammarOptions {
  int max_indent = 24;  // spaces or tabs allowed after a newline between JSON tokens
  // Digits allowed in an integer part, a fraction and an exponent of an unbounded number.
  int max_int_digits = 20;
  int max_frac_digits = 20;
  int max_exp_digits = 2;  // so every number fits a double (|x| < 1e120)
};

// The grammar of JSON values that validate against `schema_json` (a JSON Schema document).
Result<Grammar> json_schema_grammar(std::string_view schema_json,
                                    const JsonGrammarOptions& options = {});

// Any JSON object ("response_format": {"type": "json_object"}).
Grammar json_object_grammar(const JsonGrammarOptions& options = {});

// Qwen's tool-call format, one call or (with parallel) several separated by "\n":
//   <tool_call>\n{"name": "NAME", "arguments": ARGS}\n</tool_call>
// NAME is one of the tools in `tools_json` (the OpenAI "tools" array: [{"type": "function",
// "function": {"name", "description", "parameters"}}], or objects with "name" and "parameters"
// directly), or exactly `only_name` when given; ARGS validates against that tool's
// "parameters" schema (any object when absent). <tool_call> and </tool_call> are special
// tokens (Grammar::special_token). Errors name the tool: "tools[2] (get_weather):
// parameters: /properties/...", NotFound for an only_name that is not among the tools.
Result<Grammar> tool_call_grammar(std::string_view tools_json,
                                  const std::optional<std::string>& only_name, bool parallel,
                                  const JsonGrammarOptions& options = {});

}  // namespace qwl
