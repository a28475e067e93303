// Values, parameters and rows: the typed data that crosses the Db interface.
//
// A Value is one SQL value of one of five types: NULL, a 64-bit integer, a double, UTF-8 text
// or a blob of bytes. Money is always an integer number of minor units (fen, cents); never a
// double. Booleans are integers 0/1 on both databases (a PostgreSQL BOOLEAN column reads back
// as 0/1). Params is a borrowed list of Values for one statement; Row and Rows own the values a
// query returned. All are plain values with no shared state (thread-compatible).
#pragma once

#include <concepts>
#include <cstdint>
#include <initializer_list>
#include <limits>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/check.h"

namespace qwl {

class Value {
 public:
  enum class Type : uint8_t { kNull, kInt64, kDouble, kText, kBlob };

  Value() = default;        // NULL
  Value(std::nullptr_t) {}  // NOLINT(google-explicit-constructor)
  // Any integer type, bool included (true -> 1). An unsigned value above INT64_MAX is a bug.
  template <std::integral T>
  Value(T v) : type_(Type::kInt64), i_(static_cast<int64_t>(v)) {  // NOLINT
    if constexpr (std::is_unsigned_v<T> && sizeof(T) >= sizeof(int64_t)) {
      QWL_CHECK(v <= static_cast<T>(std::numeric_limits<int64_t>::max()),
                "Value: unsigned {} does not fit int64", v);
    }
  }
  template <std::floating_point T>
  Value(T v) : type_(Type::kDouble), d_(static_cast<double>(v)) {}  // NOLINT
  Value(std::string v) : type_(Type::kText), s_(std::move(v)) {}    // NOLINT
  Value(std::string_view v) : type_(Type::kText), s_(v) {}          // NOLINT
  Value(const char* v) : type_(Type::kText), s_(v) {}               // NOLINT
  // A blob holding `bytes` verbatim (text and blob are distinct types on both databases).
  static Value blob(std::string_view bytes) {
    Value v;
    v.type_ = Type::kBlob;
    v.s_ = bytes;
    return v;
  }

  Type type() const { return type_; }
  bool is_null() const { return type_ == Type::kNull; }
  // Typed access; the wrong type (NULL included) is a bug in the caller's SQL and aborts.
  int64_t int64() const {
    QWL_CHECK(type_ == Type::kInt64, "Value: {} read as int64", type_name(type_));
    return i_;
  }
  double real() const {
    QWL_CHECK(type_ == Type::kDouble, "Value: {} read as double", type_name(type_));
    return d_;
  }
  const std::string& text() const {
    QWL_CHECK(type_ == Type::kText, "Value: {} read as text", type_name(type_));
    return s_;
  }
  const std::string& blob_bytes() const {
    QWL_CHECK(type_ == Type::kBlob, "Value: {} read as blob", type_name(type_));
    return s_;
  }
  // "NULL", 42, 0.5, 'text' (quotes doubled), x'00ff'; for messages and tests.
  std::string debug_string() const;
  static std::string_view type_name(Type type);

  friend bool operator==(const Value& a, const Value& b);

 private:
  Type type_ = Type::kNull;
  int64_t i_ = 0;
  double d_ = 0;
  std::string s_;  // text or blob bytes
};

// The parameters of one statement, bound to its `?` placeholders in order. Borrows the values:
// build it in the call (`tx.exec(sql, {id, name})`) or from a container that outlives the call.
class Params {
 public:
  Params() = default;
  Params(std::initializer_list<Value> values) : values_(values.begin(), values.size()) {}  // NOLINT
  Params(std::span<const Value> values) : values_(values) {}                               // NOLINT
  Params(const std::vector<Value>& values) : values_(values) {}                            // NOLINT
  std::span<const Value> values() const { return values_; }
  size_t size() const { return values_.size(); }
  const Value& operator[](size_t i) const { return values_[i]; }

 private:
  std::span<const Value> values_;
};

// One result row. Column types follow the value stored (SQLite) or the column's type
// (PostgreSQL: integer types and integral NUMERIC -> int64, float and fractional NUMERIC ->
// double, BOOLEAN -> 0/1, BYTEA -> blob, everything else -> text).
class Row {
 public:
  Row() = default;
  explicit Row(std::vector<Value> values) : values_(std::move(values)) {}
  size_t size() const { return values_.size(); }
  const Value& operator[](size_t col) const {
    QWL_CHECK(col < values_.size(), "Row: column {} of {}", col, values_.size());
    return values_[col];
  }
  bool is_null(size_t col) const { return (*this)[col].is_null(); }
  int64_t int64(size_t col) const { return (*this)[col].int64(); }
  double real(size_t col) const { return (*this)[col].real(); }
  const std::string& text(size_t col) const { return (*this)[col].text(); }
  const std::string& blob(size_t col) const { return (*this)[col].blob_bytes(); }
  const std::vector<Value>& values() const { return values_; }

 private:
  std::vector<Value> values_;
};

// All rows of a query, materialised, with the column names in select-list order.
struct Rows {
  std::vector<std::string> columns;
  std::vector<Row> rows;

  size_t size() const { return rows.size(); }
  bool empty() const { return rows.empty(); }
  const Row& operator[](size_t i) const { return rows[i]; }
  auto begin() const { return rows.begin(); }
  auto end() const { return rows.end(); }
};

}  // namespace qwl
