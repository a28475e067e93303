// Values of the Jinja interpreter and their Python text forms (str, repr, json.dumps).
//
// Why so much Python here: the prompt a model sees is what transformers renders with jinja2,
// so every printed value must be the text CPython would print. Float text follows CPython's
// repr (shortest round-trip digits, fixed notation for exponents -4..15); string repr follows
// unicode_repr (quote choice, \x/\u/\U escapes of non-printable characters by Unicode
// category); json.dumps follows the json module's encoder with the separators and escapes of
// the options given.
#include "chat/jinja_value.h"

#include "base/utf8.h"
#include "chat/jinja_lexer.h"

#include <utf8proc.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstring>

namespace qwl::jinja {

Value Value::undefined(std::string hint) {
  Value v;
  v.v_ = Undefined{std::make_shared<const std::string>(std::move(hint))};
  return v;
}

// Objects are freed through a per-thread queue: destroying a list that holds a list that holds
// a list ... (a template can build one a million levels deep) would otherwise recurse once per
// level in the destructors and overflow the stack.
void detail::deferred_delete(void (*destroy)(const void*), const void* object) {
  struct Pending {
    void (*destroy)(const void*);
    const void* object;
  };
  thread_local std::vector<Pending> queue;
  thread_local bool draining = false;
  queue.push_back(Pending{destroy, object});
  if (draining) return;
  draining = true;
  while (!queue.empty()) {
    Pending next = queue.back();
    queue.pop_back();
    next.destroy(next.object);  // may queue what it held
  }
  draining = false;
}

Value::Value(std::string s) : v_(std::make_shared<const std::string>(std::move(s))) {}
Value::Value(List items)
    : v_(std::shared_ptr<const List>(new List(std::move(items)), detail::DeferredDeleter())) {}
Value::Value(Dict d)
    : v_(std::shared_ptr<const Dict>(new Dict(std::move(d)), detail::DeferredDeleter())) {}

Value Value::markup(std::string s) {
  return Value(MarkupStr{std::make_shared<const std::string>(std::move(s))});
}

Value Value::tuple(List items) {
  return Value(
      Tuple{std::shared_ptr<const List>(new List(std::move(items)), detail::DeferredDeleter())});
}

const List& Value::items() const {
  if (is_tuple()) return *std::get<Tuple>(v_).items;
  return *std::get<std::shared_ptr<const List>>(v_);
}

double Value::to_double() const {
  switch (kind()) {
    case Kind::kBool:
      return as_bool() ? 1.0 : 0.0;
    case Kind::kInt:
      return static_cast<double>(as_int());
    case Kind::kFloat:
      return as_float();
    default:
      return 0.0;
  }
}

std::string Value::undefined_hint() const {
  const auto& u = std::get<Undefined>(v_);
  return u.hint ? *u.hint : std::string();
}

bool Value::truthy() const {
  switch (kind()) {
    case Kind::kUndefined:
    case Kind::kNone:
      return false;
    case Kind::kBool:
      return as_bool();
    case Kind::kInt:
      return as_int() != 0;
    case Kind::kFloat:
      return as_float() != 0.0;
    case Kind::kString:
      return !str().empty();
    case Kind::kList:
    case Kind::kTuple:
      return !items().empty();
    case Kind::kDict:
      return dict().size() != 0;
    case Kind::kObject:
      return object()->truthy();
  }
  return false;
}

const Value* Dict::find(const Value& key) const {
  for (const auto& [k, v] : entries)
    if (py_equal(k, key)) return &v;
  return nullptr;
}

const Value* Dict::find(std::string_view key) const {
  for (const auto& [k, v] : entries)
    if (k.is_string() && k.str() == key) return &v;
  return nullptr;
}

void Dict::set(Value key, Value value) {
  for (auto& [k, v] : entries) {
    if (py_equal(k, key)) {
      v = std::move(value);
      return;
    }
  }
  entries.emplace_back(std::move(key), std::move(value));
}

namespace {

// int == float without losing precision for large ints.
bool int_equals_float(int64_t i, double f) {
  if (!std::isfinite(f) || f != std::floor(f)) return false;
  if (f < -9223372036854775808.0 || f >= 9223372036854775808.0) return false;
  return static_cast<int64_t>(f) == i;
}

int64_t int_of(const Value& v) {
  return v.is_bool() ? (v.as_bool() ? 1 : 0) : v.as_int();
}

}  // namespace

namespace {

[[noreturn]] void too_deep() {
  throw TemplateError("value nested deeper than " + std::to_string(kMaxValueDepth) + " levels",
                      SourcePos{0, 0}, TemplateError::Kind::kLimit);
}

bool equal_at(const Value& a, const Value& b, int depth);
std::optional<bool> less_at(const Value& a, const Value& b, int depth);

}  // namespace

bool py_equal(const Value& a, const Value& b) {
  return equal_at(a, b, 0);
}

std::optional<bool> py_less(const Value& a, const Value& b) {
  return less_at(a, b, 0);
}

namespace {

bool equal_at(const Value& a, const Value& b, int depth) {
  if (depth > kMaxValueDepth) too_deep();
  if (a.is_number() && b.is_number()) {
    if (a.is_float() && b.is_float()) return a.as_float() == b.as_float();
    if (a.is_float()) return int_equals_float(int_of(b), a.as_float());
    if (b.is_float()) return int_equals_float(int_of(a), b.as_float());
    return int_of(a) == int_of(b);
  }
  if (a.kind() != b.kind()) return false;
  switch (a.kind()) {
    case Kind::kUndefined:
    case Kind::kNone:
      return true;
    case Kind::kString:
      return a.str() == b.str();
    case Kind::kList:
    case Kind::kTuple: {
      const List& x = a.items();
      const List& y = b.items();
      if (x.size() != y.size()) return false;
      for (size_t i = 0; i < x.size(); ++i)
        if (!equal_at(x[i], y[i], depth + 1)) return false;
      return true;
    }
    case Kind::kDict: {
      const Dict& x = a.dict();
      const Dict& y = b.dict();
      if (x.size() != y.size()) return false;
      for (const auto& [k, v] : x.entries) {
        const Value* other = y.find(k);
        if (!other || !equal_at(v, *other, depth + 1)) return false;
      }
      return true;
    }
    case Kind::kObject:
      return a.object() == b.object();
    default:
      return false;
  }
}

std::optional<bool> less_at(const Value& a, const Value& b, int depth) {
  if (depth > kMaxValueDepth) too_deep();
  if (a.is_number() && b.is_number()) {
    if (!a.is_float() && !b.is_float()) return int_of(a) < int_of(b);
    return a.to_double() < b.to_double();
  }
  if (a.is_string() && b.is_string()) return a.str() < b.str();  // UTF-8 keeps code point order
  if ((a.is_list() && b.is_list()) || (a.is_tuple() && b.is_tuple())) {
    const List& x = a.items();
    const List& y = b.items();
    for (size_t i = 0; i < x.size() && i < y.size(); ++i) {
      if (!equal_at(x[i], y[i], depth + 1)) return less_at(x[i], y[i], depth + 1);
    }
    return x.size() < y.size();
  }
  return std::nullopt;
}

}  // namespace

// ---- UTF-8 -------------------------------------------------------------------------------

char32_t utf8_next(std::string_view s, size_t* pos) {
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  size_t i = *pos;
  size_t n = s.size();
  unsigned char c = p[i];
  if (c < 0x80) {
    *pos = i + 1;
    return c;
  }
  int len = 0;
  char32_t cp = 0;
  char32_t min = 0;
  if ((c & 0xE0) == 0xC0) {
    len = 2, cp = c & 0x1F, min = 0x80;
  } else if ((c & 0xF0) == 0xE0) {
    len = 3, cp = c & 0x0F, min = 0x800;
  } else if ((c & 0xF8) == 0xF0) {
    len = 4, cp = c & 0x07, min = 0x10000;
  }
  if (len == 0 || i + len > n) {
    *pos = i + 1;
    return c;
  }
  for (int k = 1; k < len; ++k) {
    if ((p[i + k] & 0xC0) != 0x80) {
      *pos = i + 1;
      return c;
    }
    cp = (cp << 6) | (p[i + k] & 0x3F);
  }
  if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
    *pos = i + 1;
    return c;
  }
  *pos = i + len;
  return cp;
}

