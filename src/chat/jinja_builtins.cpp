// Jinja builtins: filters, tests, methods of str / list / dict / loop / cycler, global
// functions, and Python's two string-formatting mini-languages (printf-style "%" and
// str.format).
//
// Each filter follows jinja2 3.1's filters.py (and transformers' tojson, which is json.dumps
// with ensure_ascii=False and no key sorting): argument names and order, what it does with
// Undefined (most convert it with str() to "", a few fail), and Python's str methods for the
// text work. Filters that templates for chat models do not use and that depend on things
// outside a render (random, urlize, wordwrap's textwrap, xmlattr, groupby, pprint,
// filesizeformat, striptags, urlencode) are not provided: a template using one fails with
// "No filter named ...".
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <unordered_set>

#include "chat/jinja_interpreter.h"

namespace qwl::jinja {
namespace {

// ---- helpers ------------------------------------------------------------------------------

std::string soft_str(const Value& v) {
  return v.is_string() ? v.str() : py_str(v);
}

// A filter result that is Markup when its input was (markupsafe's wrapped str methods).
Value like(const Value& input, std::string text) {
  return input.is_markup() ? Value::markup(std::move(text)) : Value(std::move(text));
}

// markupsafe's escape(x) as a Value: Markup stays, anything else is str()-ed and escaped.
Value escape_value(const Value& v) {
  if (v.is_markup()) return v;
  return Value::markup(html_escape(soft_str(v)));
}

Value generator(List items, std::string name = "generator") {
  return make_iterator(IteratorObject::Flavor::kGenerator, std::move(name), std::move(items));
}

int64_t int_arg(Interpreter& in, const Value& v, std::string_view what) {
  if (v.is_int()) return v.as_int();
  if (v.is_bool()) return v.as_bool() ? 1 : 0;
  if (v.is_undefined()) in.fail_undefined(v);
  in.fail(fmt::format("{}: an integer is required, not '{}'", what, py_type_name(v)));
}

const Value& arg_or(const std::vector<std::optional<Value>>& slots, size_t i, const Value& dflt) {
  return slots[i] ? *slots[i] : dflt;
}

std::vector<char32_t> code_points(std::string_view s) {
  std::vector<char32_t> cps;
  size_t pos = 0;
  while (pos < s.size()) cps.push_back(utf8_next(s, &pos));
  return cps;
}

// Python's str.splitlines() line boundaries.
bool is_line_break(char32_t c) {
  return c == '\n' || c == '\r' || c == 0x0B || c == 0x0C || c == 0x1C || c == 0x1D || c == 0x1E ||
         c == 0x85 || c == 0x2028 || c == 0x2029;
}

std::vector<std::string> splitlines(std::string_view s, bool keepends) {
  std::vector<std::string> lines;
  size_t start = 0;
  size_t pos = 0;
  while (pos < s.size()) {
    size_t at = pos;
    char32_t c = utf8_next(s, &pos);
    if (!is_line_break(c)) continue;
    size_t end = pos;
    if (c == '\r' && pos < s.size() && s[pos] == '\n') end = ++pos;
    lines.emplace_back(s.substr(start, (keepends ? end : at) - start));
    start = end;
  }
  if (start < s.size()) lines.emplace_back(s.substr(start));
  return lines;
}

std::string py_capitalize(std::string_view s) {
  std::string out;
  size_t pos = 0;
  bool first = true;
  while (pos < s.size()) {
    size_t start = pos;
    utf8_next(s, &pos);
    if (first) {
      out += py_upper(s.substr(start, pos - start));
      first = false;
    } else {
      out += py_lower(s.substr(start, pos - start));
    }
  }
  return out;
}

bool is_cased(char32_t c) {
  return py_is_upper_cp(c) || py_is_lower_cp(c);
}

// str.title(): a cased character after an uncased one starts a word.
std::string py_title_method(std::string_view s) {
  std::string out;
  size_t pos = 0;
  bool prev_cased = false;
  while (pos < s.size()) {
    size_t start = pos;
    char32_t c = utf8_next(s, &pos);
    std::string_view ch = s.substr(start, pos - start);
    out += prev_cased ? py_lower(ch) : py_upper(ch);
    prev_cased = is_cased(c) || py_is_alpha_cp(c);
  }
  return out;
}

// jinja2's do_title: split on runs of [-\s({\[<] and capitalize each piece's first character.
std::string jinja_title(std::string_view s) {
  std::string out;
  auto is_sep = [](char32_t c) {
    return c == '-' || c == '(' || c == '{' || c == '[' || c == '<' || py_is_space(c);
  };
  size_t pos = 0;
  bool at_word_start = true;
  while (pos < s.size()) {
    size_t start = pos;
    char32_t c = utf8_next(s, &pos);
    std::string_view ch = s.substr(start, pos - start);
    if (is_sep(c)) {
      out += ch;
      at_word_start = true;
    } else if (at_word_start) {
      out += py_upper(ch);
      at_word_start = false;
    } else {
      out += py_lower(ch);
    }
  }
  return out;
}

std::string py_swapcase(std::string_view s) {
  std::string out;
  size_t pos = 0;
  while (pos < s.size()) {
    size_t start = pos;
    char32_t c = utf8_next(s, &pos);
    std::string_view ch = s.substr(start, pos - start);
    if (py_is_upper_cp(c)) {
      out += py_lower(ch);
    } else if (py_is_lower_cp(c)) {
      out += py_upper(ch);
    } else {
      out += ch;
    }
  }
  return out;
}

// str.replace(old, new, count) with Python's rule for an empty `old` (insert between
// characters).
std::string py_replace(Interpreter& in, const std::string& s, const std::string& old,
                       const std::string& repl, int64_t count) {
  std::string out;
  if (old.empty()) {
    std::vector<size_t> off = utf8_offsets(s);
    int64_t done = 0;
    for (size_t i = 0; i + 1 < off.size() + 1; ++i) {
      if (count < 0 || done < count) {
        out += repl;
        ++done;
      }
      if (i + 1 < off.size()) out.append(s, off[i], off[i + 1] - off[i]);
      in.check_size(out.size());
    }
    return out;
  }
  size_t pos = 0;
  int64_t done = 0;
  while (count < 0 || done < count) {
    size_t hit = s.find(old, pos);
    if (hit == std::string::npos) break;
    out.append(s, pos, hit - pos);
    out += repl;
    pos = hit + old.size();
    ++done;
    in.check_size(out.size());
  }
  out.append(s, pos, std::string::npos);
  in.check_size(out.size());
  return out;
}

// Code point index of byte offset `byte` in s.
int64_t cp_index(const std::string& s, size_t byte) {
  return static_cast<int64_t>(utf8_length(std::string_view(s).substr(0, byte)));
}

// Python's (start, end) arguments of find/count/startswith: code point indexes, clamped.
void resolve_range(Interpreter& in, const std::string& s, const std::vector<size_t>& off,
                   const Value& start, const Value& end, size_t* b0, size_t* b1) {
  int64_t n = static_cast<int64_t>(off.size()) - 1;
  auto clamp = [&](const Value& v, int64_t dflt) {
    if (v.is_none() || v.is_undefined()) return dflt;
    int64_t x = int_arg(in, v, "slice index");
    if (x < 0) x = std::max<int64_t>(0, x + n);
    return std::min(x, n);
  };
  int64_t a = clamp(start, 0);
  int64_t b = clamp(end, n);
  if (b < a) b = a;
  *b0 = off[static_cast<size_t>(a)];
  *b1 = off[static_cast<size_t>(b)];
}

std::vector<std::string> py_split(const std::string& s, const std::optional<std::string>& sep,
                                  int64_t maxsplit) {
  std::vector<std::string> parts;
  if (sep) {
    size_t pos = 0;
    while (maxsplit < 0 || static_cast<int64_t>(parts.size()) < maxsplit) {
      size_t hit = s.find(*sep, pos);
      if (hit == std::string::npos) break;
      parts.push_back(s.substr(pos, hit - pos));
      pos = hit + sep->size();
    }
    parts.push_back(s.substr(pos));
    return parts;
  }
  std::vector<size_t> off = utf8_offsets(s);
  size_t n = off.size() - 1;
  auto space_at = [&](size_t i) {
    size_t p = off[i];
    return py_is_space(utf8_next(s, &p));
  };
  size_t i = 0;
  while (true) {
    while (i < n && space_at(i)) ++i;
    if (i >= n) break;
    if (maxsplit >= 0 && static_cast<int64_t>(parts.size()) == maxsplit) {
      size_t end = n;
      parts.push_back(s.substr(off[i], off[end] - off[i]));
      break;
    }
    size_t j = i;
    while (j < n && !space_at(j)) ++j;
    parts.push_back(s.substr(off[i], off[j] - off[i]));
    i = j;
  }
  return parts;
}

std::vector<std::string> py_rsplit(const std::string& s, const std::optional<std::string>& sep,
                                   int64_t maxsplit) {
  std::vector<std::string> parts;
  if (sep) {
    size_t end = s.size();
    while (maxsplit < 0 || static_cast<int64_t>(parts.size()) < maxsplit) {
      if (end < sep->size()) break;
      size_t hit = s.rfind(*sep, end - sep->size());
      if (hit == std::string::npos) break;
      parts.push_back(s.substr(hit + sep->size(), end - hit - sep->size()));
      end = hit;
    }
    parts.push_back(s.substr(0, end));
    std::reverse(parts.begin(), parts.end());
    return parts;
  }
  std::vector<size_t> off = utf8_offsets(s);
  size_t n = off.size() - 1;
  auto space_at = [&](size_t i) {
    size_t p = off[i];
    return py_is_space(utf8_next(s, &p));
  };
  size_t j = n;
  while (true) {
    while (j > 0 && space_at(j - 1)) --j;
    if (j == 0) break;
    if (maxsplit >= 0 && static_cast<int64_t>(parts.size()) == maxsplit) {
      parts.push_back(s.substr(0, off[j]));
      break;
    }
    size_t i = j;
    while (i > 0 && !space_at(i - 1)) --i;
    parts.push_back(s.substr(off[i], off[j] - off[i]));
    j = i;
  }
  std::reverse(parts.begin(), parts.end());
  return parts;
}

Value string_list(const std::vector<std::string>& parts) {
  List items;
  for (const auto& p : parts) items.push_back(Value(p));
  return Value(std::move(items));
}

// Pads `s` to `width` code points. align '<', '>', '^' (str.format's centering: the odd space
// goes right) or 'c' (str.center's: CPython puts it left when the width is odd).
std::string pad_text(const std::string& s, int64_t width, char32_t fill, char align) {
  int64_t len = static_cast<int64_t>(utf8_length(s));
  if (width <= len) return s;
  int64_t marg = width - len;
  int64_t left = 0;
  if (align == '>') {
    left = marg;
  } else if (align == '^') {
    left = marg / 2;
  } else if (align == 'c') {
    left = marg / 2 + (marg & width & 1);
  }
  std::string f;
  utf8_put(fill, &f);
  std::string out;
  for (int64_t i = 0; i < left; ++i) out += f;
  out += s;
  for (int64_t i = 0; i < marg - left; ++i) out += f;
  return out;
}

Value lowercase_key(const Value& v) {
  return v.is_string() ? Value(py_lower(v.str())) : v;
}

// Stable sort with Python's ordering; fails like Python on incomparable keys.
void sort_values(Interpreter& in, std::vector<std::pair<Value, Value>>* keyed, bool reverse) {
  std::stable_sort(keyed->begin(), keyed->end(), [&](const auto& a, const auto& b) {
    const Value& x = reverse ? b.first : a.first;
    const Value& y = reverse ? a.first : b.first;
    auto r = py_less(x, y);
    if (!r)
      in.fail(fmt::format("'<' not supported between instances of '{}' and '{}'", py_type_name(x),
                          py_type_name(y)));
    return *r;
  });
}

// Python's int(str, base): optional sign, surrounding whitespace, underscores between digits,
// a 0b/0o/0x prefix matching the base (or any with base 0).
std::optional<int64_t> parse_py_int(const std::string& text, int base) {
  std::string s = py_strip(text, std::nullopt, true, true);
  size_t i = 0;
  bool neg = false;
  if (i < s.size() && (s[i] == '+' || s[i] == '-')) neg = s[i++] == '-';
  if (i + 1 < s.size() && s[i] == '0') {
    char p = static_cast<char>(s[i + 1] | 0x20);
    int pb = p == 'x' ? 16 : p == 'o' ? 8 : p == 'b' ? 2 : 0;
    if (pb && (base == 0 || base == pb)) {
      base = pb;
      i += 2;
      if (i < s.size() && s[i] == '_') ++i;
    }
  }
  if (base == 0) {
    base = 10;
    // Base 0 forbids leading zeros in a non-zero decimal.
    if (i + 1 < s.size() && s[i] == '0' && s.find_first_not_of("0_", i) != std::string::npos)
      return std::nullopt;
  }
  if (i >= s.size()) return std::nullopt;
  uint64_t v = 0;
  bool prev_digit = false;
  for (; i < s.size(); ++i) {
    char c = s[i];
    if (c == '_') {
      if (!prev_digit) return std::nullopt;
      prev_digit = false;
      continue;
    }
    int d;
    if (c >= '0' && c <= '9') {
      d = c - '0';
    } else if ((c | 0x20) >= 'a' && (c | 0x20) <= 'z') {
      d = (c | 0x20) - 'a' + 10;
    } else {
      // Python also accepts other Unicode decimal digits; treat the common Arabic-Indic ones.
      size_t p = i;
      char32_t cp = utf8_next(s, &p);
      if (cp >= 0x660 && cp <= 0x669) {
        d = static_cast<int>(cp - 0x660);
        i = p - 1;
      } else {
        return std::nullopt;
      }
    }
    if (d >= base) return std::nullopt;
    if (v > (UINT64_MAX - static_cast<uint64_t>(d)) / static_cast<uint64_t>(base))
      return std::nullopt;
    v = v * static_cast<uint64_t>(base) + static_cast<uint64_t>(d);
    prev_digit = true;
  }
  if (!prev_digit) return std::nullopt;
  if (v > static_cast<uint64_t>(INT64_MAX) + (neg ? 1 : 0)) return std::nullopt;
  return neg ? static_cast<int64_t>(0 - v) : static_cast<int64_t>(v);
}

// Python's float(str).
std::optional<double> parse_py_float(const std::string& text) {
  std::string s = py_strip(text, std::nullopt, true, true);
  std::string t;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '_') {
      bool ok = i > 0 && i + 1 < s.size() && std::isdigit(static_cast<unsigned char>(s[i - 1])) &&
                std::isdigit(static_cast<unsigned char>(s[i + 1]));
      if (!ok) return std::nullopt;
      continue;
    }
    t.push_back(s[i]);
  }
  std::string lower = py_lower(t);
  std::string body = lower;
  bool neg = false;
  if (!body.empty() && (body[0] == '+' || body[0] == '-')) {
    neg = body[0] == '-';
    body = body.substr(1);
  }
  if (body == "inf" || body == "infinity") return neg ? -INFINITY : INFINITY;
  if (body == "nan") return NAN;
  if (body.empty() || body.find_first_not_of("0123456789.e+-") != std::string::npos)
    return std::nullopt;
  if (body.find("0x") != std::string::npos) return std::nullopt;
  char* end = nullptr;
  double d = std::strtod(t.c_str(), &end);
  if (end != t.c_str() + t.size()) return std::nullopt;
  return d;
}

