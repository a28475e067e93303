// Values of the Jinja interpreter (internal to the chat layer): what a template expression
// evaluates to, with Python's semantics, because the reference renderer is Python's jinja2.
//
// A Value is one of: Undefined (jinja2's default Undefined: prints as "", is false, iterates as
// empty, and fails on attribute access, calls and arithmetic), None, bool, int (64-bit; Python's
// are unbounded, so an overflow is an error here), float (double, printed as Python's repr),
// str (UTF-8; lengths, indexes and slices count code points as Python does; a str may be a
// markupsafe Markup), list, tuple, dict (insertion-ordered; keys are any hashable value,
// compared as Python compares them), and objects: a namespace() (the only mutable value), a
// macro, a builtin function, a bound method, a loop variable, a cycler or joiner, and Python
// iterators (generators from filters, dict views, range objects).
//
// Strings, lists and dicts are immutable and shared: copying a Value copies a pointer.
// The text functions here (py_str, py_repr, py_json_dumps, py_float_repr) produce exactly what
// Python's str(), repr() and json.dumps() produce for the same value.
// Thread-safety: a Value may be read from several threads; a namespace must not be written
// while another thread reads it (a render never shares one).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

namespace qwl::jinja {

class Value;
class Object;
struct Dict;

using List = std::vector<Value>;

// Tags for the variant alternatives that are not plain C++ types.
struct Undefined {
  // What was looked up, for error messages ("'messages' is undefined"); may be null.
  std::shared_ptr<const std::string> hint;
};
struct None {};
struct Tuple {
  std::shared_ptr<const List> items;
};
// A markupsafe.Markup string (what |safe and |e return): text that concatenation with plain
// strings escapes as HTML ("'<b>'|safe + '<'" is "<b>&lt;"). Kind kString.
struct MarkupStr {
  std::shared_ptr<const std::string> text;
};

enum class Kind : uint8_t {
  kUndefined,
  kNone,
  kBool,
  kInt,
  kFloat,
  kString,
  kList,
  kTuple,
  kDict,
  kObject,
};

class Value {
 public:
  Value() : v_(Undefined{}) {}
  static Value undefined(std::string hint);
  static Value none() { return Value(None{}); }
  Value(bool b) : v_(b) {}                                // NOLINT
  Value(int64_t i) : v_(i) {}                             // NOLINT
  Value(int i) : v_(static_cast<int64_t>(i)) {}           // NOLINT
  Value(double f) : v_(f) {}                              // NOLINT
  Value(std::string s);                                   // NOLINT
  Value(std::string_view s) : Value(std::string(s)) {}    // NOLINT
  Value(const char* s) : Value(std::string(s)) {}         // NOLINT
  Value(List items);                                      // NOLINT
  Value(Dict d);                                          // NOLINT
  Value(std::shared_ptr<Object> o) : v_(std::move(o)) {}  // NOLINT
  static Value tuple(List items);
  static Value markup(std::string s);

  Kind kind() const {
    size_t i = v_.index();
    return i == kMarkupIndex ? Kind::kString : static_cast<Kind>(i);
  }
  bool is_markup() const { return v_.index() == kMarkupIndex; }
  bool is_undefined() const { return kind() == Kind::kUndefined; }
  bool is_none() const { return kind() == Kind::kNone; }
  bool is_bool() const { return kind() == Kind::kBool; }
  bool is_int() const { return kind() == Kind::kInt; }
  bool is_float() const { return kind() == Kind::kFloat; }
  // int, float or bool (Python's bool is an int).
  bool is_number() const { return is_int() || is_float() || is_bool(); }
  bool is_string() const { return kind() == Kind::kString; }
  bool is_list() const { return kind() == Kind::kList; }
  bool is_tuple() const { return kind() == Kind::kTuple; }
  bool is_sequence_like() const { return is_list() || is_tuple(); }
  bool is_dict() const { return kind() == Kind::kDict; }
  bool is_object() const { return kind() == Kind::kObject; }

  bool as_bool() const { return std::get<bool>(v_); }
  int64_t as_int() const { return std::get<int64_t>(v_); }
  double as_float() const { return std::get<double>(v_); }
  // Numeric value of an int, float or bool.
  double to_double() const;
  const std::string& str() const {
    return is_markup() ? *std::get<MarkupStr>(v_).text
                       : *std::get<std::shared_ptr<const std::string>>(v_);
  }
  // Items of a list or a tuple.
  const List& items() const;
  const Dict& dict() const { return *std::get<std::shared_ptr<const Dict>>(v_); }
  const std::shared_ptr<Object>& object() const { return std::get<std::shared_ptr<Object>>(v_); }
  // The name an Undefined was created for; empty if none.
  std::string undefined_hint() const;

  // Python truthiness.
  bool truthy() const;

 private:
  explicit Value(None n) : v_(n) {}
  explicit Value(Tuple t) : v_(std::move(t)) {}
  explicit Value(MarkupStr m) : v_(std::move(m)) {}
  static constexpr size_t kMarkupIndex = 10;
  std::variant<Undefined, None, bool, int64_t, double, std::shared_ptr<const std::string>,
               std::shared_ptr<const List>, Tuple, std::shared_ptr<const Dict>,
               std::shared_ptr<Object>, MarkupStr>
      v_;
};

// An insertion-ordered mapping with Python's key equality (1 == 1.0 == True). Lookups are
// linear: template dicts are small (messages, tool schemas).
struct Dict {
  std::vector<std::pair<Value, Value>> entries;