void utf8_put(char32_t cp, std::string* out) {
  utf8_encode(cp, out);
}

std::vector<size_t> utf8_offsets(std::string_view s) {
  std::vector<size_t> offsets;
  offsets.reserve(s.size() + 1);
  size_t pos = 0;
  while (pos < s.size()) {
    offsets.push_back(pos);
    utf8_next(s, &pos);
  }
  offsets.push_back(s.size());
  return offsets;
}

size_t utf8_length(std::string_view s) {
  size_t n = 0;
  size_t pos = 0;
  while (pos < s.size()) {
    utf8_next(s, &pos);
    ++n;
  }
  return n;
}

bool py_is_space(char32_t cp) {
  if (cp <= 0x20) return cp == 0x20 || (cp >= 0x09 && cp <= 0x0D) || (cp >= 0x1C && cp <= 0x1F);
  if (cp < 0x85) return false;
  return cp == 0x85 || cp == 0xA0 || cp == 0x1680 || (cp >= 0x2000 && cp <= 0x200A) ||
         cp == 0x2028 || cp == 0x2029 || cp == 0x202F || cp == 0x205F || cp == 0x3000;
}

std::string py_strip(std::string_view s, const std::optional<std::string>& chars, bool left,
                     bool right) {
  std::vector<char32_t> set;
  if (chars) {
    size_t p = 0;
    while (p < chars->size()) set.push_back(utf8_next(*chars, &p));
  }
  auto strippable = [&](char32_t cp) {
    if (!chars) return py_is_space(cp);
    return std::find(set.begin(), set.end(), cp) != set.end();
  };
  std::vector<size_t> off = utf8_offsets(s);
  size_t n = off.size() - 1;
  size_t begin = 0;
  size_t end = n;
  if (left) {
    while (begin < end) {
      size_t p = off[begin];
      if (!strippable(utf8_next(s, &p))) break;
      ++begin;
    }
  }
  if (right) {
    while (end > begin) {
      size_t p = off[end - 1];
      if (!strippable(utf8_next(s, &p))) break;
      --end;
    }
  }
  return std::string(s.substr(off[begin], off[end] - off[begin]));
}