// round(x, ndigits) for floats, correctly rounded as CPython's (exact decimal value, ties to
// even): printf's %.*f rounds the exact binary value the same way.
double py_round_float(double x, int64_t ndigits) {
  if (!std::isfinite(x) || x == 0.0) return x;
  if (ndigits > 308) return x;
  if (ndigits >= 0) {
    char buf[512];
    std::snprintf(buf, sizeof buf, "%.*f", static_cast<int>(std::min<int64_t>(ndigits, 340)), x);
    return std::strtod(buf, nullptr);
  }
  double p = std::pow(10.0, static_cast<double>(-ndigits));
  double y = std::nearbyint(x / p) * p;
  return std::isfinite(y) ? y : 0.0;
}

// ---- string formatting ---------------------------------------------------------------------

struct Spec {
  char32_t fill = ' ';
  char align = '\0';
  char sign = '-';
  bool alt = false;
  bool zero = false;
  int64_t width = -1;
  char grouping = '\0';
  int64_t precision = -1;
  char type = '\0';
};

Spec parse_format_spec(Interpreter& in, const std::string& spec) {
  Spec s;
  std::vector<char32_t> c = code_points(spec);
  size_t i = 0;
  auto is_align = [](char32_t x) { return x == '<' || x == '>' || x == '^' || x == '='; };
  if (c.size() >= 2 && is_align(c[1])) {
    s.fill = c[0];
    s.align = static_cast<char>(c[1]);
    i = 2;
  } else if (!c.empty() && is_align(c[0])) {
    s.align = static_cast<char>(c[0]);
    i = 1;
  }
  if (i < c.size() && (c[i] == '+' || c[i] == '-' || c[i] == ' '))
    s.sign = static_cast<char>(c[i++]);
  if (i < c.size() && c[i] == '#') {
    s.alt = true;
    ++i;
  }
  if (i < c.size() && c[i] == '0') {
    s.zero = true;
    ++i;
  }
  auto read_int = [&]() {
    int64_t v = -1;
    while (i < c.size() && c[i] >= '0' && c[i] <= '9') {
      v = (v < 0 ? 0 : v) * 10 + static_cast<int64_t>(c[i] - '0');
      if (v > 100000) in.fail("format width too large");
      ++i;
    }
    return v;
  };
  s.width = read_int();
  if (i < c.size() && (c[i] == ',' || c[i] == '_')) s.grouping = static_cast<char>(c[i++]);
  if (i < c.size() && c[i] == '.') {
    ++i;
    s.precision = read_int();
    if (s.precision < 0) in.fail("Format specifier missing precision");
  }
  if (i < c.size()) s.type = static_cast<char>(c[i++]);
  if (i != c.size()) in.fail("Invalid format specifier");
  return s;
}

std::string group_digits(const std::string& digits, char sep) {
  std::string out;
  size_t n = digits.size();
  for (size_t i = 0; i < n; ++i) {
    if (i && (n - i) % 3 == 0) out.push_back(sep);
    out.push_back(digits[i]);
  }
  return out;
}

std::string apply_spec(Interpreter& in, const Value& v, const std::string& spec_text) {
  if (spec_text.empty()) return soft_str(v);
  Spec s = parse_format_spec(in, spec_text);
  std::string body;
  std::string sign;
  bool numeric = false;
  if (v.is_string() || (!v.is_number())) {
    if (s.type != '\0' && s.type != 's')
      in.fail(
          fmt::format("Unknown format code '{}' for object of type '{}'", s.type, py_type_name(v)));
    body = soft_str(v);
    if (s.precision >= 0) {
      std::vector<size_t> off = utf8_offsets(body);
      if (static_cast<size_t>(s.precision) + 1 < off.size()) body.resize(off[s.precision]);
    }
  } else {
    numeric = true;
    char type = s.type;
    bool is_int =
        (v.is_int() || v.is_bool()) && (type == '\0' || type == 'd' || type == 'x' || type == 'X' ||
                                        type == 'o' || type == 'b' || type == 'c' || type == 'n');
    if (is_int) {
      int64_t x = v.is_bool() ? v.as_bool() : v.as_int();
      uint64_t mag = x < 0 ? 0 - static_cast<uint64_t>(x) : static_cast<uint64_t>(x);
      if (x < 0) sign = "-";
      if (type == 'c') {
        utf8_put(static_cast<char32_t>(x), &body);
        sign.clear();
      } else {
        int base = type == 'x' || type == 'X' ? 16 : type == 'o' ? 8 : type == 'b' ? 2 : 10;
        std::string digits;
        do {
          int d = static_cast<int>(mag % static_cast<uint64_t>(base));
          digits.push_back(
              static_cast<char>(d < 10 ? '0' + d : (type == 'X' ? 'A' : 'a') + d - 10));
          mag /= static_cast<uint64_t>(base);
        } while (mag);
        std::reverse(digits.begin(), digits.end());
        if (s.grouping) digits = group_digits(digits, s.grouping);
        if (s.alt && base != 10)
          body = std::string("0") + (type == 'X'   ? "X"
                                     : type == 'x' ? "x"
                                     : type == 'o' ? "o"
                                                   : "b");
        body += digits;
      }
    } else {
      double x = v.to_double();
      if (type == '\0' && s.precision < 0) {
        body = py_float_repr(x);
      } else {
        char t = type == '\0' ? 'g' : type;
        if (t == 'n') t = 'g';
        int prec = s.precision < 0 ? 6 : static_cast<int>(s.precision);
        bool percent = t == '%';
        if (percent) {
          x *= 100;
          t = 'f';
        }
        if (std::strchr("eEfFgG", t) == nullptr)
          in.fail(fmt::format("Unknown format code '{}' for object of type '{}'", type,
                              py_type_name(v)));
        char fmtbuf[16];
        std::snprintf(fmtbuf, sizeof fmtbuf, "%%%s.%d%c", s.alt ? "#" : "", prec, t);
        char buf[512];
        std::snprintf(buf, sizeof buf, fmtbuf, std::fabs(x));
        body = buf;
        if (std::isinf(x)) body = (t >= 'A' && t <= 'Z') ? "INF" : "inf";
        if (std::isnan(x)) body = (t >= 'A' && t <= 'Z') ? "NAN" : "nan";
        if (percent) body += "%";
      }
      if (body[0] == '-') body = body.substr(1);
      if (std::signbit(x) && !std::isnan(x)) sign = "-";
      if (s.grouping) {
        size_t dot = body.find_first_of(".eE%");
        std::string ip = body.substr(0, dot);
        if (!ip.empty() && std::all_of(ip.begin(), ip.end(), ::isdigit))
          body = group_digits(ip, s.grouping) + (dot == std::string::npos ? "" : body.substr(dot));
      }
    }
    if (sign.empty() && s.sign == '+') sign = "+";
    if (sign.empty() && s.sign == ' ') sign = " ";
  }
  char align = s.align ? s.align : (numeric ? '>' : '<');
  char32_t fill = s.fill;
  if (s.zero && !s.align) {
    fill = '0';
    align = numeric ? '=' : '<';
  }
  if (align == '=') {
    int64_t len = static_cast<int64_t>(utf8_length(sign) + utf8_length(body));
    std::string f;
    utf8_put(fill, &f);
    std::string pad;
    for (int64_t i = len; i < s.width; ++i) pad += f;
    return sign + pad + body;
  }
  return pad_text(sign + body, s.width, fill, align);
}

