// libFuzzer target: JSON Schema and pattern compilation (schemas come from API clients:
// response_format and tool parameters) and matching text against what compiles.
//
// Input: a schema (or, when the first byte is '~', a regular-expression pattern), then a NUL
// byte and a text to match. Whatever the input, compilation returns a value or an error and
// matching never fails an internal check; texts the grammar accepts as complete stay
// accepted when fed again byte by byte.
#include <cstdint>
#include <string_view>

#include "base/check.h"
#include "runtime/constraint_regex.h"
#include "runtime/json_schema.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  const size_t nul = input.find('\0');
  const std::string_view spec = input.substr(0, nul);
  const std::string_view text = nul == std::string_view::npos ? "" : input.substr(nul + 1);

  qwl::Grammar g;
  if (!spec.empty() && spec[0] == '~') {
    qwl::Result<qwl::GrammarExpr> content = qwl::json_string_pattern(&g, spec.substr(1));
    if (!content.ok()) return 0;
    g.add_rule("root", g.seq({g.literal("\""), *content, g.literal("\"")}));
  } else {
    qwl::Result<qwl::Grammar> schema = qwl::json_schema_grammar(spec);
    if (!schema.ok()) return 0;
    g = std::move(schema).value();
  }
  auto compiled = qwl::CompiledGrammar::compile(g, {}, size_t{1} << 16);
  if (!compiled.ok()) return 0;
  const bool whole = qwl::GrammarMatcher::matches(*compiled, text);
  qwl::GrammarMatcher m(*compiled);
  bool alive = true;
  for (char c : text) alive = alive && m.accept(std::string_view(&c, 1));
  QWL_CHECK(!whole || (alive && m.accepting()), "byte-by-byte matching disagrees");
  return 0;
}