  const Value* find(const Value& key) const;
  const Value* find(std::string_view key) const;
  // Replaces the value of an equal key in place (keeping its position), else appends.
  void set(Value key, Value value);
  size_t size() const { return entries.size(); }
};

// Objects that are not plain data. Each kind is a subclass defined by the interpreter.
class Object {
 public:
  enum class Type {
    kNamespace,
    kMacro,
    kBuiltin,
    kMethod,
    kLoop,
    kCycler,
    kJoiner,
    kIterator,
  };
  virtual ~Object() = default;
  virtual Type type() const = 0;
  // Python's str() of the object ("<Namespace {...}>" and the like).
  virtual std::string describe() const = 0;
  // Python's truth value (objects are true unless they have a length, like a dict view).
  virtual bool truthy() const { return true; }
  // Python's type name, for messages ("Namespace", "generator", ...); empty: by type().
  virtual std::string_view type_name() const { return {}; }
};

namespace detail {
void deferred_delete(void (*destroy)(const void*), const void* object);
template <typename T>
void destroy_as(const void* p) {
  delete static_cast<const T*>(p);
}
// A shared_ptr deleter that frees without recursing through nested containers.
struct DeferredDeleter {
  template <typename T>
  void operator()(const T* p) const {
    deferred_delete(&destroy_as<T>, p);
  }
};
}  // namespace detail

// Creates an interpreter object (freed like containers, without deep recursion).
template <typename T, typename... A>
std::shared_ptr<T> make_object(A&&... args) {
  return std::shared_ptr<T>(new T(std::forward<A>(args)...), detail::DeferredDeleter());
}

// Thrown by the text forms below for values nested deeper than this (a template can build
// such values; CPython would hit its recursion limit).
constexpr int kMaxValueDepth = 512;

// Python's equality (==): numbers across int/float/bool, deep for containers, a list never
// equals a tuple, Undefined equals only Undefined, objects by identity.
bool py_equal(const Value& a, const Value& b);

// Python's ordering (<) for numbers, strings (code point order), lists and tuples
// (lexicographic). Returns nullopt when Python raises TypeError.
std::optional<bool> py_less(const Value& a, const Value& b);

// Python's str() and repr(). Undefined prints as "" (str) or "Undefined" (repr).
std::string py_str(const Value& v);
std::string py_repr(const Value& v);
void py_repr_append(const Value& v, std::string* out);
// repr() of a str: quotes chosen and characters escaped as Python does.
std::string py_repr_string(std::string_view s);
// repr() of a float: the shortest text that reads back to the same double, in Python's layout
// ("1.0", "1e+16", "0.0001", "1e-05", "inf", "nan").
std::string py_float_repr(double d);

// json.dumps(v, ensure_ascii, indent, separators, sort_keys) for values made of None, bool, int,
// float, str, list, tuple and dict (keys str, int, float, bool or None). `indent` < 0 means None.
// Returns nullopt and sets *error for anything else ("Object of type Undefined is not JSON
// serializable") or on nesting deeper than 512.
struct JsonDumpOptions {
  bool ensure_ascii = false;
  int indent = -1;
  std::string indent_text;  // used instead of spaces when indent was given as a string
  bool indent_is_text = false;
  std::string item_separator = ", ";
  std::string key_separator = ": ";
  bool sort_keys = false;
};
std::optional<std::string> py_json_dumps(const Value& v, const JsonDumpOptions& options,
                                         std::string* error);

// The Python type name of a value ("str", "int", "NoneType", "Undefined", "list", ...).
std::string_view py_type_name(const Value& v);

// ---- UTF-8 text, counted in code points as Python counts str -------------------------------

// Byte offsets of each code point of `s` plus s.size() at the end. Bytes that do not form a
// well-formed sequence count as one code point each (templates and inputs are expected to be
// well-formed UTF-8; this only keeps bad input from crashing).
std::vector<size_t> utf8_offsets(std::string_view s);
size_t utf8_length(std::string_view s);
// Decodes the code point at s[*pos] and advances *pos; a bad byte decodes as itself (0x80-0xFF).
char32_t utf8_next(std::string_view s, size_t* pos);
void utf8_put(char32_t cp, std::string* out);

// Python's str.isspace() for one code point (also what re's \s matches in str patterns).
bool py_is_space(char32_t cp);
// str.strip(chars) / lstrip / rstrip; with no chars (nullopt), Python's whitespace.
std::string py_strip(std::string_view s, const std::optional<std::string>& chars, bool left,
                     bool right);
// str.upper() / str.lower() by simple case mapping (Python uses full mappings: "ß".upper() is
// "SS" there and "ß" here).
std::string py_upper(std::string_view s);
std::string py_lower(std::string_view s);
bool py_is_upper_cp(char32_t cp);
bool py_is_lower_cp(char32_t cp);
bool py_is_alpha_cp(char32_t cp);
bool py_is_digit_cp(char32_t cp);

}  // namespace qwl::jinja
