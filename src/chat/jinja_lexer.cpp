// Jinja lexer: a hand-written equivalent of jinja2's regex lexer (lexer.py, 3.1) for the
// default delimiters, trim_blocks=True and lstrip_blocks=True.
//
// The whitespace rules are the part that decides byte equality with the reference, so they
// follow jinja2's steps literally: the "-" strip uses Python's str.rstrip() (Unicode
// whitespace), lstrip_blocks strips only when the text between the last newline (or the start
// of a line, "line_starting": the previous match ended with "\n") and the tag is non-empty
// whitespace, and trim_blocks eats one "\n" after "%}" and "#}" but not after "}}".
#include "chat/jinja_lexer.h"

#include <fmt/format.h>

#include <cstring>

#include "chat/jinja_value.h"

namespace qwl::jinja {
namespace {

// Whitespace as Python's re \s sees it (str patterns): ASCII plus Unicode spaces.
size_t space_len_at(std::string_view s, size_t pos) {
  size_t p = pos;
  char32_t cp = utf8_next(s, &p);
  return py_is_space(cp) ? p - pos : 0;
}

size_t skip_spaces(std::string_view s, size_t pos) {
  while (pos < s.size()) {
    size_t n = space_len_at(s, pos);
    if (n == 0) break;
    pos += n;
  }
  return pos;
}

bool all_spaces(std::string_view s) {
  return skip_spaces(s, 0) == s.size();
}

std::string rstrip_spaces(std::string_view s) {
  return py_strip(s, std::nullopt, false, true);
}

bool is_digit(char c) {
  return c >= '0' && c <= '9';
}
bool is_name_start(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}
bool is_name_char(char c) {
  return is_name_start(c) || is_digit(c);
}

class Lexer {
 public:
  explicit Lexer(std::string source) : src_(std::move(source)) { line_starts_.push_back(0); }

  std::vector<Token> run() {
    for (size_t i = 0; i < src_.size(); ++i)
      if (src_[i] == '\n') line_starts_.push_back(i + 1);
    size_t pos = 0;
    bool line_starting = true;
    while (pos < src_.size()) {
      size_t tag = find_tag(pos);
      if (tag == std::string::npos) {
        emit_data(src_.substr(pos), pos);
        break;
      }
      char kind = src_[tag + 1];  // '{', '%' or '#'
      char sign = tag + 2 < src_.size() ? src_[tag + 2] : '\0';
      if (sign != '-' && sign != '+') sign = '\0';
      std::string text = src_.substr(pos, tag - pos);
      if (sign == '-') {
        text = rstrip_spaces(text);
      } else if (sign != '+' && kind != '{') {
        size_t l_pos = text.rfind('\n');
        l_pos = l_pos == std::string::npos ? 0 : l_pos + 1;
        if (l_pos > 0 || line_starting) {
          std::string_view tail = std::string_view(text).substr(l_pos);
          if (!tail.empty() && all_spaces(tail)) text.resize(l_pos);
        }
      }
      emit_data(text, pos);
      size_t open_end = tag + 2 + (sign ? 1 : 0);
      size_t raw_end = 0;
      if (kind == '%' && match_raw_begin(open_end, &raw_end)) {
        line_starting = src_[raw_end - 1] == '\n';
        pos = lex_raw(raw_end, &line_starting);
        continue;
      }
      if (kind == '#') {
        pos = lex_comment(open_end, tag);
      } else {
        pos = lex_tag(open_end, tag, kind == '%');
      }
      line_starting = pos > 0 && src_[pos - 1] == '\n';
    }
    tokens_.push_back(Token{TokenType::kEof, "", 0, 0, pos_of(src_.size())});
    return std::move(tokens_);
  }

 private:
  SourcePos pos_of(size_t offset) const {
    size_t lo = 0;
    size_t hi = line_starts_.size();
    while (hi - lo > 1) {
      size_t mid = (lo + hi) / 2;
      if (line_starts_[mid] <= offset) {
        lo = mid;
      } else {
        hi = mid;
      }
    }
    return SourcePos{static_cast<int>(lo + 1), static_cast<int>(offset - line_starts_[lo] + 1)};
  }

  [[noreturn]] void fail(std::string message, size_t offset) const {
    throw TemplateError(std::move(message), pos_of(offset));
  }

  size_t find_tag(size_t pos) const {
    while (true) {
      size_t p = src_.find('{', pos);
      if (p == std::string::npos || p + 1 >= src_.size()) return std::string::npos;
      char c = src_[p + 1];
      if (c == '{' || c == '%' || c == '#') return p;
      pos = p + 1;
    }
  }

  void emit_data(std::string text, size_t offset) {
    if (text.empty()) return;
    tokens_.push_back(Token{TokenType::kData, std::move(text), 0, 0, pos_of(offset)});
  }

