// Validation of a JSON value against a tool's JSON Schema: what the agent loop and the MCP server
// check a tool call's arguments with before anything runs (runtime/json_schema.h turns the same
// schemas into a grammar for generation; this checks values that came from elsewhere: an MCP
// client, a model decoded without the grammar, a remote backend).
//
// Keywords (the subset our tools and typical MCP tools use; JSON Schema 2020-12 semantics):
//   type (a name or an array of names; "integer" accepts any number with no fraction, 2.0 too),
//   enum, const, properties, required, additionalProperties (false, true or a schema; absent
//   means any), items (one schema for every element), minItems, maxItems, minLength, maxLength
//   (in Unicode code points), pattern (ECMAScript syntax, searched unless anchored),
//   minimum, maximum, exclusiveMinimum, exclusiveMaximum (numbers), anyOf, oneOf, allOf, and
//   the schemas true (anything) and false (nothing).
// Annotations are accepted and ignored: title, description, default, examples, format, $schema,
// $id, $comment, deprecated, readOnly, writeOnly, $defs, definitions. Any other keyword
// ($ref, not, if/then/else, patternProperties, multipleOf, ...) is Unsupported, naming the
// schema path, rather than silently not checked.
//
// Errors: InvalidArgument listing up to kMaxSchemaErrors problems separated by "; ", each
// starting with the JSON pointer of the offending value ("/options/2: expected a string, got
// 12"; the root is written "(root)"), so that a model or an MCP client can correct the call.
// Unsupported / InvalidArgument for a malformed schema ("schema /properties/q/maxLength: ...").
// Thread-safety: plain functions; compiled patterns are cached per thread.
#pragma once

#include <nlohmann/json.hpp>

#include "base/status.h"

namespace qwl::agent {

inline constexpr int kMaxSchemaErrors = 5;

// Ok when `value` validates against `schema` (a parsed JSON Schema document).
Status validate_arguments(const nlohmann::json& schema, const nlohmann::json& value);

}  // namespace qwl::agent
