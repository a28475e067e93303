// QWL_CHECK: abort with file:line on a broken invariant (a bug, never bad input).
//
// Bad input from files, users or the network is reported with Status (status.h). QWL_CHECK is
// for conditions that can only be false if our own code is wrong; it is always on, in release
// builds too, because a silently wrong forward pass is worse than a crash.
#pragma once

#include <fmt/format.h>

namespace qwl::detail {
[[noreturn]] void check_failed(const char* file, int line, const char* cond,
                               const std::string& msg);
}  // namespace qwl::detail

#define QWL_CHECK(cond, ...)                                                                 \
  do {                                                                                       \
    if (__builtin_expect(!(cond), 0))                                                        \
      ::qwl::detail::check_failed(__FILE__, __LINE__, #cond, ::fmt::format("" __VA_ARGS__)); \
  } while (0)