namespace {

template <typename Map>
std::string map_code_points(std::string_view s, Map map) {
  std::string out;
  out.reserve(s.size());
  size_t pos = 0;
  while (pos < s.size()) {
    size_t start = pos;
    char32_t cp = utf8_next(s, &pos);
    char32_t mapped = (pos - start == 1 && cp >= 0x80) ? cp : map(cp);
    if (mapped == cp) {
      out.append(s.substr(start, pos - start));  // keeps bytes that were not well-formed
    } else {
      utf8_put(mapped, &out);
    }
  }
  return out;
}

}  // namespace

std::string py_upper(std::string_view s) {
  return map_code_points(s, [](char32_t cp) {
    return static_cast<char32_t>(utf8proc_toupper(static_cast<utf8proc_int32_t>(cp)));
  });
}

std::string py_lower(std::string_view s) {
  return map_code_points(s, [](char32_t cp) {
    return static_cast<char32_t>(utf8proc_tolower(static_cast<utf8proc_int32_t>(cp)));
  });
}

bool py_is_upper_cp(char32_t cp) {
  return utf8proc_isupper(static_cast<utf8proc_int32_t>(cp));
}
bool py_is_lower_cp(char32_t cp) {
  return utf8proc_islower(static_cast<utf8proc_int32_t>(cp));
}

bool py_is_alpha_cp(char32_t cp) {
  auto c = utf8proc_category(static_cast<utf8proc_int32_t>(cp));
  return c >= UTF8PROC_CATEGORY_LU && c <= UTF8PROC_CATEGORY_LO;
}

bool py_is_digit_cp(char32_t cp) {
  return utf8proc_category(static_cast<utf8proc_int32_t>(cp)) == UTF8PROC_CATEGORY_ND;
}

// ---- str / repr ---------------------------------------------------------------------------