// str.format; with escape (Markup.format), each field's text is HTML-escaped unless its value
// is Markup.
std::string str_format(Interpreter& in, const std::string& fmt_text, const Args& args,
                       bool escape) {
  std::string out;
  size_t auto_index = 0;
  size_t i = 0;
  while (i < fmt_text.size()) {
    char c = fmt_text[i];
    if (c == '}') {
      if (i + 1 < fmt_text.size() && fmt_text[i + 1] == '}') {
        out.push_back('}');
        i += 2;
        continue;
      }
      in.fail("Single '}' encountered in format string");
    }
    if (c != '{') {
      out.push_back(c);
      ++i;
      continue;
    }
    if (i + 1 < fmt_text.size() && fmt_text[i + 1] == '{') {
      out.push_back('{');
      i += 2;
      continue;
    }
    size_t close = fmt_text.find('}', i);
    if (close == std::string::npos) in.fail("Single '{' encountered in format string");
    std::string field = fmt_text.substr(i + 1, close - i - 1);
    i = close + 1;
    std::string spec;
    char conversion = '\0';
    size_t colon = field.find(':');
    if (colon != std::string::npos) {
      spec = field.substr(colon + 1);
      field = field.substr(0, colon);
    }
    size_t bang = field.find('!');
    if (bang != std::string::npos) {
      if (bang + 2 != field.size()) in.fail("expected ':' after conversion specifier");
      conversion = field[bang + 1];
      field = field.substr(0, bang);
    }
    // field: name or index, then .attr / [key] parts.
    size_t end = field.find_first_of(".[");
    std::string head = field.substr(0, end);
    Value v;
    if (head.empty()) {
      if (auto_index >= args.positional.size())
        in.fail(
            fmt::format("Replacement index {} out of range for positional args tuple", auto_index));
      v = args.positional[auto_index++];
    } else if (std::all_of(head.begin(), head.end(), ::isdigit)) {
      size_t k = std::stoul(head);
      if (k >= args.positional.size())
        in.fail(fmt::format("Replacement index {} out of range for positional args tuple", k));
      v = args.positional[k];
    } else {
      bool found = false;
      for (const auto& [name, val] : args.keyword) {
        if (name == head) {
          v = val;
          found = true;
        }
      }
      if (!found) in.fail(fmt::format("KeyError: '{}'", head));
    }
    size_t p = end;
    while (p != std::string::npos && p < field.size()) {
      if (field[p] == '.') {
        size_t q = field.find_first_of(".[", p + 1);
        v = in.getattr(v,
                       field.substr(p + 1, q == std::string::npos ? std::string::npos : q - p - 1));
        p = q;
      } else {
        size_t q = field.find(']', p);
        if (q == std::string::npos) in.fail("Missing ']' in format string");
        std::string key = field.substr(p + 1, q - p - 1);
        bool digits = !key.empty() && std::all_of(key.begin(), key.end(), ::isdigit);
        v = in.getitem(v, digits ? Value(static_cast<int64_t>(std::stoll(key))) : Value(key));
        p = q + 1;
      }
    }
    if (conversion == 'r' || conversion == 'a') {
      v = Value(py_repr(v));
    } else if (conversion == 's') {
      v = Value(soft_str(v));
    } else if (conversion != '\0') {
      in.fail(fmt::format("Unknown conversion specifier {}", conversion));
    }
    if (escape && v.is_markup() && !spec.empty())
      in.fail("Unsupported format specification for Markup.");
    std::string field_text = apply_spec(in, v, spec);
    out += escape && !v.is_markup() ? html_escape(field_text) : field_text;
    in.check_size(out.size());
  }
  return out;
}

}  // namespace

std::string html_escape(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&#34;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out.push_back(c);
    }
  }
  return out;
}

std::string printf_format(Interpreter& in, const std::string& f, const Value& args_value,
                          bool escape_args) {
  List args;
  const Dict* mapping = nullptr;
  if (args_value.is_tuple()) {
    args = args_value.items();
  } else if (args_value.is_dict()) {
    mapping = &args_value.dict();
    args.push_back(args_value);
  } else {
    args.push_back(args_value);
  }
  std::string out;
  size_t next_arg = 0;
  bool used_mapping = false;
  size_t i = 0;
  auto take = [&]() -> Value {
    if (next_arg >= args.size()) in.fail("not enough arguments for format string");
    return args[next_arg++];
  };
  while (i < f.size()) {
    char c = f[i];
    if (c != '%') {
      out.push_back(c);
      ++i;
      continue;
    }
    ++i;
    if (i >= f.size()) in.fail("incomplete format");
    Value key_value;
    bool has_key = false;
    if (f[i] == '(') {
      size_t close = f.find(')', i);
      if (close == std::string::npos) in.fail("incomplete format key");
      if (!mapping) in.fail("format requires a mapping");
      std::string key = f.substr(i + 1, close - i - 1);
      const Value* v = mapping->find(std::string_view(key));
      if (!v) in.fail(fmt::format("KeyError: '{}'", key));
      key_value = *v;
      has_key = true;
      used_mapping = true;
      i = close + 1;
    }
    std::string flags;
    while (i < f.size() && std::strchr("-+ #0", f[i])) flags.push_back(f[i++]);
    int64_t width = -1;
    if (i < f.size() && f[i] == '*') {
      width = int_arg(in, take(), "* wants int");
      ++i;
    } else {
      while (i < f.size() && std::isdigit(static_cast<unsigned char>(f[i])))
        width = (width < 0 ? 0 : width) * 10 + (f[i++] - '0');
    }
    int64_t precision = -1;
    if (i < f.size() && f[i] == '.') {
      ++i;
      precision = 0;
      if (i < f.size() && f[i] == '*') {
        precision = int_arg(in, take(), "* wants int");
        ++i;
      } else {
        while (i < f.size() && std::isdigit(static_cast<unsigned char>(f[i])))
          precision = precision * 10 + (f[i++] - '0');
      }
    }
    if (width > 100000 || precision > 100000) in.fail("format width too large");
    while (i < f.size() && (f[i] == 'h' || f[i] == 'l' || f[i] == 'L')) ++i;
    if (i >= f.size()) in.fail("incomplete format");
    char conv = f[i++];
    if (conv == '%') {
      out.push_back('%');
      continue;
    }
    Value v = has_key ? key_value : take();
    bool left = flags.find('-') != std::string::npos;
    bool zero = flags.find('0') != std::string::npos && !left;
    std::string body;
    std::string sign;
    bool numeric = false;
    switch (conv) {
      case 's':
      case 'r':
      case 'a': {
        body = conv == 's' ? soft_str(v) : py_repr(v);
        // Markup % args: each argument is escaped unless it is Markup itself.
        if (escape_args && !(conv == 's' && v.is_markup())) body = html_escape(body);
        if (precision >= 0) {
          std::vector<size_t> off = utf8_offsets(body);
          if (static_cast<size_t>(precision) + 1 < off.size()) body.resize(off[precision]);
        }
        break;
      }
      case 'c': {
        if (v.is_string() && utf8_length(v.str()) == 1) {
          body = v.str();
        } else {
          utf8_put(static_cast<char32_t>(int_arg(in, v, "%c requires int or char")), &body);
        }
        break;
      }
      case 'd':
      case 'i':
      case 'u':
      case 'x':
      case 'X':
      case 'o': {
        if (!v.is_number())
          in.fail(fmt::format(
              "%{} format: {} is required, not {}", conv,
              conv == 'd' || conv == 'i' || conv == 'u' ? "a real number" : "an integer",
              py_type_name(v)));
        int64_t x;
        if (v.is_float()) {
          double d = v.as_float();
          if (!std::isfinite(d)) in.fail("cannot convert float to integer");
          x = static_cast<int64_t>(std::trunc(d));
        } else {
          x = v.is_bool() ? v.as_bool() : v.as_int();
        }
        numeric = true;
        uint64_t mag = x < 0 ? 0 - static_cast<uint64_t>(x) : static_cast<uint64_t>(x);
        if (x < 0) sign = "-";
        int base = conv == 'x' || conv == 'X' ? 16 : conv == 'o' ? 8 : 10;
        std::string digits;
        do {
          int d = static_cast<int>(mag % static_cast<uint64_t>(base));
          digits.push_back(
              static_cast<char>(d < 10 ? '0' + d : (conv == 'X' ? 'A' : 'a') + d - 10));
          mag /= static_cast<uint64_t>(base);
        } while (mag);
        std::reverse(digits.begin(), digits.end());
        if (precision >= 0 && static_cast<int64_t>(digits.size()) < precision)
          digits.insert(0, static_cast<size_t>(precision) - digits.size(), '0');
        if (flags.find('#') != std::string::npos && base != 10)
          digits = (conv == 'X' ? "0X" : conv == 'x' ? "0x" : "0o") + digits;
        body = digits;
        break;
      }
      case 'e':
      case 'E':
      case 'f':
      case 'F':
      case 'g':
      case 'G': {
        if (!v.is_number()) in.fail(fmt::format("must be real number, not {}", py_type_name(v)));
        double x = v.to_double();
        numeric = true;
        char fmtbuf[16];
        std::snprintf(fmtbuf, sizeof fmtbuf, "%%%s.%d%c",
                      flags.find('#') != std::string::npos ? "#" : "",
                      static_cast<int>(precision < 0 ? 6 : precision), conv);
        char buf[512];
        std::snprintf(buf, sizeof buf, fmtbuf, std::fabs(x));
        body = buf;
        if (std::signbit(x) && !std::isnan(x)) sign = "-";
        break;
      }
      default:
        in.fail(fmt::format("unsupported format character '{}' (0x{:x})", conv,
                            static_cast<int>(static_cast<unsigned char>(conv))));
    }
    if (numeric && sign.empty()) {
      if (flags.find('+') != std::string::npos) {
        sign = "+";
      } else if (flags.find(' ') != std::string::npos) {
        sign = " ";
      }
    }
    int64_t len = static_cast<int64_t>(utf8_length(sign) + utf8_length(body));
    if (width > len) {
      std::string pad(static_cast<size_t>(width - len), (zero && numeric) ? '0' : ' ');
      if (left) {
        out += sign + body + std::string(static_cast<size_t>(width - len), ' ');
      } else if (zero && numeric) {
        out += sign + pad + body;
      } else {
        out += pad + sign + body;
      }
    } else {
      out += sign + body;
    }
    in.check_size(out.size());
  }
  if (!used_mapping && next_arg < args.size() && !(mapping && args.size() == 1))
    in.fail("not all arguments converted during string formatting");
  return out;
}

