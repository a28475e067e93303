// Status and Result<T>: errors as values at module boundaries.
//
// A Status is either ok or carries a code and a human-readable message that names what failed
// ("model.gguf: tensor 'blk.3.attn_q.weight': offset 4096 past end of data section"). Functions
// that can fail on bad input or the environment return Status or Result<T>; broken internal
// invariants use QWL_CHECK (check.h) instead. Neither type throws. Both are cheap to move.
// Thread-safety: plain values; no shared state.
#pragma once

#include <fmt/format.h>

#include <string>
#include <string_view>
#include <utility>
#include <variant>

#include "base/check.h"

namespace qwl {

enum class StatusCode {
  kOk = 0,
  kInvalidArgument,    // the caller's input is malformed (bad flag, bad JSON, bad text)
  kNotFound,           // a file, tensor, key or record does not exist
  kCorrupt,            // a file's bytes violate its format
  kUnsupported,        // well-formed but not something we implement (an architecture, a type)
  kOutOfRange,         // a limit was reached (context length, a size cap)
  kIoError,            // the operating system refused (open, read, mmap, write)
  kResourceExhausted,  // memory, queue or quota
  kCancelled,
  kUnavailable,
  kInternal,
  kUnauthenticated,     // no credentials, or credentials that are not valid
  kPermissionDenied,    // valid credentials that do not allow this
  kFailedPrecondition,  // valid, but the state refuses it now (no stock, closed, funds, conflict)
};

std::string_view status_code_name(StatusCode code);

class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(StatusCode code, std::string message) : code_(code), message_(std::move(message)) {}

  static Status Ok() { return Status(); }
  bool ok() const { return code_ == StatusCode::kOk; }
  StatusCode code() const { return code_; }
  const std::string& message() const { return message_; }
  // "Corrupt: model.gguf: bad magic" (or "OK").
  std::string to_string() const;

  // Returns a copy with `context` prepended to the message ("loading model: <message>").
  Status with_context(std::string_view context) const;

 private:
  StatusCode code_ = StatusCode::kOk;
  std::string message_;
};

// Constructors for each code with fmt-style formatting.
#define QWL_DEFINE_STATUS_CTOR(Name)                                                      \
  template <typename... Args>                                                             \
  Status Name##Error(fmt::format_string<Args...> format, Args&&... args) {                \
    return Status(StatusCode::k##Name, fmt::format(format, std::forward<Args>(args)...)); \
  }
QWL_DEFINE_STATUS_CTOR(InvalidArgument)
QWL_DEFINE_STATUS_CTOR(NotFound)
QWL_DEFINE_STATUS_CTOR(Corrupt)
QWL_DEFINE_STATUS_CTOR(Unsupported)
QWL_DEFINE_STATUS_CTOR(OutOfRange)
QWL_DEFINE_STATUS_CTOR(IoError)
QWL_DEFINE_STATUS_CTOR(ResourceExhausted)
QWL_DEFINE_STATUS_CTOR(Cancelled)
QWL_DEFINE_STATUS_CTOR(Unavailable)
QWL_DEFINE_STATUS_CTOR(Unauthenticated)
QWL_DEFINE_STATUS_CTOR(PermissionDenied)
QWL_DEFINE_STATUS_CTOR(FailedPrecondition)
QWL_DEFINE_STATUS_CTOR(Internal)
#undef QWL_DEFINE_STATUS_CTOR

// Result<T> holds either a T or a non-ok Status. Accessing value() of an error aborts.
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}        // NOLINT(google-explicit-constructor)
  Result(Status status) : v_(std::move(status)) {  // NOLINT(google-explicit-constructor)
    QWL_CHECK(!std::get<Status>(v_).ok(), "Result constructed from an ok Status");
  }

  bool ok() const { return std::holds_alternative<T>(v_); }
  const Status& status() const {
    static const Status kOkStatus;
    return ok() ? kOkStatus : std::get<Status>(v_);
  }
  T& value() & {
    QWL_CHECK(ok(), "value() of an error Result: {}", std::get<Status>(v_).to_string());
    return std::get<T>(v_);
  }
  const T& value() const& {
    QWL_CHECK(ok(), "value() of an error Result: {}", std::get<Status>(v_).to_string());
    return std::get<T>(v_);
  }
  T&& value() && {
    QWL_CHECK(ok(), "value() of an error Result: {}", std::get<Status>(v_).to_string());
    return std::get<T>(std::move(v_));
  }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

 private:
  std::variant<T, Status> v_;
};

}  // namespace qwl

// Returns early from the enclosing function when `expr` (a Status) is not ok.
#define QWL_RETURN_IF_ERROR(expr)              \
  do {                                         \
    ::qwl::Status qwl_status_ = (expr);        \
    if (!qwl_status_.ok()) return qwl_status_; \
  } while (0)

#define QWL_CONCAT_INNER_(a, b) a##b
#define QWL_CONCAT_(a, b) QWL_CONCAT_INNER_(a, b)
// QWL_ASSIGN_OR_RETURN(auto x, make_x()): binds the value or returns the error.
#define QWL_ASSIGN_OR_RETURN(lhs, expr) \
  QWL_ASSIGN_OR_RETURN_IMPL_(QWL_CONCAT_(qwl_result_, __LINE__), lhs, expr)
#define QWL_ASSIGN_OR_RETURN_IMPL_(tmp, lhs, expr) \
  auto tmp = (expr);                               \
  if (!tmp.ok()) return tmp.status();              \
  lhs = std::move(tmp).value()