  // "{%[-+]? \s* raw \s* (-%}\s* | %})": on a match, *end is the offset after it.
  bool match_raw_begin(size_t p, size_t* end) const {
    p = skip_spaces(src_, p);
    if (src_.compare(p, 3, "raw") != 0) return false;
    p += 3;
    if (p < src_.size() && is_name_char(src_[p])) return false;
    p = skip_spaces(src_, p);
    if (src_.compare(p, 3, "-%}") == 0) {
      *end = skip_spaces(src_, p + 3);
      return true;
    }
    if (src_.compare(p, 2, "%}") == 0) {
      *end = p + 2;
      return true;
    }
    return false;
  }

  // Text up to "{%[-+]? \s* endraw \s* (+%} | -%}\s* | %}\n?)", with the same strip rules as
  // text before any block tag.
  size_t lex_raw(size_t pos, bool* line_starting) {
    size_t search = pos;
    while (true) {
      size_t p = src_.find("{%", search);
      if (p == std::string::npos) fail("Missing end of raw directive", pos);
      size_t q = p + 2;
      char sign = q < src_.size() && (src_[q] == '-' || src_[q] == '+') ? src_[q] : '\0';
      if (sign) ++q;
      q = skip_spaces(src_, q);
      if (src_.compare(q, 6, "endraw") != 0) {
        search = p + 1;
        continue;
      }
      q = skip_spaces(src_, q + 6);
      size_t end = 0;
      if (src_.compare(q, 3, "+%}") == 0) {
        end = q + 3;
      } else if (src_.compare(q, 3, "-%}") == 0) {
        end = skip_spaces(src_, q + 3);
      } else if (src_.compare(q, 2, "%}") == 0) {
        end = q + 2;
        if (end < src_.size() && src_[end] == '\n') ++end;
      } else {
        search = p + 1;
        continue;
      }
      std::string text = src_.substr(pos, p - pos);
      if (sign == '-') {
        text = rstrip_spaces(text);
      } else if (sign != '+') {
        size_t l_pos = text.rfind('\n');
        l_pos = l_pos == std::string::npos ? 0 : l_pos + 1;
        // line_starting is about the raw-begin match (it ends with "%}" or eaten spaces).
        if (l_pos > 0 || *line_starting) {
          std::string_view tail = std::string_view(text).substr(l_pos);
          if (!tail.empty() && all_spaces(tail)) text.resize(l_pos);
        }
      }
      emit_data(text, pos);
      *line_starting = src_[end - 1] == '\n';
      return end;
    }
  }

  size_t lex_comment(size_t pos, size_t open) {
    for (size_t p = pos; p + 1 < src_.size(); ++p) {
      if (src_.compare(p, 3, "+#}") == 0) return p + 3;
      if (src_.compare(p, 3, "-#}") == 0) return skip_spaces(src_, p + 3);
      if (src_.compare(p, 2, "#}") == 0) {
        size_t end = p + 2;
        if (end < src_.size() && src_[end] == '\n') ++end;
        return end;
      }
    }
    fail("Missing end of comment tag", open);
  }

  // Tokens of a "{{ ... }}" or "{% ... %}" tag starting after its opener; returns the offset
  // after the closing delimiter (and what it eats).
  size_t lex_tag(size_t pos, size_t open, bool block) {
    tokens_.push_back(
        Token{block ? TokenType::kBlockBegin : TokenType::kVariableBegin, "", 0, 0, pos_of(open)});
    std::vector<char> brackets;
    while (true) {
      if (pos >= src_.size())
        fail(block ? "unexpected end of template, expected '%}'"
                   : "unexpected end of template, expected '}}'",
             open);
      if (brackets.empty()) {
        size_t end = 0;
        if (block) {
          if (src_.compare(pos, 3, "+%}") == 0) {
            end = pos + 3;
          } else if (src_.compare(pos, 3, "-%}") == 0) {
            end = skip_spaces(src_, pos + 3);
          } else if (src_.compare(pos, 2, "%}") == 0) {
            end = pos + 2;
            if (end < src_.size() && src_[end] == '\n') ++end;
          }
        } else {
          if (src_.compare(pos, 3, "-}}") == 0) {
            end = skip_spaces(src_, pos + 3);
          } else if (src_.compare(pos, 2, "}}") == 0) {
            end = pos + 2;
          }
        }
        if (end) {
          tokens_.push_back(
              Token{block ? TokenType::kBlockEnd : TokenType::kVariableEnd, "", 0, 0, pos_of(pos)});
          return end;
        }
      }
      size_t sp = skip_spaces(src_, pos);
      if (sp != pos) {
        pos = sp;
        continue;
      }
      char c = src_[pos];
      if (is_digit(c)) {
        pos = lex_number(pos);
      } else if (is_name_start(c)) {
        size_t e = pos;
        while (e < src_.size() && is_name_char(src_[e])) ++e;
        tokens_.push_back(Token{TokenType::kName, src_.substr(pos, e - pos), 0, 0, pos_of(pos)});
        pos = e;
      } else if (c == '\'' || c == '"') {
        pos = lex_string(pos);
      } else {
        pos = lex_operator(pos, &brackets);
      }
    }
  }