// ---- methods ------------------------------------------------------------------------------

namespace {

const std::unordered_set<std::string>& str_methods() {
  static const std::unordered_set<std::string> k = {
      "startswith",   "endswith",  "split",     "rsplit",    "splitlines", "strip",
      "lstrip",       "rstrip",    "replace",   "upper",     "lower",      "title",
      "capitalize",   "swapcase",  "find",      "rfind",     "index",      "rindex",
      "count",        "join",      "format",    "center",    "ljust",      "rjust",
      "zfill",        "isalpha",   "isdigit",   "isalnum",   "isspace",    "islower",
      "isupper",      "isdecimal", "isnumeric", "partition", "rpartition", "removeprefix",
      "removesuffix", "casefold"};
  return k;
}

const std::unordered_set<std::string>& unsafe_methods() {
  static const std::unordered_set<std::string> k = {
      "append", "extend",  "insert",     "pop",    "remove", "reverse", "sort",
      "clear",  "popitem", "setdefault", "update", "add",    "discard"};
  return k;
}

}  // namespace

bool has_method(const Value& receiver, const std::string& name) {
  if (receiver.is_string()) return str_methods().count(name) > 0;
  if (receiver.is_dict())
    return name == "items" || name == "keys" || name == "values" || name == "get" ||
           name == "copy" || unsafe_methods().count(name) > 0;
  if (receiver.is_list())
    return name == "count" || name == "index" || name == "copy" || unsafe_methods().count(name) > 0;
  if (receiver.is_tuple()) return name == "count" || name == "index";
  return false;
}

namespace {

// Methods of a Markup string (markupsafe 2.1): most str methods escape their string arguments
// and return Markup; split & co return lists of Markup; join and format escape what they
// insert.
Value call_markup_method(Interpreter& in, const Value& recv, const std::string& name, Args& args) {
  static const std::unordered_set<std::string> kWrapped = {
      "capitalize", "title",  "lower",  "upper", "replace",  "ljust", "rjust",
      "lstrip",     "rstrip", "center", "strip", "swapcase", "zfill"};
  Value plain(recv.str());
  auto escape_args = [&]() {
    for (auto& a : args.positional)
      if (a.is_string()) a = escape_value(a);
    for (auto& [k, a] : args.keyword)
      if (a.is_string()) a = escape_value(a);
  };
  auto all_markup = [](const Value& r) {
    List out;
    for (const auto& x : r.items()) out.push_back(Value::markup(x.str()));
    return out;
  };
  if (kWrapped.count(name)) {
    escape_args();
    Value r = call_method(in, plain, name, args);
    return r.is_string() ? Value::markup(r.str()) : r;
  }
  if (name == "split" || name == "rsplit" || name == "splitlines")
    return Value(all_markup(call_method(in, plain, name, args)));
  if (name == "partition" || name == "rpartition") {
    escape_args();
    return Value::tuple(all_markup(call_method(in, plain, name, args)));
  }
  if (name == "join") {
    auto slots = in.bind({"join", {"seq"}}, args);
    if (!slots[0]) in.fail("join() takes exactly one argument (0 given)");
    std::string out;
    bool first = true;
    for (const auto& item : in.iterate(*slots[0])) {
      if (!first) out += recv.str();
      first = false;
      out += escape_value(item).str();
      in.check_size(out.size());
    }
    return Value::markup(std::move(out));
  }
  if (name == "format") return Value::markup(str_format(in, recv.str(), args, true));
  return call_method(in, plain, name, args);
}

}  // namespace

