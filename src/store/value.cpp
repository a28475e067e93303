// Value formatting and equality (for messages and tests).
#include "store/value.h"

#include <fmt/format.h>

namespace qwl {

std::string_view Value::type_name(Type type) {
  switch (type) {
    case Type::kNull:
      return "NULL";
    case Type::kInt64:
      return "int64";
    case Type::kDouble:
      return "double";
    case Type::kText:
      return "text";
    case Type::kBlob:
      return "blob";
  }
  return "?";
}

std::string Value::debug_string() const {
  switch (type_) {
    case Type::kNull:
      return "NULL";
    case Type::kInt64:
      return fmt::format("{}", i_);
    case Type::kDouble:
      return fmt::format("{}", d_);
    case Type::kText: {
      std::string out = "'";
      for (char c : s_) {
        if (c == '\'') out += '\'';
        out += c;
      }
      return out + "'";
    }
    case Type::kBlob: {
      std::string out = "x'";
      for (unsigned char c : s_) out += fmt::format("{:02x}", c);
      return out + "'";
    }
  }
  return "?";
}

bool operator==(const Value& a, const Value& b) {
  if (a.type_ != b.type_) return false;
  switch (a.type_) {
    case Value::Type::kNull:
      return true;
    case Value::Type::kInt64:
      return a.i_ == b.i_;
    case Value::Type::kDouble:
      return a.d_ == b.d_;
    default:
      return a.s_ == b.s_;
  }
}

}  // namespace qwl
