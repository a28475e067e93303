// Jinja parser (internal to the chat layer): tokens -> syntax tree, with jinja2's grammar and
// operator precedence (parser.py, 3.1).
//
// Statements: if/elif/else, for (tuple targets, "if" filter, else; "recursive" is rejected),
// set (names, tuples, namespace attributes, block form with filters), macro, call blocks,
// filter blocks, with, print, break/continue (the loopcontrols extension) and transformers'
// {% generation %}. Template inheritance and loading (extends, block, include, import, from)
// are rejected as unsupported: a chat template is a single string.
// Errors throw TemplateError with the position of the offending token; nesting deeper than
// kMaxNesting (expressions or blocks) is an error rather than a stack overflow.
#pragma once

#include <memory>
#include <string_view>

#include "chat/jinja_ast.h"

namespace qwl::jinja {

constexpr int kMaxNesting = 200;

std::unique_ptr<Program> parse_template(std::string_view source);

}  // namespace qwl::jinja
