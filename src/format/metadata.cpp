// Metadata values and typed lookups.
#include "format/metadata.h"

#include <fmt/format.h>

#include <limits>

namespace qwl {

std::string_view value_type_name(ValueType t) {
  switch (t) {
    case ValueType::kUint8:
      return "uint8";
    case ValueType::kInt8:
      return "int8";
    case ValueType::kUint16:
      return "uint16";
    case ValueType::kInt16:
      return "int16";
    case ValueType::kUint32:
      return "uint32";
    case ValueType::kInt32:
      return "int32";
    case ValueType::kFloat32:
      return "float32";
    case ValueType::kBool:
      return "bool";
    case ValueType::kString:
      return "string";
    case ValueType::kArray:
      return "array";
    case ValueType::kUint64:
      return "uint64";
    case ValueType::kInt64:
      return "int64";
    case ValueType::kFloat64:
      return "float64";
  }
  return "unknown";
}

bool is_integer_type(ValueType t) {
  switch (t) {
    case ValueType::kUint8:
    case ValueType::kInt8:
    case ValueType::kUint16:
    case ValueType::kInt16:
    case ValueType::kUint32:
    case ValueType::kInt32:
    case ValueType::kUint64:
    case ValueType::kInt64:
      return true;
    default:
      return false;
  }
}

MetaValue MetaValue::integer(ValueType t, int64_t v) {
  MetaValue m;
  m.type_ = t;
  m.i_ = v;
  return m;
}
MetaValue MetaValue::floating(ValueType t, double v) {
  MetaValue m;
  m.type_ = t;
  m.f_ = v;
  return m;
}
MetaValue MetaValue::boolean(bool v) {
  MetaValue m;
  m.type_ = ValueType::kBool;
  m.i_ = v ? 1 : 0;
  return m;
}
MetaValue MetaValue::string(std::string v) {
  MetaValue m;
  m.type_ = ValueType::kString;
  m.s_ = std::move(v);
  return m;
}
MetaValue MetaValue::integer_array(ValueType elem, std::vector<int64_t> v) {
  MetaValue m;
  m.type_ = ValueType::kArray;
  m.elem_ = elem;
  m.ints_ = std::move(v);
  return m;
}
MetaValue MetaValue::float_array(ValueType elem, std::vector<double> v) {
  MetaValue m;
  m.type_ = ValueType::kArray;
  m.elem_ = elem;
  m.floats_ = std::move(v);
  return m;
}
MetaValue MetaValue::string_array(std::vector<std::string> v) {
  MetaValue m;
  m.type_ = ValueType::kArray;
  m.elem_ = ValueType::kString;
  m.strings_ = std::move(v);
  return m;
}
MetaValue MetaValue::nested_array(std::vector<MetaValue> v) {
  MetaValue m;
  m.type_ = ValueType::kArray;
  m.elem_ = ValueType::kArray;
  m.nested_ = std::move(v);
  return m;
}

std::optional<int64_t> MetaValue::as_int() const {
  if (!is_integer_type(type_)) return std::nullopt;
  if (type_ == ValueType::kUint64 && i_ < 0) return std::nullopt;
  return i_;
}
std::optional<double> MetaValue::as_float() const {
  if (type_ == ValueType::kFloat32 || type_ == ValueType::kFloat64) return f_;
  if (is_integer_type(type_)) return static_cast<double>(i_);
  return std::nullopt;
}
std::optional<bool> MetaValue::as_bool() const {
  if (type_ != ValueType::kBool) return std::nullopt;
  return i_ != 0;
}
const std::string* MetaValue::as_string() const {
  return type_ == ValueType::kString ? &s_ : nullptr;
}
size_t MetaValue::array_size() const {
  if (type_ != ValueType::kArray) return 0;
  if (elem_ == ValueType::kString) return strings_.size();
  if (elem_ == ValueType::kArray) return nested_.size();
  if (elem_ == ValueType::kFloat32 || elem_ == ValueType::kFloat64) return floats_.size();
  return ints_.size();
}
const std::vector<int64_t>* MetaValue::as_int_array() const {
  if (type_ != ValueType::kArray) return nullptr;
  return (is_integer_type(elem_) || elem_ == ValueType::kBool) ? &ints_ : nullptr;
}
const std::vector<double>* MetaValue::as_float_array() const {
  if (type_ != ValueType::kArray) return nullptr;
  return (elem_ == ValueType::kFloat32 || elem_ == ValueType::kFloat64) ? &floats_ : nullptr;
}
const std::vector<std::string>* MetaValue::as_string_array() const {
  return (type_ == ValueType::kArray && elem_ == ValueType::kString) ? &strings_ : nullptr;
}
const std::vector<MetaValue>* MetaValue::as_nested_array() const {
  return (type_ == ValueType::kArray && elem_ == ValueType::kArray) ? &nested_ : nullptr;
}

std::string MetaValue::summary(size_t max_items) const {
  switch (type_) {
    case ValueType::kString: {
      std::string s = s_.size() > 80 ? s_.substr(0, 77) + "..." : s_;
      return fmt::format("\"{}\"", s);
    }
    case ValueType::kBool:
      return i_ ? "true" : "false";
    case ValueType::kFloat32:
    case ValueType::kFloat64:
      return fmt::format("{}", f_);
    case ValueType::kUint64:
      return fmt::format("{}", static_cast<uint64_t>(i_));
    case ValueType::kArray: {
      std::string out = fmt::format("[{} x {}]", array_size(), value_type_name(elem_));
      size_t n = std::min(array_size(), max_items);
      for (size_t k = 0; k < n; ++k) {
        out += k == 0 ? " " : ", ";
        if (!strings_.empty())
          out += fmt::format("\"{}\"", strings_[k]);
        else if (!floats_.empty())
          out += fmt::format("{}", floats_[k]);
        else if (!ints_.empty())
          out += fmt::format("{}", ints_[k]);
        else
          out += nested_[k].summary(max_items);
      }
      if (array_size() > n) out += ", ...";
      return out;
    }
    default:
      return fmt::format("{}", i_);
  }
}

void Metadata::set(std::string key, MetaValue value) {
  auto it = index_.find(key);
  if (it != index_.end()) {
    entries_[it->second].second = std::move(value);
    return;
  }
  index_.emplace(key, entries_.size());
  entries_.emplace_back(std::move(key), std::move(value));
}

const MetaValue* Metadata::find(std::string_view key) const {
  auto it = index_.find(std::string(key));
  return it == index_.end() ? nullptr : &entries_[it->second].second;
}

namespace {
Status missing(std::string_view key) {
  return NotFoundError("missing metadata key '{}'", key);
}
Status wrong_type(std::string_view key, const MetaValue& v, std::string_view expected) {
  std::string type(value_type_name(v.type()));
  if (v.type() == ValueType::kArray)
    type = fmt::format("array of {}", value_type_name(v.elem_type()));
  return CorruptError("metadata key '{}' is {}, expected {}", key, type, expected);
}
}  // namespace

Result<uint64_t> Metadata::get_uint(std::string_view key, uint64_t max) const {
  const MetaValue* v = find(key);
  if (v == nullptr) return missing(key);
  if (!is_integer_type(v->type())) return wrong_type(key, *v, "an integer");
  auto i = v->as_int();
  if (!i || *i < 0 || static_cast<uint64_t>(*i) > max)
    return CorruptError("metadata key '{}' = {} is out of range [0, {}]", key, v->summary(), max);
  return static_cast<uint64_t>(*i);
}
Result<double> Metadata::get_float(std::string_view key) const {
  const MetaValue* v = find(key);
  if (v == nullptr) return missing(key);
  auto f = v->as_float();
  if (!f) return wrong_type(key, *v, "a number");
  return *f;
}
Result<bool> Metadata::get_bool(std::string_view key) const {
  const MetaValue* v = find(key);
  if (v == nullptr) return missing(key);
  auto b = v->as_bool();
  if (!b) return wrong_type(key, *v, "a bool");
  return *b;
}
Result<std::string> Metadata::get_string(std::string_view key) const {
  const MetaValue* v = find(key);
  if (v == nullptr) return missing(key);
  const std::string* s = v->as_string();
  if (s == nullptr) return wrong_type(key, *v, "a string");
  return *s;
}
Result<const std::vector<std::string>*> Metadata::get_string_array(std::string_view key) const {
  const MetaValue* v = find(key);
  if (v == nullptr) return missing(key);
  const auto* a = v->as_string_array();
  if (a == nullptr) return wrong_type(key, *v, "an array of strings");
  return a;
}
Result<const std::vector<int64_t>*> Metadata::get_int_array(std::string_view key) const {
  const MetaValue* v = find(key);
  if (v == nullptr) return missing(key);
  const auto* a = v->as_int_array();
  if (a == nullptr) return wrong_type(key, *v, "an array of integers");
  return a;
}
Result<const std::vector<double>*> Metadata::get_float_array(std::string_view key) const {
  const MetaValue* v = find(key);
  if (v == nullptr) return missing(key);
  const auto* a = v->as_float_array();
  if (a == nullptr) return wrong_type(key, *v, "an array of floats");
  return a;
}

}  // namespace qwl
