// Jinja lexer (internal to the chat layer): template source -> tokens, with jinja2's whitespace
// rules for the environment transformers uses (trim_blocks, lstrip_blocks, no
// keep_trailing_newline), so the text between tags comes out exactly as jinja2 emits it.
//
// What it does, in jinja2's order:
//   - newlines (\r\n, \r, \n) become \n and one trailing newline of the source is dropped;
//   - text runs up to the next "{{", "{%" or "{#"; a "-" after the opener strips all
//     whitespace before it; otherwise (no "+", and not "{{") the spaces and tabs between the
//     line start and a block or comment tag are removed (lstrip_blocks);
//   - a block or comment tag closed by "%}" / "#}" eats one following newline (trim_blocks),
//     "-%}" eats all following whitespace, "+%}" nothing; "}}" never eats a newline;
//   - {% raw %}...{% endraw %} is text;
//   - inside tags: names, strings (Python escapes), integers (0b/0o/0x, "_"), floats,
//     operators; a closing "%}" or "}}" only ends the tag when brackets are balanced.
// Errors are thrown as TemplateError (caught at the chat layer's public boundary) with the
// line and column of the offending character.
#pragma once

#include <cstdint>
#include <exception>
#include <string>
#include <string_view>
#include <vector>

namespace qwl::jinja {

struct SourcePos {
  int line = 1;  // 1-based
  int col = 1;   // 1-based, in bytes
};

// A template that cannot be parsed or rendered. Thrown inside the interpreter only; the public
// API turns it into a Status.
class TemplateError : public std::exception {
 public:
  enum class Kind : uint8_t {
    kError,        // bad syntax, or an operation Python would reject (TypeError, ...)
    kUnsupported,  // valid Jinja that this interpreter does not implement
    kLimit,        // a render limit was reached
    kRaised,       // the template called raise_exception(message)
  };
  TemplateError(std::string message, SourcePos pos, Kind kind = Kind::kError)
      : message_(std::move(message)), pos_(pos), kind_(kind) {}
  const char* what() const noexcept override { return message_.c_str(); }
  const std::string& message() const { return message_; }
  SourcePos pos() const { return pos_; }
  Kind kind() const { return kind_; }

 private:
  std::string message_;
  SourcePos pos_;
  Kind kind_;
};

enum class TokenType : uint8_t {
  kData,
  kVariableBegin,
  kVariableEnd,
  kBlockBegin,
  kBlockEnd,
  kName,
  kString,
  kInteger,
  kFloat,
  kOperator,
  kEof,
};

struct Token {
  TokenType type;
  std::string text;  // data, name, decoded string, operator text
  int64_t int_value = 0;
  double float_value = 0;
  SourcePos pos;

  bool is_op(std::string_view op) const { return type == TokenType::kOperator && text == op; }
  bool is_name(std::string_view name) const { return type == TokenType::kName && text == name; }
};

// Tokenizes `source`. Throws TemplateError on an unterminated tag, comment, raw block or string,
// an unbalanced bracket, a bad escape or a character that starts no token.
std::vector<Token> tokenize(std::string_view source);

}  // namespace qwl::jinja