namespace {

bool py_is_printable(char32_t cp) {
  if (cp == 0x20) return true;
  switch (utf8proc_category(static_cast<utf8proc_int32_t>(cp))) {
    case UTF8PROC_CATEGORY_CC:
    case UTF8PROC_CATEGORY_CF:
    case UTF8PROC_CATEGORY_CS:
    case UTF8PROC_CATEGORY_CO:
    case UTF8PROC_CATEGORY_CN:
    case UTF8PROC_CATEGORY_ZL:
    case UTF8PROC_CATEGORY_ZP:
    case UTF8PROC_CATEGORY_ZS:
      return false;
    default:
      return true;
  }
}

void append_hex(uint32_t v, int digits, std::string* out) {
  static constexpr char kHex[] = "0123456789abcdef";
  for (int i = digits - 1; i >= 0; --i) out->push_back(kHex[(v >> (4 * i)) & 0xF]);
}

void repr_string_append(std::string_view s, std::string* out) {
  bool has_single = s.find('\'') != std::string_view::npos;
  bool has_double = s.find('"') != std::string_view::npos;
  char quote = (has_single && !has_double) ? '"' : '\'';
  out->push_back(quote);
  size_t pos = 0;
  while (pos < s.size()) {
    size_t start = pos;
    char32_t cp = utf8_next(s, &pos);
    bool bad_byte = pos - start == 1 && cp >= 0x80;
    if (bad_byte) {
      // Not well-formed UTF-8: Python would have failed to decode; show the byte escaped.
      out->append("\\x");
      append_hex(cp, 2, out);
    } else if (cp == static_cast<char32_t>(quote) || cp == '\\') {
      out->push_back('\\');
      out->push_back(static_cast<char>(cp));
    } else if (cp == '\t') {
      out->append("\\t");
    } else if (cp == '\n') {
      out->append("\\n");
    } else if (cp == '\r') {
      out->append("\\r");
    } else if (cp < 0x20 || cp == 0x7F) {
      out->append("\\x");
      append_hex(cp, 2, out);
    } else if (cp < 0x7F || py_is_printable(cp)) {
      out->append(s.substr(start, pos - start));
    } else if (cp <= 0xFF) {
      out->append("\\x");
      append_hex(cp, 2, out);
    } else if (cp <= 0xFFFF) {
      out->append("\\u");
      append_hex(cp, 4, out);
    } else {
      out->append("\\U");
      append_hex(cp, 8, out);
    }
  }
  out->push_back(quote);
}

void repr_at(const Value& v, std::string* out, int depth);

void repr_items(const List& items, std::string* out, int depth) {
  for (size_t i = 0; i < items.size(); ++i) {
    if (i) out->append(", ");
    repr_at(items[i], out, depth);
  }
}

void str_append(const Value& v, std::string* out) {
  switch (v.kind()) {
    case Kind::kUndefined:
      return;
    case Kind::kString:
      out->append(v.str());
      return;
    default:
      repr_at(v, out, 0);
  }
}

}  // namespace

std::string py_float_repr(double d) {
  if (std::isnan(d)) return "nan";
  if (std::isinf(d)) return d < 0 ? "-inf" : "inf";
  char buf[64];
  auto res = std::to_chars(buf, buf + sizeof buf, d, std::chars_format::scientific);
  std::string sci(buf, res.ptr);
  // sci = "-d.ddde+XX": split into sign, digits and exponent.
  std::string out;
  size_t i = 0;
  if (sci[0] == '-') {
    out.push_back('-');
    i = 1;
  }
  size_t e_pos = sci.find('e');
  std::string digits;
  for (size_t k = i; k < e_pos; ++k)
    if (sci[k] != '.') digits.push_back(sci[k]);
  int exp = std::stoi(sci.substr(e_pos + 1));
  // CPython's repr uses fixed notation when the decimal point falls within -4..16 digits.
  if (exp >= -4 && exp < 16) {
    int decpt = exp + 1;  // digits before the decimal point
    if (decpt <= 0) {
      out += "0.";
      out.append(static_cast<size_t>(-decpt), '0');
      out += digits;
    } else if (static_cast<size_t>(decpt) >= digits.size()) {
      out += digits;
      out.append(static_cast<size_t>(decpt) - digits.size(), '0');
      out += ".0";
    } else {
      out += digits.substr(0, static_cast<size_t>(decpt));
      out.push_back('.');
      out += digits.substr(static_cast<size_t>(decpt));
    }
    return out;
  }
  out.resize(d < 0 ? 1 : 0);
  out.push_back(digits[0]);
  if (digits.size() > 1) {
    out.push_back('.');
    out += digits.substr(1);
  }
  out.push_back('e');
  out.push_back(exp < 0 ? '-' : '+');
  int a = exp < 0 ? -exp : exp;
  if (a < 10) out.push_back('0');
  out += std::to_string(a);
  return out;
}

