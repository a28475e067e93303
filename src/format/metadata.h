// Metadata: a model's key/value metadata with GGUF's value types, in file order.
//
// Both model sources fill it: a GGUF file verbatim, and a Hugging Face folder translated into the
// same keys ("general.architecture", "qwen2.block_count", "tokenizer.ggml.tokens", ...), so that
// every layer above reads one vocabulary of keys. Values keep their exact GGUF type so that a
// file can be written back unchanged.
//
// Thread-safety: immutable after construction is safe to share; mutation is single-threaded.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "base/status.h"

namespace qwl {

// GGUF's value type numbers.
enum class ValueType : uint32_t {
  kUint8 = 0,
  kInt8 = 1,
  kUint16 = 2,
  kInt16 = 3,
  kUint32 = 4,
  kInt32 = 5,
  kFloat32 = 6,
  kBool = 7,
  kString = 8,
  kArray = 9,
  kUint64 = 10,
  kInt64 = 11,
  kFloat64 = 12,
};
std::string_view value_type_name(ValueType t);
bool is_integer_type(ValueType t);

class MetaValue {
 public:
  MetaValue() = default;
  // Scalars. Integers of every width are kept as int64 (uint64 values bit-cast).
  static MetaValue integer(ValueType t, int64_t v);
  static MetaValue uint32(uint32_t v) { return integer(ValueType::kUint32, v); }
  static MetaValue int32(int32_t v) { return integer(ValueType::kInt32, v); }
  static MetaValue uint64(uint64_t v) {
    return integer(ValueType::kUint64, static_cast<int64_t>(v));
  }
  static MetaValue floating(ValueType t, double v);  // kFloat32 or kFloat64
  static MetaValue float32(float v) { return floating(ValueType::kFloat32, v); }
  static MetaValue boolean(bool v);
  static MetaValue string(std::string v);
  // Arrays, by element type.
  static MetaValue integer_array(ValueType elem, std::vector<int64_t> v);  // integers or bool
  static MetaValue float_array(ValueType elem, std::vector<double> v);
  static MetaValue string_array(std::vector<std::string> v);
  static MetaValue nested_array(std::vector<MetaValue> v);  // arrays of arrays

  ValueType type() const { return type_; }
  ValueType elem_type() const { return elem_; }  // meaningful for kArray only

  // The integer as stored, for integer and bool scalars (uint64 values bit-cast, so that values
  // above INT64_MAX survive a round trip through a writer); 0 for other types.
  int64_t int_bits() const { return is_integer_type(type_) || type_ == ValueType::kBool ? i_ : 0; }

  // Typed reads; nullopt / nullptr when the value does not have that shape.
  std::optional<int64_t> as_int() const;   // any integer type (uint64 above INT64_MAX: nullopt)
  std::optional<double> as_float() const;  // float types, and integers converted
  std::optional<bool> as_bool() const;
  const std::string* as_string() const;
  size_t array_size() const;
  const std::vector<int64_t>* as_int_array() const;  // integer or bool elements
  const std::vector<double>* as_float_array() const;
  const std::vector<std::string>* as_string_array() const;
  const std::vector<MetaValue>* as_nested_array() const;

  // A short human-readable rendering: scalars in full, arrays as "[n x type] first items...".
  std::string summary(size_t max_items = 8) const;

 private:
  ValueType type_ = ValueType::kUint32;
  ValueType elem_ = ValueType::kUint8;
  int64_t i_ = 0;
  double f_ = 0;
  std::string s_;
  std::vector<int64_t> ints_;
  std::vector<double> floats_;
  std::vector<std::string> strings_;
  std::vector<MetaValue> nested_;
};

class Metadata {
 public:
  // Sets (replacing in place, or appending) a key.
  void set(std::string key, MetaValue value);
  const MetaValue* find(std::string_view key) const;
  bool contains(std::string_view key) const { return find(key) != nullptr; }
  const std::vector<std::pair<std::string, MetaValue>>& entries() const { return entries_; }
  size_t size() const { return entries_.size(); }

  // Typed getters. Errors: NotFound ("missing metadata key 'x'"), Corrupt ("metadata key 'x'
  // is <type>, expected <kind>"); integers also fail if the value is negative or above max.
  Result<uint64_t> get_uint(std::string_view key, uint64_t max = UINT64_MAX) const;
  Result<double> get_float(std::string_view key) const;
  Result<bool> get_bool(std::string_view key) const;
  Result<std::string> get_string(std::string_view key) const;
  Result<const std::vector<std::string>*> get_string_array(std::string_view key) const;
  Result<const std::vector<int64_t>*> get_int_array(std::string_view key) const;
  Result<const std::vector<double>*> get_float_array(std::string_view key) const;

 private:
  std::vector<std::pair<std::string, MetaValue>> entries_;
  std::unordered_map<std::string, size_t> index_;
};

}  // namespace qwl
