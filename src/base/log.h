// Logging over fmt. Lines go to stderr as "qwenlayer: <level>: <message>", so stdout stays free
// for a command's real output (--json). The level is process-wide; set it once at start-up
// (QWL_LOG_LEVEL or --verbose). Thread-safe: each line is written with one write call.
#pragma once

#include <fmt/format.h>

#include <string_view>

namespace qwl {

enum class LogLevel { kDebug = 0, kInfo = 1, kWarn = 2, kError = 3, kOff = 4 };

void set_log_level(LogLevel level);
LogLevel log_level();
// Parses "debug|info|warn|error|off"; returns false on anything else.
bool parse_log_level(std::string_view text, LogLevel* level);
void log_line(LogLevel level, std::string_view message);

template <typename... Args>
void log(LogLevel level, fmt::format_string<Args...> format, Args&&... args) {
  if (level < log_level()) return;
  log_line(level, fmt::format(format, std::forward<Args>(args)...));
}

}  // namespace qwl

#define QWL_LOG_DEBUG(...) ::qwl::log(::qwl::LogLevel::kDebug, __VA_ARGS__)
#define QWL_LOG_INFO(...) ::qwl::log(::qwl::LogLevel::kInfo, __VA_ARGS__)
#define QWL_LOG_WARN(...) ::qwl::log(::qwl::LogLevel::kWarn, __VA_ARGS__)
#define QWL_LOG_ERROR(...) ::qwl::log(::qwl::LogLevel::kError, __VA_ARGS__)