std::string py_repr_string(std::string_view s) {
  std::string out;
  repr_string_append(s, &out);
  return out;
}

void py_repr_append(const Value& v, std::string* out) {
  repr_at(v, out, 0);
}

namespace {

void repr_at(const Value& v, std::string* out, int depth) {
  if (depth > kMaxValueDepth) too_deep();
  switch (v.kind()) {
    case Kind::kUndefined:
      out->append("Undefined");
      return;
    case Kind::kNone:
      out->append("None");
      return;
    case Kind::kBool:
      out->append(v.as_bool() ? "True" : "False");
      return;
    case Kind::kInt:
      out->append(std::to_string(v.as_int()));
      return;
    case Kind::kFloat:
      out->append(py_float_repr(v.as_float()));
      return;
    case Kind::kString:
      if (v.is_markup()) out->append("Markup(");
      repr_string_append(v.str(), out);
      if (v.is_markup()) out->push_back(')');
      return;
    case Kind::kList:
      out->push_back('[');
      repr_items(v.items(), out, depth + 1);
      out->push_back(']');
      return;
    case Kind::kTuple:
      out->push_back('(');
      repr_items(v.items(), out, depth + 1);
      if (v.items().size() == 1) out->push_back(',');
      out->push_back(')');
      return;
    case Kind::kDict: {
      out->push_back('{');
      bool first = true;
      for (const auto& [k, val] : v.dict().entries) {
        if (!first) out->append(", ");
        first = false;
        repr_at(k, out, depth + 1);
        out->append(": ");
        repr_at(val, out, depth + 1);
      }
      out->push_back('}');
      return;
    }
    case Kind::kObject: {
      // describe() of a namespace prints its attributes, which may contain the namespace.
      thread_local int describing = 0;
      struct Guard {
        Guard() { ++describing; }
        ~Guard() { --describing; }
      } guard;
      if (describing > 64) too_deep();
      out->append(v.object()->describe());
      return;
    }
  }
}

}  // namespace

std::string py_repr(const Value& v) {
  std::string out;
  py_repr_append(v, &out);
  return out;
}

std::string py_str(const Value& v) {
  std::string out;
  str_append(v, &out);
  return out;
}

std::string_view py_type_name(const Value& v) {
  switch (v.kind()) {
    case Kind::kUndefined:
      return "Undefined";
    case Kind::kNone:
      return "NoneType";
    case Kind::kBool:
      return "bool";
    case Kind::kInt:
      return "int";
    case Kind::kFloat:
      return "float";
    case Kind::kString:
      return "str";
    case Kind::kList:
      return "list";
    case Kind::kTuple:
      return "tuple";
    case Kind::kDict:
      return "dict";
    case Kind::kObject:
      if (!v.object()->type_name().empty()) return v.object()->type_name();
      switch (v.object()->type()) {
        case Object::Type::kNamespace:
          return "Namespace";
        case Object::Type::kMacro:
          return "Macro";
        case Object::Type::kLoop:
          return "LoopContext";
        case Object::Type::kCycler:
          return "Cycler";
        case Object::Type::kJoiner:
          return "Joiner";
        default:
          return "builtin_function_or_method";
      }
  }
  return "object";
}

// ---- json.dumps ---------------------------------------------------------------------------

namespace {

constexpr int kMaxJsonDepth = 512;

void json_string(std::string_view s, bool ensure_ascii, std::string* out) {
  out->push_back('"');
  size_t pos = 0;
  while (pos < s.size()) {
    size_t start = pos;
    char32_t cp = utf8_next(s, &pos);
    switch (cp) {
      case '"':
        out->append("\\\"");
        continue;
      case '\\':
        out->append("\\\\");
        continue;
      case '\n':
        out->append("\\n");
        continue;
      case '\r':
        out->append("\\r");
        continue;
      case '\t':
        out->append("\\t");
        continue;
      case '\b':
        out->append("\\b");
        continue;
      case '\f':
        out->append("\\f");
        continue;
      default:
        break;
    }
    if (cp < 0x20) {
      out->append("\\u");
      append_hex(cp, 4, out);
    } else if (ensure_ascii && cp > 0x7E) {
      if (cp >= 0x10000) {
        char32_t v = cp - 0x10000;
        out->append("\\u");
        append_hex(0xD800 | (v >> 10), 4, out);
        out->append("\\u");
        append_hex(0xDC00 | (v & 0x3FF), 4, out);
      } else {
        out->append("\\u");
        append_hex(cp, 4, out);
      }
    } else {
      out->append(s.substr(start, pos - start));
    }
  }
  out->push_back('"');
}

std::string json_float(double d) {
  if (std::isnan(d)) return "NaN";
  if (std::isinf(d)) return d < 0 ? "-Infinity" : "Infinity";
  return py_float_repr(d);
}

struct JsonWriter {
  const JsonDumpOptions& o;
  std::string* out;
  std::string* error;