Value call_method(Interpreter& in, const Value& recv, const std::string& name, Args& args) {
  if (unsafe_methods().count(name) && (recv.is_list() || recv.is_dict()))
    in.fail(fmt::format("access to attribute '{}' of '{}' object is unsafe.", name,
                        py_type_name(recv)));
  if (recv.is_markup()) return call_markup_method(in, recv, name, args);
  Value none = Value::none();
  if (recv.is_object()) {
    Object* o = recv.object().get();
    if (o->type() == Object::Type::kLoop) {
      auto* loop = static_cast<LoopObject*>(o);
      if (name == "cycle") {
        if (!args.keyword.empty()) in.fail("cycle() takes no keyword arguments");
        if (args.positional.empty()) in.fail("no items for cycling given");
        return args.positional[loop->index0 % args.positional.size()];
      }
      // changed(*values): true when the values differ from the previous call's.
      Value current = Value::tuple(args.positional);
      bool changed = !loop->has_changed_value || !py_equal(current, loop->last_changed);
      loop->has_changed_value = true;
      loop->last_changed = current;
      return Value(changed);
    }
    if (o->type() == Object::Type::kCycler) {
      auto* c = static_cast<CyclerObject*>(o);
      if (name == "reset") {
        c->pos = 0;
        return none;
      }
      Value v = c->items[c->pos];
      c->pos = (c->pos + 1) % c->items.size();
      return v;
    }
  }
  if (recv.is_dict()) {
    const Dict& d = recv.dict();
    if (name == "get") {
      auto slots = in.bind({"get", {"key", "default"}}, args);
      if (!slots[0]) in.fail("get expected at least 1 argument, got 0");
      const Value* v = d.find(*slots[0]);
      return v ? *v : arg_or(slots, 1, none);
    }
    if (name == "copy") return recv;
    List out;
    for (const auto& [k, v] : d.entries) {
      if (name == "items") {
        out.push_back(Value::tuple({k, v}));
      } else if (name == "keys") {
        out.push_back(k);
      } else {
        out.push_back(v);
      }
    }
    return make_iterator(IteratorObject::Flavor::kView, "dict_" + name, std::move(out));
  }
  if (recv.is_sequence_like()) {
    if (name == "copy") return recv;
    auto slots = in.bind({name, {"value"}}, args);
    if (!slots[0]) in.fail(fmt::format("{}() takes exactly one argument (0 given)", name));
    const List& items = recv.items();
    int64_t count = 0;
    for (size_t i = 0; i < items.size(); ++i) {
      if (py_equal(items[i], *slots[0])) {
        if (name == "index") return Value(static_cast<int64_t>(i));
        ++count;
      }
    }
    if (name == "index") in.fail(fmt::format("{} is not in list", py_repr(*slots[0])));
    return Value(count);
  }
  if (!recv.is_string())
    in.fail(fmt::format("'{}' object has no method '{}'", py_type_name(recv), name));
  const std::string& s = recv.str();
  auto str_arg = [&](const std::optional<Value>& v,
                     const char* what) -> std::optional<std::string> {
    if (!v || v->is_none()) return std::nullopt;
    if (!v->is_string())
      in.fail(fmt::format("{} arg must be None or str, not {}", what, py_type_name(*v)));
    return v->str();
  };
  if (name == "startswith" || name == "endswith") {
    auto slots = in.bind({name, {"prefix", "start", "end"}}, args);
    if (!slots[0]) in.fail(fmt::format("{}() takes at least 1 argument (0 given)", name));
    std::vector<size_t> off = utf8_offsets(s);
    size_t b0, b1;
    resolve_range(in, s, off, arg_or(slots, 1, none), arg_or(slots, 2, none), &b0, &b1);
    std::string_view view = std::string_view(s).substr(b0, b1 - b0);
    List candidates;
    if (slots[0]->is_tuple()) {
      candidates = slots[0]->items();
    } else {
      candidates.push_back(*slots[0]);
    }
    for (const auto& c : candidates) {
      if (!c.is_string())
        in.fail(fmt::format("{} first arg must be str or a tuple of str, not {}", name,
                            py_type_name(c)));
      const std::string& p = c.str();
      if (name == "startswith"
              ? view.substr(0, p.size()) == p
              : (view.size() >= p.size() && view.substr(view.size() - p.size()) == p))
        return Value(true);
    }
    return Value(false);
  }
  if (name == "split" || name == "rsplit") {
    auto slots = in.bind({name, {"sep", "maxsplit"}}, args);
    auto sep = str_arg(slots[0], "sep");
    if (sep && sep->empty()) in.fail("empty separator");
    int64_t maxsplit = slots[1] ? int_arg(in, *slots[1], "maxsplit") : -1;
    return string_list(name == "split" ? py_split(s, sep, maxsplit) : py_rsplit(s, sep, maxsplit));
  }
  if (name == "splitlines") {
    auto slots = in.bind({name, {"keepends"}}, args);
    return string_list(splitlines(s, slots[0] && slots[0]->truthy()));
  }
  if (name == "strip" || name == "lstrip" || name == "rstrip") {
    auto slots = in.bind({name, {"chars"}}, args);
    auto chars = str_arg(slots[0], "strip");
    return Value(py_strip(s, chars, name != "rstrip", name != "lstrip"));
  }
  if (name == "replace") {
    auto slots = in.bind({name, {"old", "new", "count"}}, args);
    if (!slots[0] || !slots[1]) in.fail("replace expected at least 2 arguments");
    if (!slots[0]->is_string() || !slots[1]->is_string())
      in.fail("replace() arguments must be str");
    int64_t count = slots[2] ? int_arg(in, *slots[2], "count") : -1;
    return Value(py_replace(in, s, slots[0]->str(), slots[1]->str(), count));
  }
  if (name == "upper") return Value(py_upper(s));
  if (name == "lower" || name == "casefold") return Value(py_lower(s));
  if (name == "title") return Value(py_title_method(s));
  if (name == "capitalize") return Value(py_capitalize(s));
  if (name == "swapcase") return Value(py_swapcase(s));
  if (name == "find" || name == "rfind" || name == "index" || name == "rindex" || name == "count") {
    auto slots = in.bind({name, {"sub", "start", "end"}}, args);
    if (!slots[0] || !slots[0]->is_string())
      in.fail(fmt::format("{}() argument must be str", name));
    const std::string& sub = slots[0]->str();
    std::vector<size_t> off = utf8_offsets(s);
    size_t b0, b1;
    resolve_range(in, s, off, arg_or(slots, 1, none), arg_or(slots, 2, none), &b0, &b1);
    std::string_view view = std::string_view(s).substr(b0, b1 - b0);
    if (name == "count") {
      if (sub.empty()) return Value(static_cast<int64_t>(utf8_length(view) + 1));
      int64_t n = 0;
      size_t p = 0;
      while ((p = view.find(sub, p)) != std::string_view::npos) {
        ++n;
        p += sub.size();
      }
      return Value(n);
    }
    size_t hit = (name == "find" || name == "index") ? view.find(sub) : view.rfind(sub);
    if (hit == std::string_view::npos) {
      if (name == "index" || name == "rindex") in.fail("substring not found");
      return Value(int64_t{-1});
    }
    return Value(cp_index(s, b0 + hit));
  }
  if (name == "join") {
    auto slots = in.bind({name, {"iterable"}}, args);
    if (!slots[0]) in.fail("join() takes exactly one argument (0 given)");
    List items = in.iterate(*slots[0]);
    std::string out;
    for (size_t i = 0; i < items.size(); ++i) {
      if (!items[i].is_string())
        in.fail(fmt::format("sequence item {}: expected str instance, {} found", i,
                            py_type_name(items[i])));
      if (i) out += s;
      out += items[i].str();
      in.check_size(out.size());
    }
    return Value(std::move(out));
  }
  if (name == "format") return Value(str_format(in, s, args, false));
  if (name == "center" || name == "ljust" || name == "rjust") {
    auto slots = in.bind({name, {"width", "fillchar"}}, args);
    if (!slots[0]) in.fail(fmt::format("{}() takes at least 1 argument", name));
    int64_t width = int_arg(in, *slots[0], name);
    if (width > static_cast<int64_t>(in.env().limits.max_output_bytes)) in.check_size(width);
    char32_t fill = ' ';
    if (slots[1]) {
      if (!slots[1]->is_string() || utf8_length(slots[1]->str()) != 1)
        in.fail("The fill character must be exactly one character long");
      size_t p = 0;
      fill = utf8_next(slots[1]->str(), &p);
    }
    return Value(pad_text(s, width, fill, name == "center" ? 'c' : name == "ljust" ? '<' : '>'));
  }
  if (name == "zfill") {
    auto slots = in.bind({name, {"width"}}, args);
    if (!slots[0]) in.fail("zfill() takes exactly one argument");
    int64_t width = int_arg(in, *slots[0], name);
    int64_t len = static_cast<int64_t>(utf8_length(s));
    if (width <= len) return recv;
    in.check_size(static_cast<size_t>(width));
    size_t sign = !s.empty() && (s[0] == '+' || s[0] == '-') ? 1 : 0;
    return Value(s.substr(0, sign) + std::string(static_cast<size_t>(width - len), '0') +
                 s.substr(sign));
  }
  if (name == "partition" || name == "rpartition") {
    auto slots = in.bind({name, {"sep"}}, args);
    if (!slots[0] || !slots[0]->is_string())
      in.fail(fmt::format("{}() argument must be str", name));
    const std::string& sep = slots[0]->str();
    if (sep.empty()) in.fail("empty separator");
    size_t hit = name == "partition" ? s.find(sep) : s.rfind(sep);
    if (hit == std::string::npos) {
      if (name == "partition") return Value::tuple({Value(s), Value(""), Value("")});
      return Value::tuple({Value(""), Value(""), Value(s)});
    }
    return Value::tuple({Value(s.substr(0, hit)), Value(sep), Value(s.substr(hit + sep.size()))});
  }
  if (name == "removeprefix" || name == "removesuffix") {
    auto slots = in.bind({name, {"affix"}}, args);
    if (!slots[0] || !slots[0]->is_string())
      in.fail(fmt::format("{}() argument must be str", name));
    const std::string& a = slots[0]->str();
    if (name == "removeprefix") {
      return s.compare(0, a.size(), a) == 0 ? Value(s.substr(a.size())) : recv;
    }
    return s.size() >= a.size() && s.compare(s.size() - a.size(), a.size(), a) == 0
               ? Value(s.substr(0, s.size() - a.size()))
               : recv;
  }
  // is* predicates.
  std::vector<char32_t> cps = code_points(s);
  if (name == "isspace")
    return Value(!cps.empty() && std::all_of(cps.begin(), cps.end(), py_is_space));
  if (name == "isalpha")
    return Value(!cps.empty() && std::all_of(cps.begin(), cps.end(), py_is_alpha_cp));
  if (name == "isdigit" || name == "isdecimal" || name == "isnumeric")
    return Value(!cps.empty() && std::all_of(cps.begin(), cps.end(), py_is_digit_cp));
  if (name == "isalnum")
    return Value(!cps.empty() && std::all_of(cps.begin(), cps.end(), [](char32_t c) {
      return py_is_alpha_cp(c) || py_is_digit_cp(c);
    }));
  if (name == "islower" || name == "isupper") {
    bool any_cased = false;
    for (char32_t c : cps) {
      if (name == "islower" ? py_is_upper_cp(c) : py_is_lower_cp(c)) return Value(false);
      if (is_cased(c)) any_cased = true;
    }
    return Value(any_cased);
  }
  in.fail(fmt::format("'str' object has no attribute '{}'", name));
}

// ---- global functions ---------------------------------------------------------------------

const std::vector<std::string>& builtin_globals() {
  static const std::vector<std::string> k = {"range",  "dict",   "namespace",       "cycler",
                                             "joiner", "lipsum", "raise_exception", "strftime_now"};
  return k;
}

Value call_builtin(Interpreter& in, const std::string& name, Args& args) {
  if (name == "range") {
    if (!args.keyword.empty()) in.fail("range() takes no keyword arguments");
    const auto& p = args.positional;
    if (p.empty() || p.size() > 3)
      in.fail(fmt::format("range expected at most 3 arguments, got {}", p.size()));
    int64_t start = 0, stop = 0, step = 1;
    if (p.size() == 1) {
      stop = int_arg(in, p[0], "range");
    } else {
      start = int_arg(in, p[0], "range");
      stop = int_arg(in, p[1], "range");
      if (p.size() == 3) step = int_arg(in, p[2], "range");
    }
    if (step == 0) in.fail("range() arg 3 must not be zero");
    // The sandbox caps ranges (MAX_RANGE = 100000); a longer one is a SecurityError there.
    double n = step > 0
                   ? std::ceil((static_cast<double>(stop) - start) / step)
                   : std::ceil((static_cast<double>(start) - stop) / -static_cast<double>(step));
    if (n > 100000)
      in.fail("Range too big. The sandbox blocks ranges larger than MAX_RANGE (100000).",
              TemplateError::Kind::kLimit);
    List items;
    for (int64_t i = start; step > 0 ? i < stop : i > stop; i += step) items.push_back(Value(i));
    auto r = make_object<IteratorObject>(IteratorObject::Flavor::kRange, "range", std::move(items));
    r->range_start = start;
    r->range_stop = stop;
    r->range_step = step;
    return Value(std::shared_ptr<Object>(std::move(r)));
  }
  if (name == "dict") {
    Dict d;
    if (args.positional.size() > 1) in.fail("dict expected at most 1 argument");
    if (!args.positional.empty()) {
      const Value& src = args.positional[0];
      if (src.is_dict()) {
        d = src.dict();
      } else {
        for (const auto& pair : in.iterate(src)) {
          List kv = in.iterate(pair);
          if (kv.size() != 2) in.fail("dictionary update sequence element has wrong length");
          d.set(kv[0], kv[1]);
        }
      }
    }
    for (auto& [k, v] : args.keyword) d.set(Value(k), std::move(v));
    return Value(std::move(d));
  }
  if (name == "namespace") {
    auto ns = make_object<NamespaceObject>();
    in.track_namespace(ns);
    if (args.positional.size() > 1) in.fail("namespace expected at most 1 positional argument");
    if (!args.positional.empty()) {
      const Value& src = args.positional[0];
      if (!src.is_dict()) in.fail("namespace() argument must be a mapping");
      ns->attrs = src.dict();
    }
    for (auto& [k, v] : args.keyword) ns->attrs.set(Value(k), std::move(v));
    return Value(std::shared_ptr<Object>(ns));
  }
  if (name == "cycler") {
    if (args.positional.empty()) in.fail("at least one item has to be provided");
    auto c = make_object<CyclerObject>();
    c->items = args.positional;
    return Value(std::shared_ptr<Object>(c));
  }
  if (name == "joiner") {
    auto slots = in.bind({"joiner", {"sep"}}, args);
    auto j = make_object<JoinerObject>();
    j->sep = slots[0] ? soft_str(*slots[0]) : ", ";
    return Value(std::shared_ptr<Object>(j));
  }
  if (name == "raise_exception") {
    std::string message = args.positional.empty() ? std::string() : soft_str(args.positional[0]);
    in.fail(message, TemplateError::Kind::kRaised);
  }
  if (name == "strftime_now") {
    if (args.positional.size() != 1 || !args.positional[0].is_string())
      in.fail("strftime_now() takes one string argument (the format)");
    if (!in.env().strftime_now) in.fail("strftime_now is not available");
    return Value(in.env().strftime_now(args.positional[0].str()));
  }
  in.fail(fmt::format("'{}' is not supported", name));
}

// ---- filters ------------------------------------------------------------------------------