  static bool digits_run(const std::string& s, size_t* p, bool (*ok)(char)) {
    // (\d+_)*\d+ style: digits with single underscores between them.
    size_t q = *p;
    if (q >= s.size() || !ok(s[q])) return false;
    while (q < s.size()) {
      if (ok(s[q])) {
        ++q;
      } else if (s[q] == '_' && q + 1 < s.size() && ok(s[q + 1])) {
        q += 2;
      } else {
        break;
      }
    }
    *p = q;
    return true;
  }

  size_t lex_number(size_t pos) {
    auto dec = [](char c) { return is_digit(c); };
    // float: digits ( (.digits)? e[+-]?digits | .digits ), not preceded by '.'.
    bool after_dot = pos > 0 && src_[pos - 1] == '.';
    if (!after_dot) {
      size_t p = pos;
      digits_run(src_, &p, +dec);
      size_t q = p;
      bool has_frac = false;
      if (q < src_.size() && src_[q] == '.') {
        size_t r = q + 1;
        if (digits_run(src_, &r, +dec)) {
          has_frac = true;
          q = r;
        }
      }
      bool has_exp = false;
      if (q < src_.size() && (src_[q] == 'e' || src_[q] == 'E')) {
        size_t r = q + 1;
        if (r < src_.size() && (src_[r] == '+' || src_[r] == '-')) ++r;
        if (digits_run(src_, &r, +dec)) {
          has_exp = true;
          q = r;
        }
      }
      if (has_frac || has_exp) {
        std::string text;
        for (size_t i = pos; i < q; ++i)
          if (src_[i] != '_') text.push_back(src_[i]);
        Token t{TokenType::kFloat, text, 0, std::strtod(text.c_str(), nullptr), pos_of(pos)};
        tokens_.push_back(std::move(t));
        return q;
      }
    }
    // integer: 0b / 0o / 0x prefixes, [1-9](_?\d)*, 0(_?0)*.
    int base = 10;
    size_t p = pos;
    if (src_[p] == '0' && p + 1 < src_.size()) {
      char x = static_cast<char>(src_[p + 1] | 0x20);
      if (x == 'b' || x == 'o' || x == 'x') {
        base = x == 'b' ? 2 : x == 'o' ? 8 : 16;
        size_t q = p + 2;
        size_t start = q;
        while (q < src_.size()) {
          char d = src_[q];
          bool ok = base == 2   ? (d == '0' || d == '1')
                    : base == 8 ? (d >= '0' && d <= '7')
                                : (is_digit(d) || ((d | 0x20) >= 'a' && (d | 0x20) <= 'f'));
          if (ok) {
            ++q;
          } else if (d == '_' && q + 1 < src_.size()) {
            ++q;
          } else {
            break;
          }
        }
        if (q > start) return push_int(pos, p + 2, q, base);
      }
    }
    size_t q = p;
    if (src_[p] == '0') {
      ++q;
      while (q < src_.size() &&
             (src_[q] == '0' || (src_[q] == '_' && q + 1 < src_.size() && src_[q + 1] == '0')))
        q += src_[q] == '_' ? 2 : 1;
    } else {
      digits_run(src_, &q, +dec);
    }
    return push_int(pos, p, q, 10);
  }

  size_t push_int(size_t token_start, size_t digits_start, size_t end, int base) {
    uint64_t v = 0;
    bool overflow = false;
    for (size_t i = digits_start; i < end; ++i) {
      char c = src_[i];
      if (c == '_') continue;
      int d = is_digit(c) ? c - '0' : (c | 0x20) - 'a' + 10;
      if (v > (UINT64_MAX - static_cast<uint64_t>(d)) / static_cast<uint64_t>(base))
        overflow = true;
      v = v * static_cast<uint64_t>(base) + static_cast<uint64_t>(d);
    }
    if (overflow || v > static_cast<uint64_t>(INT64_MAX))
      fail("integer literal too large (this interpreter's ints are 64-bit)", token_start);
    tokens_.push_back(Token{TokenType::kInteger, src_.substr(token_start, end - token_start),
                            static_cast<int64_t>(v), 0, pos_of(token_start)});
    return end;
  }

  static int hex_value(char c) {
    if (is_digit(c)) return c - '0';
    c = static_cast<char>(c | 0x20);
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    return -1;
  }

