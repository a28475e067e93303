// Logging sink and the QWL_CHECK failure path.
#include "base/log.h"

#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <string>

#include "base/check.h"

namespace qwl {
namespace {

LogLevel initial_level() {
  LogLevel level = LogLevel::kInfo;
  if (const char* env = std::getenv("QWL_LOG_LEVEL")) parse_log_level(env, &level);
  return level;
}

std::atomic<LogLevel>& level_ref() {
  static std::atomic<LogLevel> level{initial_level()};
  return level;
}

const char* level_name(LogLevel level) {
  switch (level) {
    case LogLevel::kDebug:
      return "debug";
    case LogLevel::kInfo:
      return "info";
    case LogLevel::kWarn:
      return "warning";
    case LogLevel::kError:
      return "error";
    case LogLevel::kOff:
      return "off";
  }
  return "?";
}

void write_all(const std::string& text) {
  const char* p = text.data();
  size_t left = text.size();
  while (left > 0) {
    ssize_t n = ::write(STDERR_FILENO, p, left);
    if (n <= 0) return;
    p += n;
    left -= static_cast<size_t>(n);
  }
}

}  // namespace

void set_log_level(LogLevel level) {
  level_ref().store(level);
}
LogLevel log_level() {
  return level_ref().load(std::memory_order_relaxed);
}

bool parse_log_level(std::string_view text, LogLevel* level) {
  if (text == "debug")
    *level = LogLevel::kDebug;
  else if (text == "info")
    *level = LogLevel::kInfo;
  else if (text == "warn" || text == "warning")
    *level = LogLevel::kWarn;
  else if (text == "error")
    *level = LogLevel::kError;
  else if (text == "off")
    *level = LogLevel::kOff;
  else
    return false;
  return true;
}

void log_line(LogLevel level, std::string_view message) {
  write_all(fmt::format("qwenlayer: {}: {}\n", level_name(level), message));
}

namespace detail {
[[noreturn]] void check_failed(const char* file, int line, const char* cond,
                               const std::string& msg) {
  write_all(fmt::format("qwenlayer: internal error at {}:{}: check failed: {}{}{}\n", file, line,
                        cond, msg.empty() ? "" : ": ", msg));
  std::abort();
}
}  // namespace detail

}  // namespace qwl