namespace {

const std::unordered_set<std::string>& filter_names() {
  static const std::unordered_set<std::string> k = {
      "abs",     "attr",      "batch", "capitalize", "center", "count",      "d",
      "default", "dictsort",  "e",     "escape",     "first",  "float",      "forceescape",
      "format",  "indent",    "int",   "join",       "last",   "length",     "list",
      "lower",   "items",     "map",   "min",        "max",    "reject",     "rejectattr",
      "replace", "reverse",   "round", "safe",       "select", "selectattr", "slice",
      "sort",    "string",    "sum",   "title",      "trim",   "truncate",   "unique",
      "upper",   "wordcount", "tojson"};
  return k;
}

const std::unordered_set<std::string>& test_names() {
  static const std::unordered_set<std::string> k = {
      "boolean", "callable", "defined",  "divisibleby", "eq",       "equalto", "escaped",
      "even",    "false",    "filter",   "float",       "ge",       "gt",      "greaterthan",
      "in",      "integer",  "iterable", "le",          "lessthan", "lower",   "lt",
      "mapping", "ne",       "none",     "number",      "odd",      "sameas",  "sequence",
      "string",  "test",     "true",     "undefined",   "upper",    "==",      "!=",
      "<",       "<=",       ">",        ">="};
  return k;
}

// Applies the key for sort/unique/min/max: optional attribute path(s), lowercased strings
// unless case_sensitive.
Value sort_key(Interpreter& in, const Value& item, const Value& attribute, bool case_sensitive,
               bool multi) {
  auto post = [&](const Value& v) { return case_sensitive ? v : lowercase_key(v); };
  if (attribute.is_none() || attribute.is_undefined()) {
    if (multi) return Value({post(item)});
    return post(item);
  }
  if (multi && attribute.is_string()) {
    List parts;
    for (const auto& a : py_split(attribute.str(), std::string(","), -1))
      parts.push_back(post(in.get_attribute_path(item, Value(a))));
    return Value(std::move(parts));
  }
  Value v = in.get_attribute_path(item, attribute);
  return multi ? Value({post(v)}) : post(v);
}

Value select_or_reject(Interpreter& in, const Value& value, Args& args, bool select,
                       bool lookup_attr) {
  List out;
  if (!value.truthy()) return generator(std::move(out));
  size_t off = 0;
  Value attr;
  if (lookup_attr) {
    if (args.positional.empty()) in.fail("Missing parameter for attribute name");
    attr = args.positional[0];
    off = 1;
  }
  bool has_test = args.positional.size() > off;
  std::string test_name;
  Args test_args;
  if (has_test) {
    if (!args.positional[off].is_string()) in.fail("test name must be a string");
    test_name = args.positional[off].str();
    test_args.positional.assign(args.positional.begin() + static_cast<std::ptrdiff_t>(off + 1),
                                args.positional.end());
    test_args.keyword = args.keyword;
  }
  for (const auto& item : in.iterate(value)) {
    in.count_iteration();
    Value subject = lookup_attr ? in.get_attribute_path(item, attr) : item;
    bool ok = has_test ? in.apply_test(test_name, subject, test_args) : subject.truthy();
    if (ok == select) out.push_back(item);
  }
  return generator(std::move(out));
}

}  // namespace