  // A quoted string with Python's escapes (jinja2 decodes literals with "unicode-escape").
  size_t lex_string(size_t pos) {
    char quote = src_[pos];
    std::string out;
    size_t p = pos + 1;
    while (true) {
      if (p >= src_.size()) fail("unexpected end of string", pos);
      char c = src_[p];
      if (c == quote) break;
      if (c != '\\') {
        out.push_back(c);
        ++p;
        continue;
      }
      if (p + 1 >= src_.size()) fail("unexpected end of string", pos);
      char e = src_[p + 1];
      p += 2;
      switch (e) {
        case '\n':
          break;  // line continuation
        case '\\':
          out.push_back('\\');
          break;
        case '\'':
          out.push_back('\'');
          break;
        case '"':
          out.push_back('"');
          break;
        case 'a':
          out.push_back('\a');
          break;
        case 'b':
          out.push_back('\b');
          break;
        case 'f':
          out.push_back('\f');
          break;
        case 'n':
          out.push_back('\n');
          break;
        case 'r':
          out.push_back('\r');
          break;
        case 't':
          out.push_back('\t');
          break;
        case 'v':
          out.push_back('\v');
          break;
        case 'x':
        case 'u':
        case 'U': {
          int n = e == 'x' ? 2 : e == 'u' ? 4 : 8;
          uint32_t cp = 0;
          for (int i = 0; i < n; ++i) {
            int h = p + i < src_.size() ? hex_value(src_[p + i]) : -1;
            if (h < 0) fail(fmt::format("truncated \\{}{} escape", e, std::string(n, 'X')), p - 2);
            cp = cp * 16 + static_cast<uint32_t>(h);
          }
          p += static_cast<size_t>(n);
          if (cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
            fail("escape is not a Unicode scalar value (surrogate or above U+10FFFF)", p - n - 2);
          utf8_put(cp, &out);
          break;
        }
        case 'N':
          fail("\\N{...} escapes are not supported", p - 2);
        default:
          if (e >= '0' && e <= '7') {
            uint32_t cp = static_cast<uint32_t>(e - '0');
            for (int i = 0; i < 2 && p < src_.size() && src_[p] >= '0' && src_[p] <= '7'; ++i)
              cp = cp * 8 + static_cast<uint32_t>(src_[p++] - '0');
            utf8_put(cp, &out);
          } else {
            out.push_back('\\');  // unknown escapes stay as written
            out.push_back(e);
          }
      }
    }
    tokens_.push_back(Token{TokenType::kString, std::move(out), 0, 0, pos_of(pos)});
    return p + 1;
  }

  size_t lex_operator(size_t pos, std::vector<char>* brackets) {
    static constexpr const char* kTwo[] = {"//", "**", "==", "!=", ">=", "<="};
    for (const char* op : kTwo) {
      if (src_.compare(pos, 2, op) == 0) {
        tokens_.push_back(Token{TokenType::kOperator, op, 0, 0, pos_of(pos)});
        return pos + 2;
      }
    }
    char c = src_[pos];
    if (!std::strchr("+-/*%~[](){}<>=.:|,;", c) || c == '\0') {
      size_t p = pos;
      utf8_next(src_, &p);
      fail(fmt::format("unexpected char {} at {}", py_repr_string(src_.substr(pos, p - pos)), pos),
           pos);
    }
    if (c == '(' || c == '[' || c == '{') {
      brackets->push_back(c == '(' ? ')' : c == '[' ? ']' : '}');
    } else if (c == ')' || c == ']' || c == '}') {
      if (brackets->empty()) fail(fmt::format("unexpected '{}'", c), pos);
      if (brackets->back() != c)
        fail(fmt::format("unexpected '{}', expected '{}'", c, brackets->back()), pos);
      brackets->pop_back();
    }
    tokens_.push_back(Token{TokenType::kOperator, std::string(1, c), 0, 0, pos_of(pos)});
    return pos + 1;
  }

  std::string src_;
  std::vector<size_t> line_starts_;
  std::vector<Token> tokens_;
};

// jinja2 splits on \r\n, \r and \n, joins with \n, and drops one trailing newline.
std::string normalize_newlines(std::string_view source) {
  std::string out;
  out.reserve(source.size());
  for (size_t i = 0; i < source.size(); ++i) {
    if (source[i] == '\r') {
      out.push_back('\n');
      if (i + 1 < source.size() && source[i + 1] == '\n') ++i;
    } else {
      out.push_back(source[i]);
    }
  }
  if (!out.empty() && out.back() == '\n') out.pop_back();
  return out;
}

}  // namespace

std::vector<Token> tokenize(std::string_view source) {
  return Lexer(normalize_newlines(source)).run();
}

}  // namespace qwl::jinja