  void newline(int level) {
    out->push_back('\n');
    for (int i = 0; i < level; ++i) {
      if (o.indent_is_text) {
        out->append(o.indent_text);
      } else {
        out->append(static_cast<size_t>(o.indent), ' ');
      }
    }
  }
  bool indented() const { return o.indent >= 0 || o.indent_is_text; }

  bool key_text(const Value& k, std::string* text) {
    switch (k.kind()) {
      case Kind::kString:
        *text = k.str();
        return true;
      case Kind::kInt:
        *text = std::to_string(k.as_int());
        return true;
      case Kind::kFloat:
        *text = json_float(k.as_float());
        return true;
      case Kind::kBool:
        *text = k.as_bool() ? "true" : "false";
        return true;
      case Kind::kNone:
        *text = "null";
        return true;
      default:
        *error = "keys must be str, int, float, bool or None, not " + std::string(py_type_name(k));
        return false;
    }
  }

  bool write(const Value& v, int level) {
    if (level > kMaxJsonDepth) {
      *error = "nesting too deep for tojson";
      return false;
    }
    switch (v.kind()) {
      case Kind::kNone:
        out->append("null");
        return true;
      case Kind::kBool:
        out->append(v.as_bool() ? "true" : "false");
        return true;
      case Kind::kInt:
        out->append(std::to_string(v.as_int()));
        return true;
      case Kind::kFloat:
        out->append(json_float(v.as_float()));
        return true;
      case Kind::kString:
        json_string(v.str(), o.ensure_ascii, out);
        return true;
      case Kind::kList:
      case Kind::kTuple: {
        const List& items = v.items();
        if (items.empty()) {
          out->append("[]");
          return true;
        }
        out->push_back('[');
        if (indented()) newline(level + 1);
        for (size_t i = 0; i < items.size(); ++i) {
          if (i) {
            out->append(o.item_separator);
            if (indented()) newline(level + 1);
          }
          if (!write(items[i], level + 1)) return false;
        }
        if (indented()) newline(level);
        out->push_back(']');
        return true;
      }
      case Kind::kDict: {
        const Dict& d = v.dict();
        if (d.size() == 0) {
          out->append("{}");
          return true;
        }
        std::vector<const std::pair<Value, Value>*> entries;
        for (const auto& e : d.entries) entries.push_back(&e);
        if (o.sort_keys) {
          bool comparable = true;
          std::stable_sort(entries.begin(), entries.end(), [&](auto* a, auto* b) {
            auto less = py_less(a->first, b->first);
            if (!less) comparable = false;
            return less.value_or(false);
          });
          if (!comparable) {
            *error = "'<' not supported between the keys of a dict passed to tojson";
            return false;
          }
        }
        out->push_back('{');
        if (indented()) newline(level + 1);
        bool first = true;
        for (const auto* e : entries) {
          if (!first) {
            out->append(o.item_separator);
            if (indented()) newline(level + 1);
          }
          first = false;
          std::string key;
          if (!key_text(e->first, &key)) return false;
          json_string(key, o.ensure_ascii, out);
          out->append(o.key_separator);
          if (!write(e->second, level + 1)) return false;
        }
        if (indented()) newline(level);
        out->push_back('}');
        return true;
      }
      default:
        *error = "Object of type " + std::string(py_type_name(v)) + " is not JSON serializable";
        return false;
    }
  }
};

}  // namespace

std::optional<std::string> py_json_dumps(const Value& v, const JsonDumpOptions& options,
                                         std::string* error) {
  std::string out;
  JsonWriter w{options, &out, error};
  if (!w.write(v, 0)) return std::nullopt;
  return out;
}

}  // namespace qwl::jinja