Value builtin_filter(Interpreter& in, const std::string& name, const Value& v, Args& args,
                     bool* found) {
  *found = filter_names().count(name) > 0;
  if (!*found) return Value();
  Value none = Value::none();
  if (name == "tojson") {
    // transformers: tojson(x, ensure_ascii=False, indent=None, separators=None,
    // sort_keys=False) = json.dumps(x, ...).
    auto slots = in.bind({"tojson", {"ensure_ascii", "indent", "separators", "sort_keys"}}, args);
    JsonDumpOptions o;
    o.ensure_ascii = slots[0] && slots[0]->truthy();
    bool indented = false;
    if (slots[1] && !slots[1]->is_none()) {
      indented = true;
      if (slots[1]->is_string()) {
        o.indent_is_text = true;
        o.indent_text = slots[1]->str();
      } else {
        o.indent = static_cast<int>(std::clamp<int64_t>(int_arg(in, *slots[1], "indent"), 0, 1000));
      }
    }
    if (slots[2] && !slots[2]->is_none()) {
      List seps = in.iterate(*slots[2]);
      if (seps.size() != 2 || !seps[0].is_string() || !seps[1].is_string())
        in.fail("tojson: separators must be a pair of strings");
      o.item_separator = seps[0].str();
      o.key_separator = seps[1].str();
    } else if (indented) {
      o.item_separator = ",";
    }
    o.sort_keys = slots[3] && slots[3]->truthy();
    std::string error;
    auto text = py_json_dumps(v, o, &error);
    if (!text) in.fail(error);
    in.check_size(text->size());
    return Value(std::move(*text));
  }
  if (name == "length" || name == "count") {
    switch (v.kind()) {
      case Kind::kUndefined:
        return Value(int64_t{0});
      case Kind::kString:
        return Value(static_cast<int64_t>(utf8_length(v.str())));
      case Kind::kList:
      case Kind::kTuple:
        return Value(static_cast<int64_t>(v.items().size()));
      case Kind::kDict:
        return Value(static_cast<int64_t>(v.dict().size()));
      default:
        if (v.is_object() && v.object()->type() == Object::Type::kLoop)
          return Value(
              static_cast<int64_t>(static_cast<LoopObject*>(v.object().get())->items->size()));
        if (IteratorObject* it = as_iterator(v); it && it->has_length())
          return Value(static_cast<int64_t>(it->items.size()));
        in.fail(fmt::format("object of type '{}' has no len()", py_type_name(v)));
    }
  }
  if (name == "string") return v.is_markup() ? v : Value(soft_str(v));
  if (name == "safe") return v.is_markup() ? v : Value::markup(soft_str(v));
  if (name == "e" || name == "escape") return escape_value(v);
  if (name == "forceescape") return Value::markup(html_escape(soft_str(v)));
  if (name == "upper") return like(v, py_upper(soft_str(v)));
  if (name == "lower") return like(v, py_lower(soft_str(v)));
  if (name == "capitalize") return like(v, py_capitalize(soft_str(v)));
  if (name == "title") return Value(jinja_title(soft_str(v)));
  if (name == "trim") {
    auto slots = in.bind({"trim", {"chars"}}, args);
    std::optional<std::string> chars;
    if (slots[0] && !slots[0]->is_none()) {
      if (!slots[0]->is_string()) in.fail("strip arg must be None or str");
      chars = v.is_markup() ? escape_value(*slots[0]).str() : slots[0]->str();
    }
    return like(v, py_strip(soft_str(v), chars, true, true));
  }
  if (name == "replace") {
    auto slots = in.bind({"replace", {"old", "new", "count"}}, args);
    if (!slots[0] || !slots[1]) in.fail("replace() missing required arguments 'old' and 'new'");
    int64_t count = slots[2] && !slots[2]->is_none() ? int_arg(in, *slots[2], "count") : -1;
    return Value(py_replace(in, soft_str(v), soft_str(*slots[0]), soft_str(*slots[1]), count));
  }
  if (name == "default" || name == "d") {
    auto slots = in.bind({name, {"default_value", "boolean"}}, args);
    Value dflt = slots[0] ? *slots[0] : Value(std::string());
    bool boolean = slots[1] && slots[1]->truthy();
    if (v.is_undefined() || (boolean && !v.truthy())) return dflt;
    return v;
  }
  if (name == "join") {
    auto slots = in.bind({"join", {"d", "attribute"}}, args);
    std::string sep = slots[0] ? soft_str(*slots[0]) : std::string();
    std::string out;
    bool first = true;
    for (const auto& item : in.iterate(v)) {
      in.count_iteration();
      Value x = slots[1] && !slots[1]->is_none() ? in.get_attribute_path(item, *slots[1]) : item;
      if (!first) out += sep;
      first = false;
      out += soft_str(x);
      in.check_size(out.size());
    }
    return Value(std::move(out));
  }
  if (name == "first") {
    if (IteratorObject* it = as_iterator(v);
        it && it->flavor == IteratorObject::Flavor::kGenerator) {
      if (it->pos >= it->items.size())
        return Value::undefined("No first item, sequence was empty.");
      return it->items[it->pos++];  // next(iter(generator)) consumes one item
    }
    List items = in.iterate(v);
    if (items.empty()) return Value::undefined("No first item, sequence was empty.");
    return items.front();
  }
  if (name == "last") {
    if (v.is_undefined()) return Value::undefined("No last item, sequence was empty.");
    IteratorObject* it = as_iterator(v);
    if (!v.is_string() && !v.is_sequence_like() && !v.is_dict() &&
        !(it && it->flavor != IteratorObject::Flavor::kGenerator))
      in.fail(fmt::format("'{}' object is not reversible", py_type_name(v)));
    List items = in.iterate(v);
    if (items.empty()) return Value::undefined("No last item, sequence was empty.");
    if (v.is_markup()) return Value::markup(items.back().str());
    return items.back();
  }
  if (name == "list") return Value(in.iterate(v));
  if (name == "items") {
    List out;
    if (v.is_undefined()) return generator(std::move(out));
    if (!v.is_dict()) in.fail("Can only get item pairs from a mapping.");
    for (const auto& [k, val] : v.dict().entries) out.push_back(Value::tuple({k, val}));
    return generator(std::move(out));
  }
  if (name == "reverse") {
    if (v.is_string()) {
      std::vector<char32_t> cps = code_points(v.str());
      std::vector<size_t> off = utf8_offsets(v.str());
      std::string out;
      for (size_t i = cps.size(); i-- > 0;) out.append(v.str(), off[i], off[i + 1] - off[i]);
      return like(v, std::move(out));
    }
    // reversed(value) where Python can, else list(value) reversed.
    IteratorObject* it = as_iterator(v);
    bool reversible = v.is_sequence_like() || v.is_dict() ||
                      (it && it->flavor != IteratorObject::Flavor::kGenerator);
    if (!v.is_undefined() && !reversible && !it) in.fail("argument must be iterable");
    List items = in.iterate(v);
    std::reverse(items.begin(), items.end());
    if (!reversible) return Value(std::move(items));
    return generator(std::move(items), v.is_list()   ? "list_reverseiterator"
                                       : v.is_dict() ? "dict_reversekeyiterator"
                                                     : "reversed");
  }
  if (name == "sort") {
    auto slots = in.bind({"sort", {"reverse", "case_sensitive", "attribute"}}, args);
    bool reverse = slots[0] && slots[0]->truthy();
    bool cs = slots[1] && slots[1]->truthy();
    Value attr = arg_or(slots, 2, none);
    std::vector<std::pair<Value, Value>> keyed;
    for (auto& item : in.iterate(v)) {
      in.count_iteration();
      keyed.emplace_back(sort_key(in, item, attr, cs, true), item);
    }
    sort_values(in, &keyed, reverse);
    List out;
    for (auto& [k, item] : keyed) out.push_back(std::move(item));
    return Value(std::move(out));
  }
  if (name == "dictsort") {
    auto slots = in.bind({"dictsort", {"case_sensitive", "by", "reverse"}}, args);
    if (v.is_undefined()) in.fail_undefined(v);
    if (!v.is_dict()) in.fail(fmt::format("'{}' object has no attribute 'items'", py_type_name(v)));
    bool cs = slots[0] && slots[0]->truthy();
    std::string by = slots[1] ? soft_str(*slots[1]) : "key";
    if (by != "key" && by != "value") in.fail("You can only sort by either \"key\" or \"value\"");
    bool reverse = slots[2] && slots[2]->truthy();
    std::vector<std::pair<Value, Value>> keyed;
    for (const auto& [k, val] : v.dict().entries) {
      const Value& key = by == "key" ? k : val;
      keyed.emplace_back(cs ? key : lowercase_key(key), Value::tuple({k, val}));
    }
    sort_values(in, &keyed, reverse);
    List out;
    for (auto& [k, item] : keyed) out.push_back(std::move(item));
    return Value(std::move(out));
  }
  if (name == "unique") {
    auto slots = in.bind({"unique", {"case_sensitive", "attribute"}}, args);
    bool cs = slots[0] && slots[0]->truthy();
    Value attr = arg_or(slots, 1, none);
    List out;
    List seen;
    for (auto& item : in.iterate(v)) {
      in.count_iteration();
      Value key = sort_key(in, item, attr, cs, false);
      if (key.is_list() || key.is_dict())
        in.fail(fmt::format("unhashable type: '{}'", py_type_name(key)));
      bool dup = false;
      for (const auto& s : seen) {
        in.count_iteration();
        if (py_equal(s, key)) {
          dup = true;
          break;
        }
      }
      if (!dup) {
        seen.push_back(key);
        out.push_back(item);
      }
    }
    return generator(std::move(out));
  }
  if (name == "min" || name == "max") {
    auto slots = in.bind({name, {"case_sensitive", "attribute"}}, args);
    bool cs = slots[0] && slots[0]->truthy();
    Value attr = arg_or(slots, 1, none);
    List items = in.iterate(v);
    if (items.empty()) return Value::undefined("No aggregated item, sequence was empty.");
    size_t best = 0;
    Value best_key = sort_key(in, items[0], attr, cs, false);
    for (size_t i = 1; i < items.size(); ++i) {
      Value key = sort_key(in, items[i], attr, cs, false);
      auto r = name == "min" ? py_less(key, best_key) : py_less(best_key, key);
      if (!r)
        in.fail(fmt::format("'<' not supported between instances of '{}' and '{}'",
                            py_type_name(key), py_type_name(best_key)));
      if (*r) {
        best = i;
        best_key = key;
      }
    }
    return items[best];
  }
  if (name == "sum") {
    auto slots = in.bind({"sum", {"attribute", "start"}}, args);
    Value total = slots[1] ? *slots[1] : Value(int64_t{0});
    if (total.is_string()) in.fail("sum() can't sum strings [use ''.join(seq) instead]");
    for (const auto& item : in.iterate(v)) {
      in.count_iteration();
      Value x = slots[0] && !slots[0]->is_none() ? in.get_attribute_path(item, *slots[0]) : item;
      if (total.is_undefined()) in.fail_undefined(total);
      if (x.is_undefined()) in.fail_undefined(x);
      if (total.is_number() && x.is_number()) {
        if (!total.is_float() && !x.is_float()) {
          int64_t a = total.is_bool() ? total.as_bool() : total.as_int();
          int64_t b = x.is_bool() ? x.as_bool() : x.as_int();
          int64_t r;
          if (__builtin_add_overflow(a, b, &r))
            in.fail("integer overflow (ints are 64-bit here)", TemplateError::Kind::kUnsupported);
          total = Value(r);
        } else {
          total = Value(total.to_double() + x.to_double());
        }
      } else if ((total.is_list() && x.is_list()) || (total.is_tuple() && x.is_tuple())) {
        List r = total.items();
        r.insert(r.end(), x.items().begin(), x.items().end());
        in.check_items(r.size());
        total = total.is_list() ? Value(std::move(r)) : Value::tuple(std::move(r));
      } else {
        in.fail(fmt::format("unsupported operand type(s) for +: '{}' and '{}'", py_type_name(total),
                            py_type_name(x)));
      }
    }
    return total;
  }
  if (name == "map") {
    List out;
    List items = in.iterate(v);
    bool by_attr = args.positional.empty() &&
                   std::any_of(args.keyword.begin(), args.keyword.end(),
                               [](const auto& kv) { return kv.first == "attribute"; });
    if (by_attr) {
      Value attr;
      Value dflt = none;
      for (auto& [k, val] : args.keyword) {
        if (k == "attribute") {
          attr = val;
        } else if (k == "default") {
          dflt = val;
        } else {
          in.fail(fmt::format("Unexpected keyword argument '{}'", k));
        }
      }
      for (const auto& item : items) {
        in.count_iteration();
        Value x = in.get_attribute_path(item, attr);
        if (!dflt.is_none() && x.is_undefined()) x = dflt;
        out.push_back(std::move(x));
      }
      return generator(std::move(out));
    }
    if (args.positional.empty()) in.fail("map requires a filter argument");
    if (!args.positional[0].is_string()) in.fail("map: the filter name must be a string");
    std::string filter = args.positional[0].str();
    Args rest;
    rest.positional.assign(args.positional.begin() + 1, args.positional.end());
    rest.keyword = args.keyword;
    for (const auto& item : items) {
      in.count_iteration();
      out.push_back(in.apply_filter(filter, item, rest));
    }
    return generator(std::move(out));
  }
  if (name == "select" || name == "reject")
    return select_or_reject(in, v, args, name == "select", false);
  if (name == "selectattr" || name == "rejectattr")
    return select_or_reject(in, v, args, name == "selectattr", true);
  if (name == "batch" || name == "slice") {
    auto slots = in.bind({name, {name == "batch" ? "linecount" : "slices", "fill_with"}}, args);
    if (!slots[0]) in.fail(fmt::format("{}() missing required argument", name));
    int64_t n = int_arg(in, *slots[0], name);
    if (n <= 0 && name == "slice") in.fail("integer division or modulo by zero");
    if (n > static_cast<int64_t>(in.env().limits.max_list_items))
      in.check_items(static_cast<size_t>(n));
    Value fill = arg_or(slots, 1, none);
    List items = in.iterate(v);
    List out;
    if (name == "batch") {
      List tmp;
      for (auto& item : items) {
        if (static_cast<int64_t>(tmp.size()) == n) {
          out.push_back(Value(std::move(tmp)));
          tmp = List();
        }
        tmp.push_back(std::move(item));
      }
      if (!tmp.empty()) {
        if (!fill.is_none())
          while (static_cast<int64_t>(tmp.size()) < n) tmp.push_back(fill);
        out.push_back(Value(std::move(tmp)));
      }
      return generator(std::move(out));
    }
    int64_t length = static_cast<int64_t>(items.size());
    int64_t per = length / n;
    int64_t extra = length % n;
    int64_t offset = 0;
    for (int64_t k = 0; k < n; ++k) {
      int64_t start = offset + k * per;
      if (k < extra) ++offset;
      int64_t end = offset + (k + 1) * per;
      List tmp(items.begin() + start, items.begin() + end);
      if (!fill.is_none() && k >= extra) tmp.push_back(fill);
      out.push_back(Value(std::move(tmp)));
    }
    return generator(std::move(out));
  }
  if (name == "int") {
    auto slots = in.bind({"int", {"default", "base"}}, args);
    Value dflt = slots[0] ? *slots[0] : Value(int64_t{0});
    int64_t base = slots[1] ? int_arg(in, *slots[1], "base") : 10;
    if (v.is_undefined()) in.fail_undefined(v);
    if (v.is_int()) return v;
    if (v.is_bool()) return Value(int64_t{v.as_bool()});
    if (v.is_float()) {
      double d = v.as_float();
      if (std::isnan(d)) return dflt;
      if (std::isinf(d)) in.fail("cannot convert float infinity to integer");
      if (std::fabs(d) >= 9.2e18)
        in.fail("integer overflow (ints are 64-bit here)", TemplateError::Kind::kUnsupported);
      return Value(static_cast<int64_t>(std::trunc(d)));
    }
    if (v.is_string()) {
      if (base != 0 && (base < 2 || base > 36)) in.fail("int() base must be >= 2 and <= 36, or 0");
      if (auto i = parse_py_int(v.str(), static_cast<int>(base))) return Value(*i);
      if (auto d = parse_py_float(v.str())) {
        if (std::isnan(*d)) return dflt;
        if (std::isinf(*d)) in.fail("cannot convert float infinity to integer");
        if (std::fabs(*d) >= 9.2e18)
          in.fail("integer overflow (ints are 64-bit here)", TemplateError::Kind::kUnsupported);
        return Value(static_cast<int64_t>(std::trunc(*d)));
      }
      return dflt;
    }
    return dflt;
  }
  if (name == "float") {
    auto slots = in.bind({"float", {"default"}}, args);
    Value dflt = slots[0] ? *slots[0] : Value(0.0);
    if (v.is_undefined()) in.fail_undefined(v);
    if (v.is_number()) return Value(v.to_double());
    if (v.is_string()) {
      if (auto d = parse_py_float(v.str())) return Value(*d);
    }
    return dflt;
  }
  if (name == "abs") {
    if (v.is_int()) {
      if (v.as_int() == INT64_MIN)
        in.fail("integer overflow (ints are 64-bit here)", TemplateError::Kind::kUnsupported);
      return Value(v.as_int() < 0 ? -v.as_int() : v.as_int());
    }
    if (v.is_bool()) return Value(int64_t{v.as_bool()});
    if (v.is_float()) return Value(std::fabs(v.as_float()));
    in.fail(fmt::format("bad operand type for abs(): '{}'", py_type_name(v)));
  }
  if (name == "round") {
    auto slots = in.bind({"round", {"precision", "method"}}, args);
    int64_t precision = slots[0] ? int_arg(in, *slots[0], "precision") : 0;
    std::string method = slots[1] ? soft_str(*slots[1]) : "common";
    if (method != "common" && method != "ceil" && method != "floor")
      in.fail("method must be common, ceil or floor");
    if (!v.is_number()) {
      if (v.is_undefined()) in.fail_undefined(v);
      in.fail(fmt::format("type {} doesn't define __round__ method", py_type_name(v)));
    }
    if (method == "common") {
      if (!v.is_float()) {
        int64_t x = v.is_bool() ? v.as_bool() : v.as_int();
        if (precision >= 0) return Value(x);
        if (precision < -18) return Value(int64_t{0});
        int64_t p = 1;
        for (int64_t k = 0; k < -precision; ++k) p *= 10;
        int64_t q = x / p;
        int64_t r = x % p;
        if (r < 0) {
          q -= 1;
          r += p;
        }
        if (2 * r > p || (2 * r == p && (q & 1))) q += 1;  // ties to even
        return Value(q * p);
      }
      return Value(py_round_float(v.as_float(), precision));
    }
    double p = std::pow(10.0, static_cast<double>(precision));
    double scaled = v.to_double() * p;
    double r = method == "ceil" ? std::ceil(scaled) : std::floor(scaled);
    return Value(r / p);
  }
  if (name == "center") {
    auto slots = in.bind({"center", {"width"}}, args);
    int64_t width = slots[0] ? int_arg(in, *slots[0], "width") : 80;
    if (width > static_cast<int64_t>(in.env().limits.max_output_bytes)) in.check_size(width);
    return like(v, pad_text(soft_str(v), width, ' ', 'c'));
  }
  if (name == "indent") {
    auto slots = in.bind({"indent", {"width", "first", "blank"}}, args);
    if (v.is_undefined()) in.fail_undefined(v);
    std::string indention;
    if (slots[0] && slots[0]->is_string()) {
      indention = slots[0]->str();
    } else {
      int64_t w = slots[0] ? int_arg(in, *slots[0], "width") : 4;
      if (w > 100000) in.fail("indent width too large");
      indention = std::string(static_cast<size_t>(std::max<int64_t>(0, w)), ' ');
    }
    bool first = slots[1] && slots[1]->truthy();
    bool blank = slots[2] && slots[2]->truthy();
    std::string s = soft_str(v) + "\n";
    std::vector<std::string> lines = splitlines(s, false);
    std::string rv;
    if (blank) {
      for (size_t i = 0; i < lines.size(); ++i) {
        if (i) rv += "\n" + indention;
        rv += lines[i];
      }
    } else {
      rv = lines.empty() ? std::string() : lines[0];
      for (size_t i = 1; i < lines.size(); ++i) {
        rv += "\n";
        if (!lines[i].empty()) rv += indention;
        rv += lines[i];
      }
    }
    if (first) rv = indention + rv;
    in.check_size(rv.size());
    return like(v, std::move(rv));
  }
  if (name == "truncate") {
    auto slots = in.bind({"truncate", {"length", "killwords", "end", "leeway"}}, args);
    int64_t length = slots[0] ? int_arg(in, *slots[0], "length") : 255;
    bool killwords = slots[1] && slots[1]->truthy();
    std::string end = slots[2] ? soft_str(*slots[2]) : "...";
    int64_t leeway = slots[3] && !slots[3]->is_none() ? int_arg(in, *slots[3], "leeway") : 5;
    int64_t end_len = static_cast<int64_t>(utf8_length(end));
    if (length < end_len) in.fail(fmt::format("expected length >= {}, got {}", end_len, length));
    if (leeway < 0) in.fail(fmt::format("expected leeway >= 0, got {}", leeway));
    if (v.is_undefined()) return v;
    std::string s = soft_str(v);
    std::vector<size_t> off = utf8_offsets(s);
    int64_t n = static_cast<int64_t>(off.size()) - 1;
    if (n <= length + leeway) return v;
    std::string head = s.substr(0, off[static_cast<size_t>(length - end_len)]);
    if (v.is_markup()) end = html_escape(end);
    if (killwords) return like(v, head + end);
    size_t sp = head.rfind(' ');
    if (sp != std::string::npos) head.resize(sp);
    return like(v, head + end);
  }
  if (name == "wordcount") {
    std::string s = soft_str(v);
    int64_t words = 0;
    bool in_word = false;
    size_t pos = 0;
    while (pos < s.size()) {
      char32_t c = utf8_next(s, &pos);
      bool w = c == '_' || py_is_alpha_cp(c) || py_is_digit_cp(c);
      if (w && !in_word) ++words;
      in_word = w;
    }
    return Value(words);
  }
  if (name == "format") {
    Value fargs;
    if (!args.keyword.empty()) {
      Dict d;
      for (auto& [k, val] : args.keyword) d.set(Value(k), val);
      fargs = Value(std::move(d));
    } else {
      fargs = Value::tuple(args.positional);
    }
    if (v.is_markup()) return Value::markup(printf_format(in, v.str(), fargs, true));
    return Value(printf_format(in, soft_str(v), fargs, false));
  }
  if (name == "attr") {
    auto slots = in.bind({"attr", {"name"}}, args);
    if (!slots[0] || !slots[0]->is_string()) in.fail("attr() requires an attribute name");
    const std::string& attr = slots[0]->str();
    if (v.is_dict() && !has_method(v, attr))
      return Value::undefined(fmt::format("'dict object' has no attribute '{}'", attr));
    return in.getattr(v, attr);
  }
  *found = false;
  return Value();
}

// ---- tests --------------------------------------------------------------------------------

bool builtin_test(Interpreter& in, const std::string& name, const Value& v, Args& args,
                  bool* found) {
  *found = test_names().count(name) > 0;
  if (!*found) return false;
  auto one_arg = [&]() -> Value {
    if (args.positional.size() + args.keyword.size() != 1)
      in.fail(fmt::format("test '{}' takes exactly one argument", name));
    return args.positional.empty() ? args.keyword[0].second : args.positional[0];
  };
  auto compare = [&](CmpOp op) {
    Value other = one_arg();
    if (op == CmpOp::kEq) return py_equal(v, other);
    if (op == CmpOp::kNe) return !py_equal(v, other);
    if (v.is_undefined()) in.fail_undefined(v);
    if (other.is_undefined()) in.fail_undefined(other);
    const Value& a = (op == CmpOp::kGt || op == CmpOp::kGe) ? other : v;
    const Value& b = (op == CmpOp::kGt || op == CmpOp::kGe) ? v : other;
    auto r = py_less(a, b);
    if (!r)
      in.fail(fmt::format("'<' not supported between instances of '{}' and '{}'", py_type_name(a),
                          py_type_name(b)));
    return *r || ((op == CmpOp::kLe || op == CmpOp::kGe) && py_equal(v, other));
  };
  if (name == "defined") return !v.is_undefined();
  if (name == "undefined") return v.is_undefined();
  if (name == "none") return v.is_none();
  if (name == "boolean") return v.is_bool();
  if (name == "true") return v.is_bool() && v.as_bool();
  if (name == "false") return v.is_bool() && !v.as_bool();
  if (name == "integer") return v.is_int();
  if (name == "float") return v.is_float();
  if (name == "number") return v.is_number();
  if (name == "string") return v.is_string();
  if (name == "mapping") return v.is_dict();
  if (name == "sequence") {
    IteratorObject* it = as_iterator(v);
    return v.is_string() || v.is_sequence_like() || v.is_dict() || v.is_undefined() ||
           (it && it->flavor == IteratorObject::Flavor::kRange);
  }
  if (name == "iterable")
    return v.is_string() || v.is_sequence_like() || v.is_dict() || v.is_undefined() ||
           as_iterator(v) != nullptr;
  if (name == "callable") {
    if (v.is_undefined()) return true;
    if (!v.is_object()) return false;
    auto t = v.object()->type();
    return t == Object::Type::kMacro || t == Object::Type::kBuiltin || t == Object::Type::kMethod ||
           t == Object::Type::kJoiner || t == Object::Type::kLoop;
  }
  if (name == "escaped") return v.is_markup();
  if (name == "lower" || name == "upper") {
    Args none_args;
    std::string s = soft_str(v);
    return call_method(in, Value(s), name == "lower" ? "islower" : "isupper", none_args).truthy();
  }
  if (name == "odd" || name == "even" || name == "divisibleby") {
    if (v.is_undefined()) in.fail_undefined(v);
    if (!v.is_int() && !v.is_bool())
      in.fail(fmt::format("unsupported operand type(s) for %: '{}' and 'int'", py_type_name(v)));
    int64_t x = v.is_bool() ? v.as_bool() : v.as_int();
    if (name == "divisibleby") {
      int64_t d = int_arg(in, one_arg(), "divisibleby");
      if (d == 0) in.fail("integer division or modulo by zero");
      return x % d == 0;
    }
    bool odd = (x % 2) != 0;
    return name == "odd" ? odd : !odd;
  }
  if (name == "eq" || name == "equalto" || name == "==") return compare(CmpOp::kEq);
  if (name == "ne" || name == "!=") return compare(CmpOp::kNe);
  if (name == "lt" || name == "lessthan" || name == "<") return compare(CmpOp::kLt);
  if (name == "le" || name == "<=") return compare(CmpOp::kLe);
  if (name == "gt" || name == "greaterthan" || name == ">") return compare(CmpOp::kGt);
  if (name == "ge" || name == ">=") return compare(CmpOp::kGe);
  if (name == "in") {
    Value seq = one_arg();
    if (seq.is_string()) {
      if (!v.is_string())
        in.fail(
            fmt::format("'in <string>' requires string as left operand, not {}", py_type_name(v)));
      return seq.str().find(v.str()) != std::string::npos;
    }
    if (seq.is_dict()) return seq.dict().find(v) != nullptr;
    for (const auto& x : in.iterate(seq))
      if (py_equal(x, v)) return true;
    return false;
  }
  if (name == "sameas") {
    Value other = one_arg();
    if (v.kind() != other.kind()) return false;
    switch (v.kind()) {
      case Kind::kNone:
        return true;
      case Kind::kBool:
        return v.as_bool() == other.as_bool();
      case Kind::kInt:
        // CPython caches small ints; larger equal ints are distinct objects.
        return v.as_int() == other.as_int() && v.as_int() >= -5 && v.as_int() <= 256;
      case Kind::kString:
        return &v.str() == &other.str();
      case Kind::kList:
      case Kind::kTuple:
        return &v.items() == &other.items();
      case Kind::kDict:
        return &v.dict() == &other.dict();
      case Kind::kObject:
        return v.object() == other.object();
      default:
        return false;
    }
  }
  if (name == "filter") return v.is_string() && filter_names().count(v.str()) > 0;
  if (name == "test") return v.is_string() && test_names().count(v.str()) > 0;
  *found = false;
  return false;
}

}  // namespace qwl::jinja
