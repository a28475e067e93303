// The MCP client (mcp_client.h): the config file, two transports (a spawned process on stdio,
// Streamable HTTP over libcurl), the protocol's handshake and tool calls, and the executor that
// turns an external server's tools into ours.
//
// Messages are parsed as nlohmann::ordered_json: a tool's inputSchema is passed on as text,
// and the grammar writes object keys in the order the schema declares them, so that order must
// survive. Nothing here throws past the public functions: JSON is parsed without exceptions,
// read through the checked accessors below, and dumped with invalid UTF-8 replaced.
#include "agent/mcp_client.h"

#include <curl/curl.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <cerrno>
#include <condition_variable>
#include <cstring>
#include <fstream>
#include <future>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <sstream>
#include <thread>
#include <unordered_map>

#include "base/log.h"
#include "base/utf8.h"
#include "runtime/json_schema.h"

extern char** environ;

namespace qwl::agent {
namespace {

using ojson = nlohmann::ordered_json;
using SteadyClock = std::chrono::steady_clock;
using std::chrono::milliseconds;

constexpr size_t kMaxMessageBytes = 16 << 20;  // one JSON-RPC message from a server
constexpr size_t kMaxLogLineBytes = 2000;      // of a server's stderr line in our log
constexpr int kMaxToolPages = 100;
constexpr size_t kMaxToolNameBytes = 64;
constexpr size_t kMaxServerNameBytes = 32;
constexpr std::string_view kIdempotencyMetaKey = "qwenlayer/idempotency-key";

// ---- small helpers ------------------------------------------------------------------------

std::string dump(const ojson& j) {
  return j.dump(-1, ' ', false, ojson::error_handler_t::replace);
}
std::string dump(const nlohmann::json& j) {
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

bool is_name_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
         c == '-';
}

// ^[a-zA-Z0-9_-]{1,max}$
bool is_name(std::string_view s, size_t max) {
  return !s.empty() && s.size() <= max && std::all_of(s.begin(), s.end(), is_name_char);
}

const ojson* member(const ojson& object, std::string_view key) {
  if (!object.is_object()) return nullptr;
  auto it = object.find(key);
  return it == object.end() ? nullptr : &*it;
}

std::optional<std::string> string_member(const ojson& object, std::string_view key) {
  const ojson* value = member(object, key);
  if (value == nullptr || !value->is_string()) return std::nullopt;
  return value->get<std::string>();
}

bool starts_with_nocase(std::string_view s, std::string_view prefix) {
  if (s.size() < prefix.size()) return false;
  for (size_t i = 0; i < prefix.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(s[i])) != prefix[i]) return false;
  }
  return true;
}

std::string request_text(int64_t id, std::string_view method, const ojson& params) {
  ojson message = {{"jsonrpc", "2.0"}, {"id", id}, {"method", method}};
  if (!params.is_null()) message["params"] = params;
  return dump(message);
}

std::string notification_text(std::string_view method, const ojson& params) {
  ojson message = {{"jsonrpc", "2.0"}, {"method", method}};
  if (!params.is_null()) message["params"] = params;
  return dump(message);
}

// A JSON-RPC response as our result: its "result", or its error as a Status.
Result<ojson> response_result(std::string_view label, std::string_view method,
                              const ojson& response) {
  if (const ojson* error = member(response, "error")) {
    const ojson* code_value = member(*error, "code");
    int64_t code =
        code_value != nullptr && code_value->is_number_integer() ? code_value->get<int64_t>() : 0;
    std::string message = string_member(*error, "message").value_or("(no message)");
    // -32602 is what servers answer for an unknown tool or arguments they refuse.
    StatusCode status_code = StatusCode::kInternal;
    if (code == -32602 || code == -32600 || code == -32700) {
      status_code = StatusCode::kInvalidArgument;
    } else if (code == -32601) {
      status_code = StatusCode::kUnsupported;
    }
    return Status(status_code, fmt::format("{}: {}: error {}: {}", label, method, code,
                                           utf8_prefix(message, kMaxLogLineBytes)));
  }
  if (const ojson* result = member(response, "result")) return *result;
  return InternalError("{}: {}: a response with neither result nor error", label, method);
}

// Whether `message` is the response to request `id` (ids we send are integers).
bool is_response_to(const ojson& message, int64_t id) {
  const ojson* message_id = member(message, "id");
  if (message_id == nullptr || member(message, "method") != nullptr) return false;
  if (message_id->is_number_integer()) return message_id->get<int64_t>() == id;
  return false;
}

// Logs what a server says on its own: notifications/message at info, the rest at debug.
void log_notification(std::string_view label, const ojson& message) {
  std::string method = string_member(message, "method").value_or("");
  if (method == "notifications/message") {
    const ojson* params = member(message, "params");
    std::string level = params ? string_member(*params, "level").value_or("info") : "info";
    const ojson* data = params ? member(*params, "data") : nullptr;
    std::string text = data == nullptr     ? ""
                       : data->is_string() ? data->get<std::string>()
                                           : dump(*data);
    QWL_LOG_INFO("{}: {}: {}", label, level, utf8_prefix(text, kMaxLogLineBytes));
  } else {
    QWL_LOG_DEBUG("{}: {}", label, utf8_prefix(dump(message), kMaxLogLineBytes));
  }
}

// ---- transports ---------------------------------------------------------------------------

// A JSON-RPC channel to one server. Thread-safe.
class Transport {
 public:
  virtual ~Transport() = default;
  // Sends a request and waits at most `timeout` for its response: the "result", or an error.
  virtual Result<ojson> request(std::string_view method, const ojson& params,
                                milliseconds timeout) = 0;
  virtual Status notify(std::string_view method, const ojson& params) = 0;
  // After initialize: the version agreed (HTTP sends it with every later request).
  virtual void set_protocol_version(const std::string& version) {}
  // HTTP: the server answered 404 for our session; a new initialize is needed.
  virtual bool session_lost() const { return false; }
  // HTTP: forget the session before initializing again.
  virtual void start_new_session() {}
  // Ends the connection; requests after it fail with Unavailable. Idempotent.
  virtual void shutdown() = 0;
};

// Writes all of `data` to the non-blocking `fd` before `deadline`. A server that closed its
// stdin must not kill us with SIGPIPE, and a library must not change the process's signal
// dispositions: SIGPIPE is blocked in this thread for the write and a SIGPIPE the write raised
// is taken back with sigtimedwait (the usual way; one that was pending before is left alone).
Status write_all(int fd, std::string_view data, SteadyClock::time_point deadline,
                 std::string_view label) {
  sigset_t pipe_set, old_set, pending;
  sigemptyset(&pipe_set);
  sigaddset(&pipe_set, SIGPIPE);
  sigpending(&pending);
  bool pipe_was_pending = sigismember(&pending, SIGPIPE) == 1;
  pthread_sigmask(SIG_BLOCK, &pipe_set, &old_set);
  Status status;
  size_t done = 0;
  while (done < data.size()) {
    ssize_t n = ::write(fd, data.data() + done, data.size() - done);
    if (n > 0) {
      done += static_cast<size_t>(n);
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      auto left = std::chrono::duration_cast<milliseconds>(deadline - SteadyClock::now());
      if (left.count() <= 0) {
        status = UnavailableError("{}: the server does not read its stdin", label);
        break;
      }
      pollfd pfd{.fd = fd, .events = POLLOUT, .revents = 0};
      ::poll(&pfd, 1, static_cast<int>(std::min<int64_t>(left.count(), 1000)));
      continue;
    }
    status = UnavailableError("{}: writing to the server: {}", label, std::strerror(errno));
    if (errno == EPIPE && !pipe_was_pending) {
      timespec zero{};
      sigtimedwait(&pipe_set, nullptr, &zero);
    }
    break;
  }
  pthread_sigmask(SIG_SETMASK, &old_set, nullptr);
  return status;
}

// A server spawned as a child process, speaking JSON-RPC one message per line on its
// stdin/stdout. One reader thread polls stdout and stderr: it hands responses to the waiting
// requests by id, answers the server's pings, logs its stderr and notices its exit.
class StdioTransport final : public Transport {
 public:
  static Result<std::unique_ptr<StdioTransport>> start(const McpServerConfig& config,
                                                       std::string label, milliseconds grace);
  ~StdioTransport() override { shutdown(); }

  Result<ojson> request(std::string_view method, const ojson& params,
                        milliseconds timeout) override;
  Status notify(std::string_view method, const ojson& params) override;
  void shutdown() override;

 private:
  struct Pending {
    bool done = false;
    ojson response;
  };

  StdioTransport(std::string label, milliseconds grace) : label_(std::move(label)), grace_(grace) {}
  Status send_line(std::string line, SteadyClock::time_point deadline);
  void reader_loop();
  void on_stdout_line(std::string_view line);
  void on_message(const ojson& message);
  void on_stdout_closed();
  void mark_dead(std::string why);
  bool try_reap();
  bool wait_exit(milliseconds within);
  std::string exit_description();

  std::string label_;
  milliseconds grace_;
  pid_t pid_ = -1;
  int stdin_fd_ = -1;  // guarded by write_mu_ once the reader runs
  int stdout_fd_ = -1;
  int stderr_fd_ = -1;
  int wake_read_ = -1;
  int wake_write_ = -1;
  std::thread reader_;
  std::atomic<int64_t> next_id_{1};
  std::once_flag shutdown_once_;

  std::mutex write_mu_;  // one line at a time on the server's stdin

  std::mutex mu_;
  std::condition_variable cv_;
  std::unordered_map<int64_t, Pending*> pending_;  // requests waiting, by id
  bool dead_ = false;
  std::string why_dead_;

  std::mutex reap_mu_;
  bool reaped_ = false;
  int wait_status_ = -1;  // -1: reaped by someone else (SIGCHLD ignored)
};

Result<std::unique_ptr<StdioTransport>> StdioTransport::start(const McpServerConfig& config,
                                                              std::string label,
                                                              milliseconds grace) {
  int in[2] = {-1, -1}, out[2] = {-1, -1}, err[2] = {-1, -1}, wake[2] = {-1, -1};
  auto close_all = [&] {
    for (int fd : {in[0], in[1], out[0], out[1], err[0], err[1], wake[0], wake[1]}) {
      if (fd >= 0) ::close(fd);
    }
  };
  // O_CLOEXEC: a process another thread spawns meanwhile must not inherit these ends.
  if (pipe2(in, O_CLOEXEC) != 0 || pipe2(out, O_CLOEXEC) != 0 || pipe2(err, O_CLOEXEC) != 0 ||
      pipe2(wake, O_CLOEXEC) != 0) {
    Status status = IoErrorError("{}: pipe: {}", label, std::strerror(errno));
    close_all();
    return status;
  }

  std::vector<std::string> arg_strings;
  arg_strings.push_back(config.command);
  arg_strings.insert(arg_strings.end(), config.args.begin(), config.args.end());
  std::vector<char*> argv;
  for (std::string& arg : arg_strings) argv.push_back(arg.data());
  argv.push_back(nullptr);

  std::vector<std::string> env_strings;
  for (char** e = environ; e != nullptr && *e != nullptr; ++e) {
    std::string_view entry(*e);
    std::string_view key = entry.substr(0, entry.find('='));
    bool overridden = std::any_of(config.env.begin(), config.env.end(),
                                  [&](const auto& kv) { return kv.first == key; });
    if (!overridden) env_strings.emplace_back(entry);
  }
  for (const auto& [key, value] : config.env) env_strings.push_back(key + "=" + value);
  std::vector<char*> envp;
  for (std::string& entry : env_strings) envp.push_back(entry.data());
  envp.push_back(nullptr);

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, in[0], STDIN_FILENO);
  posix_spawn_file_actions_adddup2(&actions, out[1], STDOUT_FILENO);
  posix_spawn_file_actions_adddup2(&actions, err[1], STDERR_FILENO);
  if (!config.cwd.empty()) posix_spawn_file_actions_addchdir_np(&actions, config.cwd.c_str());
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  // Its own process group, so shutdown reaches what it spawns in turn (npx -> node); default
  // dispositions and an empty mask, whatever ours are.
  posix_spawnattr_setflags(&attr,
                           POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
  posix_spawnattr_setpgroup(&attr, 0);
  sigset_t no_signals, defaults;
  sigemptyset(&no_signals);
  posix_spawnattr_setsigmask(&attr, &no_signals);
  sigemptyset(&defaults);
  for (int sig : {SIGPIPE, SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGCHLD}) sigaddset(&defaults, sig);
  posix_spawnattr_setsigdefault(&attr, &defaults);

  pid_t pid = -1;
  int rc = posix_spawnp(&pid, config.command.c_str(), &actions, &attr, argv.data(), envp.data());
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attr);
  ::close(in[0]);
  ::close(out[1]);
  ::close(err[1]);
  in[0] = out[1] = err[1] = -1;
  if (rc != 0) {
    close_all();
    if (!config.cwd.empty()) {
      return UnavailableError("{}: cannot start '{}' in '{}': {}", label, config.command,
                              config.cwd, std::strerror(rc));
    }
    return UnavailableError("{}: cannot start '{}': {}", label, config.command, std::strerror(rc));
  }
  for (int fd : {in[1], out[0], err[0]}) ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK);

  std::unique_ptr<StdioTransport> transport(new StdioTransport(std::move(label), grace));
  transport->pid_ = pid;
  transport->stdin_fd_ = in[1];
  transport->stdout_fd_ = out[0];
  transport->stderr_fd_ = err[0];
  transport->wake_read_ = wake[0];
  transport->wake_write_ = wake[1];
  transport->reader_ = std::thread([t = transport.get()] { t->reader_loop(); });
  return transport;
}

Result<ojson> StdioTransport::request(std::string_view method, const ojson& params,
                                      milliseconds timeout) {
  const int64_t id = next_id_++;
  const auto deadline = SteadyClock::now() + timeout;
  Pending pending;
  {
    std::lock_guard lock(mu_);
    if (dead_) return UnavailableError("{}: {}: {}", label_, method, why_dead_);
    pending_[id] = &pending;
  }
  Status sent = send_line(request_text(id, method, params), deadline);
  std::unique_lock lock(mu_);
  if (!sent.ok()) {
    pending_.erase(id);
    return sent;
  }
  cv_.wait_until(lock, deadline, [&] { return pending.done || dead_; });
  if (pending.done) return response_result(label_, method, pending.response);
  pending_.erase(id);
  if (dead_) return UnavailableError("{}: {}: {}", label_, method, why_dead_);
  lock.unlock();
  // The spec forbids cancelling initialize; for anything else tell the server to stop.
  if (method != "initialize") {
    (void)notify("notifications/cancelled",
                 {{"requestId", id}, {"reason", "the client's timeout passed"}});
  }
  return UnavailableError("{}: {}: no answer within {} ms", label_, method, timeout.count());
}

Status StdioTransport::notify(std::string_view method, const ojson& params) {
  {
    std::lock_guard lock(mu_);
    if (dead_) return UnavailableError("{}: {}: {}", label_, method, why_dead_);
  }
  return send_line(notification_text(method, params), SteadyClock::now() + std::chrono::seconds(5));
}

Status StdioTransport::send_line(std::string line, SteadyClock::time_point deadline) {
  line.push_back('\n');
  // A writer waits here at most until the current one's deadline: that one either finishes
  // or gives up and ends the connection.
  std::lock_guard lock(write_mu_);
  if (stdin_fd_ < 0) return UnavailableError("{}: the connection is shut down", label_);
  Status status = write_all(stdin_fd_, line, deadline, label_);
  // Half a line may be in the pipe: no later message could be framed, so the connection ends.
  if (!status.ok()) mark_dead("a write to the server's stdin failed");
  return status;
}

void StdioTransport::mark_dead(std::string why) {
  std::lock_guard lock(mu_);
  if (!dead_) {
    dead_ = true;
    why_dead_ = std::move(why);
  }
  cv_.notify_all();
}

void StdioTransport::reader_loop() {
  std::string out_buffer, err_buffer;
  bool out_open = true, err_open = true;
  std::vector<char> chunk(1 << 16);
  auto log_stderr = [&](std::string_view line) {
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (!line.empty()) QWL_LOG_INFO("{}: {}", label_, utf8_prefix(line, kMaxLogLineBytes));
  };
  while (out_open || err_open) {
    pollfd fds[3] = {{.fd = out_open ? stdout_fd_ : -1, .events = POLLIN, .revents = 0},
                     {.fd = err_open ? stderr_fd_ : -1, .events = POLLIN, .revents = 0},
                     {.fd = wake_read_, .events = POLLIN, .revents = 0}};
    if (::poll(fds, 3, -1) < 0) {
      if (errno == EINTR) continue;
      mark_dead(fmt::format("poll: {}", std::strerror(errno)));
      break;
    }
    if (fds[2].revents != 0) break;  // shutdown
    if (fds[0].revents != 0) {
      ssize_t n = ::read(stdout_fd_, chunk.data(), chunk.size());
      if (n > 0) {
        out_buffer.append(chunk.data(), static_cast<size_t>(n));
        size_t start = 0;
        for (size_t nl; (nl = out_buffer.find('\n', start)) != std::string::npos; start = nl + 1) {
          on_stdout_line(std::string_view(out_buffer).substr(start, nl - start));
        }
        out_buffer.erase(0, start);
        if (out_buffer.size() > kMaxMessageBytes) {
          mark_dead(fmt::format("the server sent a message over {} bytes", kMaxMessageBytes));
          out_open = false;
        }
      } else if (n == 0 || (errno != EAGAIN && errno != EINTR)) {
        out_open = false;
        on_stdout_closed();
      }
    }
    if (fds[1].revents != 0) {
      ssize_t n = ::read(stderr_fd_, chunk.data(), chunk.size());
      if (n > 0) {
        err_buffer.append(chunk.data(), static_cast<size_t>(n));
        size_t start = 0;
        for (size_t nl; (nl = err_buffer.find('\n', start)) != std::string::npos; start = nl + 1) {
          log_stderr(std::string_view(err_buffer).substr(start, nl - start));
        }
        err_buffer.erase(0, start);
        if (err_buffer.size() > kMaxLogLineBytes) {
          log_stderr(err_buffer);
          err_buffer.clear();
        }
      } else if (n == 0 || (errno != EAGAIN && errno != EINTR)) {
        err_open = false;
      }
    }
  }
  log_stderr(err_buffer);
}

void StdioTransport::on_stdout_line(std::string_view line) {
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  if (line.find_first_not_of(" \t") == std::string_view::npos) return;
  ojson message = ojson::parse(line, nullptr, /*allow_exceptions=*/false);
  if (message.is_discarded()) {
    // Servers that print a banner on stdout exist; their JSON-RPC still works.
    QWL_LOG_WARN("{}: ignored a line on stdout that is not JSON: {}", label_,
                 utf8_prefix(line, 200));
    return;
  }
  if (message.is_array()) {  // a batch (protocol 2025-03-26)
    for (const ojson& item : message) on_message(item);
  } else {
    on_message(message);
  }
}

void StdioTransport::on_message(const ojson& message) {
  if (!message.is_object()) {
    QWL_LOG_WARN("{}: ignored a message that is not an object", label_);
    return;
  }
  std::optional<std::string> method = string_member(message, "method");
  const ojson* id = member(message, "id");
  if (method && id != nullptr) {
    // A request from the server. We offer no client capabilities; ping is always allowed.
    ojson answer = {{"jsonrpc", "2.0"}, {"id", *id}};
    if (*method == "ping") {
      answer["result"] = ojson::object();
    } else {
      answer["error"] = {{"code", -32601}, {"message", "Method not found: " + *method}};
    }
    (void)send_line(dump(answer), SteadyClock::now() + std::chrono::seconds(1));
    return;
  }
  if (method) {
    log_notification(label_, message);
    return;
  }
  if (id == nullptr || !id->is_number_integer()) {
    QWL_LOG_WARN("{}: ignored a message without a method or a known id: {}", label_,
                 utf8_prefix(dump(message), 200));
    return;
  }
  std::lock_guard lock(mu_);
  auto it = pending_.find(id->get<int64_t>());
  if (it == pending_.end()) {
    QWL_LOG_DEBUG("{}: a response to request {} that nobody waits for", label_, id->get<int64_t>());
    return;
  }
  it->second->response = message;
  it->second->done = true;
  pending_.erase(it);
  cv_.notify_all();
}

void StdioTransport::on_stdout_closed() {
  // Give the process a moment to finish exiting so the error can name its exit status.
  for (int i = 0; i < 40 && !try_reap(); ++i) {
    std::this_thread::sleep_for(milliseconds(5));
  }
  mark_dead(exit_description());
}

bool StdioTransport::try_reap() {
  std::lock_guard lock(reap_mu_);
  if (reaped_) return true;
  int status = 0;
  pid_t r = ::waitpid(pid_, &status, WNOHANG);
  if (r == pid_) {
    reaped_ = true;
    wait_status_ = status;
  } else if (r < 0 && errno == ECHILD) {
    reaped_ = true;  // SIGCHLD is ignored in this process: the kernel reaped it
  }
  return reaped_;
}

bool StdioTransport::wait_exit(milliseconds within) {
  const auto deadline = SteadyClock::now() + within;
  while (!try_reap()) {
    if (SteadyClock::now() >= deadline) return false;
    std::this_thread::sleep_for(milliseconds(5));
  }
  return true;
}

std::string StdioTransport::exit_description() {
  std::lock_guard lock(reap_mu_);
  if (!reaped_) return "the server closed its stdout";
  if (wait_status_ == -1) return "the server exited";
  if (WIFEXITED(wait_status_)) {
    return fmt::format("the server exited with status {}", WEXITSTATUS(wait_status_));
  }
  if (WIFSIGNALED(wait_status_)) {
    return fmt::format(
        "the server was killed by signal {} ({})", WTERMSIG(wait_status_),
        sigabbrev_np(WTERMSIG(wait_status_)) ? sigabbrev_np(WTERMSIG(wait_status_)) : "?");
  }
  return "the server exited";
}

void StdioTransport::shutdown() {
  std::call_once(shutdown_once_, [this] {
    mark_dead("the connection is shut down");
    {
      // MCP's stdio shutdown: close the server's stdin and let it exit on its own first.
      std::lock_guard lock(write_mu_);
      ::close(stdin_fd_);
      stdin_fd_ = -1;
    }
    // The process group is signalled only while its leader is unreaped: until then its id
    // cannot belong to anyone else.
    auto signal_group = [this](int sig) {
      std::lock_guard lock(reap_mu_);
      if (!reaped_) ::kill(-pid_, sig);
    };
    if (!wait_exit(grace_)) {
      signal_group(SIGTERM);
      if (!wait_exit(grace_)) {
        signal_group(SIGKILL);
        if (!wait_exit(std::chrono::seconds(5))) {
          QWL_LOG_WARN("{}: process {} did not exit after SIGKILL", label_, pid_);
        }
      }
    }
    char byte = 1;
    while (::write(wake_write_, &byte, 1) < 0 && errno == EINTR) {
    }
    if (reader_.joinable()) reader_.join();
    for (int fd : {stdout_fd_, stderr_fd_, wake_read_, wake_write_}) ::close(fd);
  });
}

// ---- Streamable HTTP ----------------------------------------------------------------------

void init_curl_once() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

// One POST and what came back. The answer is a JSON body or an SSE stream; in a stream the
// response we wait for may follow notifications and requests of the server, and what follows
// it is ignored (HttpTransport::send decides how long to wait for the stream's end).
struct HttpExchange {
  std::string label;
  std::optional<int64_t> want_id;
  std::string content_type;
  std::string session_id;
  std::string body;  // a JSON body (or an error page)
  bool body_too_big = false;
  bool timed_out = false;
  bool sse = false;
  bool decided = false;  // sse decided from the headers
  std::string sse_line;  // an incomplete line
  std::string sse_data;  // data lines of the current event
  bool sse_has_data = false;
  std::optional<ojson> response;

  void on_header(std::string_view line) {
    if (line.substr(0, 5) == "HTTP/") {  // a new status line (after 100 Continue, say)
      content_type.clear();
      session_id.clear();
      return;
    }
    size_t colon = line.find(':');
    if (colon == std::string_view::npos) return;
    std::string name(line.substr(0, colon));
    std::transform(name.begin(), name.end(), name.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    std::string_view value = line.substr(colon + 1);
    while (!value.empty() && (value.front() == ' ' || value.front() == '\t'))
      value.remove_prefix(1);
    while (!value.empty() &&
           (value.back() == '\r' || value.back() == '\n' || value.back() == ' ')) {
      value.remove_suffix(1);
    }
    if (name == "content-type") content_type = value;
    if (name == "mcp-session-id") session_id = value;
  }

  // False to stop the transfer: the body is too big.
  bool on_body(std::string_view data) {
    if (!decided) {
      sse = starts_with_nocase(content_type, "text/event-stream");
      decided = true;
    }
    if (!sse) {
      if (body.size() + data.size() > kMaxMessageBytes) {
        body_too_big = true;
        return false;
      }
      body.append(data);
      return true;
    }
    if (response) return true;  // what follows the response is of no use to us
    sse_line.append(data);
    size_t start = 0;
    for (size_t nl; (nl = sse_line.find('\n', start)) != std::string::npos; start = nl + 1) {
      on_sse_line(std::string_view(sse_line).substr(start, nl - start));
      if (response) {
        sse_line.clear();
        return true;
      }
    }
    sse_line.erase(0, start);
    if (sse_line.size() + sse_data.size() > kMaxMessageBytes) {
      body_too_big = true;
      return false;
    }
    return true;
  }

  void on_sse_line(std::string_view line) {
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.empty()) {
      end_event();
      return;
    }
    if (line.front() == ':') return;  // a comment: keep-alive
    size_t colon = line.find(':');
    std::string_view field = line.substr(0, colon);
    std::string_view value = colon == std::string_view::npos ? "" : line.substr(colon + 1);
    if (!value.empty() && value.front() == ' ') value.remove_prefix(1);
    if (field == "data") {
      if (sse_has_data) sse_data.push_back('\n');
      sse_data.append(value);
      sse_has_data = true;
    }
    // "event", "id" and "retry" serve resuming a broken stream, which we do not do.
  }

  void end_event() {
    std::string data = std::move(sse_data);
    sse_data.clear();
    bool had_data = sse_has_data;
    sse_has_data = false;
    if (!had_data || data.empty()) return;  // as the SSE spec: no data, no event (priming)
    ojson message = ojson::parse(data, nullptr, /*allow_exceptions=*/false);
    if (message.is_discarded()) {
      QWL_LOG_WARN("{}: ignored an SSE event that is not JSON: {}", label, utf8_prefix(data, 200));
      return;
    }
    take(message);
  }

  void take(const ojson& message) {
    if (message.is_array()) {
      for (const ojson& item : message) take(item);
      return;
    }
    if (want_id && is_response_to(message, *want_id)) {
      response = message;
    } else if (want_id && !response && member(message, "error") != nullptr &&
               member(message, "id") != nullptr && member(message, "id")->is_null()) {
      // An error the server could not tie to a request (it could not parse ours): ours.
      response = message;
    } else if (member(message, "method") != nullptr) {
      // A request from the server could only be answered by another POST; we offer no
      // capabilities that would lead a server to ask, so it is logged and left.
      log_notification(label, message);
    }
  }

  void finish() {
    if (sse && !response) {
      if (!sse_line.empty()) on_sse_line(sse_line);
      end_event();
    }
    if (!sse && want_id && !body.empty()) {
      ojson message = ojson::parse(body, nullptr, /*allow_exceptions=*/false);
      if (!message.is_discarded()) take(message);
    }
  }
};

size_t on_curl_header(char* data, size_t size, size_t count, void* user) {
  static_cast<HttpExchange*>(user)->on_header(std::string_view(data, size * count));
  return size * count;
}

size_t on_curl_body(char* data, size_t size, size_t count, void* user) {
  bool go_on = static_cast<HttpExchange*>(user)->on_body(std::string_view(data, size * count));
  return go_on ? size * count : 0;
}

struct CurlHandles {
  CURLM* multi = nullptr;
  CURL* easy = nullptr;
};

// How long a response's SSE stream may stay open before we drop it.
constexpr milliseconds kSseLinger{50};

class HttpTransport final : public Transport {
 public:
  HttpTransport(const McpServerConfig& config, std::string label)
      : url_(config.url), label_(std::move(label)), timeout_(config.timeout) {
    for (const auto& [name, value] : config.headers) headers_.push_back(name + ": " + value);
    init_curl_once();
  }
  ~HttpTransport() override {
    shutdown();
    for (CurlHandles& handles : idle_handles_) {
      curl_easy_cleanup(handles.easy);
      curl_multi_cleanup(handles.multi);
    }
  }

  Result<ojson> request(std::string_view method, const ojson& params,
                        milliseconds timeout) override;
  Status notify(std::string_view method, const ojson& params) override;
  void set_protocol_version(const std::string& version) override {
    std::lock_guard lock(mu_);
    protocol_version_ = version;
  }
  bool session_lost() const override {
    std::lock_guard lock(mu_);
    return session_lost_;
  }
  void start_new_session() override {
    std::lock_guard lock(mu_);
    session_id_.clear();
    protocol_version_.clear();
  }
  void shutdown() override;

 private:
  // Sends `body` (`http_method` POST or DELETE) and fills `exchange`; returns the transport
  // error, and in `status` the HTTP status.
  Status send(std::string_view what, const char* http_method, const std::string& body,
              milliseconds timeout, HttpExchange* exchange, long* status,
              std::string* session_sent);
  Status http_status_error(std::string_view what, long status, const HttpExchange& exchange,
                           const std::string& session_sent);

  const std::string url_;
  const std::string label_;
  const milliseconds timeout_;
  std::vector<std::string> headers_;  // "Name: value" from the config
  std::atomic<int64_t> next_id_{1};
  std::once_flag shutdown_once_;

  mutable std::mutex mu_;
  // Handles between requests: a multi handle keeps its connections open, so the next request
  // to the server skips the TCP (and TLS) handshake. One request uses a pair at a time.
  std::vector<CurlHandles> idle_handles_;
  std::string session_id_;
  std::string protocol_version_;
  bool session_lost_ = false;
  bool shut_down_ = false;
};

Status HttpTransport::send(std::string_view what, const char* http_method, const std::string& body,
                           milliseconds timeout, HttpExchange* exchange, long* status,
                           std::string* session_sent) {
  std::string session_id, protocol_version;
  CurlHandles handles;
  {
    std::lock_guard lock(mu_);
    if (shut_down_) return UnavailableError("{}: {}: the connection is shut down", label_, what);
    session_id = session_id_;
    protocol_version = protocol_version_;
    if (!idle_handles_.empty()) {
      handles = idle_handles_.back();
      idle_handles_.pop_back();
    }
  }
  *session_sent = session_id;
  if (handles.multi == nullptr) handles = {.multi = curl_multi_init(), .easy = curl_easy_init()};
  auto give_back = [this](CurlHandles* h) {
    std::lock_guard lock(mu_);
    idle_handles_.push_back(*h);
  };
  std::unique_ptr<CurlHandles, decltype(give_back)> keep(&handles, give_back);
  if (handles.multi == nullptr || handles.easy == nullptr) {
    return InternalError("{}: curl_multi_init / curl_easy_init failed", label_);
  }
  CURL* c = handles.easy;
  curl_easy_reset(c);  // the last request's options go; the multi handle keeps the connections

  curl_slist* list = nullptr;
  list = curl_slist_append(list, "Content-Type: application/json");
  list = curl_slist_append(list, "Accept: application/json, text/event-stream");
  list = curl_slist_append(list, "Expect:");  // no 100-continue round trip for big bodies
  if (!session_id.empty()) {
    list = curl_slist_append(list, ("Mcp-Session-Id: " + session_id).c_str());
  }
  if (!protocol_version.empty()) {
    list = curl_slist_append(list, ("MCP-Protocol-Version: " + protocol_version).c_str());
  }
  for (const std::string& header : headers_) list = curl_slist_append(list, header.c_str());
  std::unique_ptr<curl_slist, void (*)(curl_slist*)> headers(list, curl_slist_free_all);

  char error_buffer[CURL_ERROR_SIZE] = {};
  curl_easy_setopt(c, CURLOPT_URL, url_.c_str());
  curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, http_method);
  if (std::strcmp(http_method, "POST") == 0) {
    curl_easy_setopt(c, CURLOPT_POST, 1L);
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, body.data());
    curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(body.size()));
  }
  curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers.get());
  curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_curl_header);
  curl_easy_setopt(c, CURLOPT_HEADERDATA, exchange);
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_curl_body);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, exchange);
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);  // no SIGALRM from the resolver in a threaded process
  curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, static_cast<long>(timeout.count()));
  curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS,
                   static_cast<long>(std::min<int64_t>(timeout.count(), 10000)));
  curl_easy_setopt(c, CURLOPT_ERRORBUFFER, error_buffer);

  // The multi interface, to stop waiting where curl_easy_perform could not: a server should
  // end an SSE stream after the response, and then the connection is kept for the next
  // request; one that leaves the stream open gets kSseLinger, then the transfer (and its
  // connection) is dropped, with the response in hand.
  curl_multi_add_handle(handles.multi, c);
  CURLcode rc = CURLE_OK;
  bool complete = false;
  std::optional<SteadyClock::time_point> answered_at;
  while (true) {
    int running = 0;
    CURLMcode mc = curl_multi_perform(handles.multi, &running);
    int left = 0;
    while (CURLMsg* message = curl_multi_info_read(handles.multi, &left)) {
      if (message->msg == CURLMSG_DONE) {
        rc = message->data.result;
        complete = true;
      }
    }
    if (complete) break;
    if (mc != CURLM_OK) {
      curl_multi_remove_handle(handles.multi, c);
      return UnavailableError("{}: {}: {}", label_, what, curl_multi_strerror(mc));
    }
    if (exchange->response) {
      if (!answered_at) answered_at = SteadyClock::now();
      if (SteadyClock::now() - *answered_at >= kSseLinger) break;
    }
    curl_multi_poll(handles.multi, nullptr, 0, exchange->response ? 5 : 1000, nullptr);
  }
  curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, status);
  curl_multi_remove_handle(handles.multi, c);
  // The response is all we wait for: a stream that broke or timed out after it changes nothing.
  if (rc != CURLE_OK && exchange->response && !exchange->body_too_big) rc = CURLE_OK;
  if (rc == CURLE_WRITE_ERROR && exchange->body_too_big) {
    return UnavailableError("{}: {}: the answer is over {} bytes", label_, what, kMaxMessageBytes);
  }
  if (rc == CURLE_OK) {
    exchange->finish();
    return Status::Ok();
  }
  if (rc == CURLE_OPERATION_TIMEDOUT) {
    exchange->timed_out = true;
    return UnavailableError("{}: {}: no answer within {} ms", label_, what, timeout.count());
  }
  return UnavailableError("{}: {}: {}: {}", label_, what, url_,
                          error_buffer[0] != '\0' ? error_buffer : curl_easy_strerror(rc));
}

Status HttpTransport::http_status_error(std::string_view what, long status,
                                        const HttpExchange& exchange,
                                        const std::string& session_sent) {
  if (status >= 200 && status < 300) return Status::Ok();
  std::string_view body = utf8_prefix(exchange.body, 300);
  if (status == 404 && !session_sent.empty()) {
    std::lock_guard lock(mu_);
    if (session_id_ == session_sent) session_lost_ = true;
    return NotFoundError("{}: {}: the server no longer knows session {}", label_, what,
                         session_sent);
  }
  if (status == 401) return UnauthenticatedError("{}: {}: HTTP 401: {}", label_, what, body);
  if (status == 403) return PermissionDeniedError("{}: {}: HTTP 403: {}", label_, what, body);
  return UnavailableError("{}: {}: HTTP {}: {}", label_, what, status, body);
}

Result<ojson> HttpTransport::request(std::string_view method, const ojson& params,
                                     milliseconds timeout) {
  const int64_t id = next_id_++;
  HttpExchange exchange{.label = label_, .want_id = id};
  long status = 0;
  std::string session_sent;
  Status sent = send(method, "POST", request_text(id, method, params), timeout, &exchange, &status,
                     &session_sent);
  if (!sent.ok()) {
    if (method != "initialize" && exchange.timed_out) {
      // Best effort, and briefly: a server that did not answer may not take this either.
      HttpExchange cancel{.label = label_};
      long cancel_status = 0;
      std::string cancel_session;
      (void)send("notifications/cancelled", "POST",
                 notification_text("notifications/cancelled",
                                   {{"requestId", id}, {"reason", "the client's timeout passed"}}),
                 milliseconds(1000), &cancel, &cancel_status, &cancel_session);
    }
    return sent;
  }
  QWL_RETURN_IF_ERROR(http_status_error(method, status, exchange, session_sent));
  if (!exchange.response) {
    return UnavailableError("{}: {}: HTTP {} ({}) without a JSON-RPC response", label_, method,
                            status, exchange.content_type);
  }
  if (method == "initialize") {
    std::lock_guard lock(mu_);
    session_id_ = exchange.session_id;  // empty: a server without sessions
    session_lost_ = false;
  }
  return response_result(label_, method, *exchange.response);
}

Status HttpTransport::notify(std::string_view method, const ojson& params) {
  HttpExchange exchange{.label = label_};
  long status = 0;
  std::string session_sent;
  QWL_RETURN_IF_ERROR(send(method, "POST", notification_text(method, params),
                           std::min(timeout_, milliseconds(5000)), &exchange, &status,
                           &session_sent));
  return http_status_error(method, status, exchange, session_sent);
}

void HttpTransport::shutdown() {
  std::call_once(shutdown_once_, [this] {
    std::string session_id;
    {
      std::lock_guard lock(mu_);
      session_id = session_id_;
    }
    if (!session_id.empty()) {
      // Ends the session on the server; a server without DELETE answers 405, which is fine.
      HttpExchange exchange{.label = label_};
      long status = 0;
      std::string session_sent;
      (void)send("DELETE", "DELETE", "", std::min(timeout_, milliseconds(2000)), &exchange, &status,
                 &session_sent);
    }
    std::lock_guard lock(mu_);
    shut_down_ = true;
  });
}

// ---- results ------------------------------------------------------------------------------

// The text of a tools/call result's content parts, joined with "\n".
std::string content_text(const ojson& result) {
  std::string text;
  const ojson* content = member(result, "content");
  if (content == nullptr || !content->is_array()) return text;
  for (const ojson& part : *content) {
    std::string type = string_member(part, "type").value_or("");
    std::string piece;
    if (type == "text") {
      piece = string_member(part, "text").value_or("");
    } else if (type == "image" || type == "audio") {
      piece = fmt::format("[{} {} omitted]", type, string_member(part, "mimeType").value_or("?"));
    } else if (type == "resource") {
      const ojson* resource = member(part, "resource");
      std::optional<std::string> resource_text =
          resource ? string_member(*resource, "text") : std::nullopt;
      piece = resource_text
                  ? *resource_text
                  : fmt::format("[resource {} omitted]",
                                resource ? string_member(*resource, "uri").value_or("?") : "?");
    } else if (type == "resource_link") {
      piece = fmt::format("[resource link {}]", string_member(part, "uri").value_or("?"));
    } else {
      piece = fmt::format("[{} content omitted]", type.empty() ? "untyped" : type);
    }
    if (!text.empty()) text.push_back('\n');
    text += piece;
  }
  return text;
}

// Cuts `out` (with "text" and maybe "structured") to at most `max_bytes` of JSON.
void fit_result(nlohmann::json* out, size_t max_bytes) {
  size_t size = dump(*out).size();
  if (size <= max_bytes) return;
  (*out)["truncated"] = true;
  if (out->contains("structured")) {
    out->erase("structured");
    size = dump(*out).size();
  }
  std::string text = (*out)["text"].get<std::string>();
  while (size > max_bytes && !text.empty()) {
    // Escapes make the JSON longer than the text; cutting the excess converges in a few steps.
    size_t excess = size - max_bytes;
    text = std::string(utf8_prefix(text, text.size() > excess ? text.size() - excess : 0));
    (*out)["text"] = text;
    size = dump(*out).size();
  }
}

}  // namespace

// ---- config -------------------------------------------------------------------------------

namespace {

struct ConfigReader {
  std::string_view file;

  Status error(std::string_view field, std::string_view what) const {
    return InvalidArgumentError("{}: {}: {}", file, field, what);
  }

  Result<std::string> string(const ojson& value, const std::string& field) const {
    if (!value.is_string()) return error(field, "expected a string");
    return value.get<std::string>();
  }

  // "${NAME}" -> the environment variable NAME.
  Result<std::string> expand(std::string_view value, const std::string& field) const {
    std::string out;
    for (size_t i = 0; i < value.size();) {
      if (value.substr(i, 2) != "${") {
        out.push_back(value[i++]);
        continue;
      }
      size_t end = value.find('}', i + 2);
      if (end == std::string_view::npos) return error(field, "'${' without a closing '}'");
      std::string name(value.substr(i + 2, end - i - 2));
      bool valid = !name.empty() && std::all_of(name.begin(), name.end(), [](char c) {
        return c == '_' || std::isalnum(static_cast<unsigned char>(c));
      });
      if (!valid) return error(field, fmt::format("'${{{}}}' is not a variable name", name));
      const char* env = std::getenv(name.c_str());
      if (env == nullptr) {
        return error(field, fmt::format("the environment variable {} is not set", name));
      }
      out += env;
      i = end + 1;
    }
    return out;
  }

  Result<std::vector<std::pair<std::string, std::string>>> string_map(
      const ojson& value, const std::string& field) const {
    if (!value.is_object()) return error(field, "expected an object of strings");
    std::vector<std::pair<std::string, std::string>> out;
    for (const auto& [key, item] : value.items()) {
      std::string item_field = field + "." + key;
      if (!item.is_string()) return error(item_field, "expected a string");
      QWL_ASSIGN_OR_RETURN(std::string expanded, expand(item.get<std::string>(), item_field));
      out.emplace_back(key, std::move(expanded));
    }
    return out;
  }

  Result<McpServerConfig> server(const std::string& name, const ojson& value) const {
    const std::string prefix = "servers." + name;
    if (!is_name(name, kMaxServerNameBytes)) {
      return error(prefix, fmt::format("a server name is 1 to {} characters of [a-zA-Z0-9_-]",
                                       kMaxServerNameBytes));
    }
    if (!value.is_object()) return error(prefix, "expected an object");
    McpServerConfig server;
    server.name = name;
    std::string type;
    bool has_command = false, has_url = false;
    std::vector<std::string> stdio_fields, http_fields;
    for (const auto& [key, item] : value.items()) {
      const std::string field = prefix + "." + key;
      if (key == "command") {
        QWL_ASSIGN_OR_RETURN(server.command, string(item, field));
        if (server.command.empty()) return error(field, "must not be empty");
        has_command = true;
      } else if (key == "args") {
        if (!item.is_array()) return error(field, "expected an array of strings");
        for (size_t i = 0; i < item.size(); ++i) {
          QWL_ASSIGN_OR_RETURN(std::string arg, string(item[i], fmt::format("{}[{}]", field, i)));
          server.args.push_back(std::move(arg));
        }
        stdio_fields.push_back(key);
      } else if (key == "env") {
        QWL_ASSIGN_OR_RETURN(server.env, string_map(item, field));
        for (const auto& [env_name, env_value] : server.env) {
          if (env_name.empty() || env_name.find('=') != std::string::npos) {
            return error(field + "." + env_name, "not a variable name");
          }
        }
        stdio_fields.push_back(key);
      } else if (key == "cwd") {
        QWL_ASSIGN_OR_RETURN(server.cwd, string(item, field));
        stdio_fields.push_back(key);
      } else if (key == "url") {
        QWL_ASSIGN_OR_RETURN(server.url, string(item, field));
        if (!starts_with_nocase(server.url, "http://") &&
            !starts_with_nocase(server.url, "https://")) {
          return error(field, "expected an http:// or https:// URL");
        }
        has_url = true;
      } else if (key == "headers") {
        QWL_ASSIGN_OR_RETURN(server.headers, string_map(item, field));
        for (const auto& [header, header_value] : server.headers) {
          const std::string header_field = field + "." + header;
          bool token = !header.empty() && std::all_of(header.begin(), header.end(), [](char c) {
            return std::isalnum(static_cast<unsigned char>(c)) ||
                   std::strchr("!#$%&'*+-.^_`|~", c) != nullptr;
          });
          if (!token) return error(header_field, "not an HTTP header name");
          if (header_value.find_first_of("\r\n") != std::string::npos) {
            return error(header_field, "a header value must not contain a line break");
          }
          for (std::string_view reserved :
               {"content-type", "accept", "mcp-session-id", "mcp-protocol-version"}) {
            if (header.size() == reserved.size() && starts_with_nocase(header, reserved)) {
              return error(header_field, "set by the client itself");
            }
          }
        }
        http_fields.push_back(key);
      } else if (key == "timeout_ms") {
        if (!item.is_number_integer() || item.get<int64_t>() < 1 || item.get<int64_t>() > 3600000) {
          return error(field, "expected an integer from 1 to 3600000");
        }
        server.timeout = milliseconds(item.get<int64_t>());
      } else if (key == "type") {
        QWL_ASSIGN_OR_RETURN(type, string(item, field));
        if (type != "stdio" && type != "http" && type != "streamable-http" &&
            type != "streamableHttp") {
          return error(field, "expected \"stdio\" or \"http\"");
        }
      } else {
        return error(field,
                     "unknown field (known: command, args, env, cwd, url, headers, timeout_ms, "
                     "type)");
      }
    }
    if (has_command == has_url) {
      return error(prefix, has_command ? "has both \"command\" and \"url\""
                                       : "needs \"command\" (stdio) or \"url\" (HTTP)");
    }
    if (has_url && !stdio_fields.empty()) {
      return error(prefix + "." + stdio_fields.front(), "only for a stdio server (\"command\")");
    }
    if (has_command && !http_fields.empty()) {
      return error(prefix + "." + http_fields.front(), "only for an HTTP server (\"url\")");
    }
    if (!type.empty() && (type == "stdio") != has_command) {
      return error(prefix + ".type",
                   fmt::format("\"{}\" does not match {}", type, has_command ? "command" : "url"));
    }
    return server;
  }
};

}  // namespace

Result<McpConfig> parse_mcp_config(std::string_view json_text, std::string_view file_name) {
  ConfigReader reader{.file = file_name};
  ojson root;
  try {
    root = ojson::parse(json_text);
  } catch (const ojson::parse_error& e) {
    return InvalidArgumentError("{}: not valid JSON: {}", file_name, e.what());
  }
  if (!root.is_object()) return InvalidArgumentError("{}: expected a JSON object", file_name);
  const ojson* servers = nullptr;
  std::string servers_key;
  for (const auto& [key, value] : root.items()) {
    if (key != "servers" && key != "mcpServers") {
      return reader.error(key, "unknown field (expected \"servers\")");
    }
    if (servers != nullptr) return reader.error(key, "both \"servers\" and \"mcpServers\"");
    servers = &value;
    servers_key = key;
  }
  if (servers == nullptr) return reader.error("servers", "missing");
  if (!servers->is_object()) return reader.error(servers_key, "expected an object of servers");
  McpConfig config;
  for (const auto& [name, value] : servers->items()) {
    QWL_ASSIGN_OR_RETURN(McpServerConfig server, reader.server(name, value));
    config.servers.push_back(std::move(server));
  }
  return config;
}

Result<McpConfig> load_mcp_config(const std::string& path) {
  std::ifstream file(path, std::ios::binary);
  if (!file) {
    if (errno == ENOENT) return NotFoundError("{}: no such file", path);
    return IoErrorError("{}: cannot open: {}", path, std::strerror(errno));
  }
  std::ostringstream text;
  text << file.rdbuf();
  if (file.bad()) return IoErrorError("{}: read error", path);
  return parse_mcp_config(text.str(), path);
}

SideEffect mcp_side_effect(const nlohmann::json& annotations) {
  auto hint = [&](const char* key) -> std::optional<bool> {
    if (!annotations.is_object()) return std::nullopt;
    auto it = annotations.find(key);
    if (it == annotations.end() || !it->is_boolean()) return std::nullopt;
    return it->get<bool>();
  };
  if (hint("readOnlyHint") == true) return SideEffect::kRead;
  if (hint("destructiveHint") == false) return SideEffect::kWrite;
  return SideEffect::kIrreversible;
}

// ---- the executor -------------------------------------------------------------------------

namespace {

struct ExternalTool {
  std::string name;    // "<server>__<tool>"
  std::string remote;  // the server's own name for it
  std::string description;
  std::string parameters;  // JSON Schema text, keys in the server's order
  std::string result;
  SideEffect effect = SideEffect::kIrreversible;
};

}  // namespace

struct McpToolExecutor::Impl {
  McpServerConfig config;
  McpClientOptions options;
  std::string label;  // "mcp server 'weather'"
  std::unique_ptr<Transport> transport;
  // Fixed after connect(); a new session after a lost one must agree on the same version.
  std::string protocol_version;
  bool has_tools = false;
  // Fixed after connect(): tools() hands out views into these strings.
  std::vector<ExternalTool> tools;
  std::unordered_map<std::string, size_t> by_name;

  std::mutex session_mu;  // one re-initialize at a time
  std::mutex commit_mu;
  std::map<std::pair<int64_t, std::string>, std::shared_future<Result<ToolResult>>> commits;

  struct Session {
    std::string protocol_version;
    bool has_tools = false;
  };
  Result<Session> initialize();
  Result<ojson> request(std::string_view method, const ojson& params);
  Status list_tools();
  void add_tool(const ojson& tool);
  const ExternalTool* find(std::string_view name) const;
  Result<ToolResult> call(const ExternalTool& tool, const nlohmann::json& arguments,
                          const ojson& meta);
};

Result<McpToolExecutor::Impl::Session> McpToolExecutor::Impl::initialize() {
  ojson params = {
      {"protocolVersion", kMcpProtocolVersion},
      {"capabilities", ojson::object()},
      {"clientInfo", {{"name", options.client_name}, {"version", options.client_version}}},
  };
  QWL_ASSIGN_OR_RETURN(
      ojson result,
      transport->request("initialize", params, std::max(config.timeout, options.startup_timeout)));
  std::optional<std::string> version = string_member(result, "protocolVersion");
  if (!version) return UnsupportedError("{}: initialize: no protocolVersion in the answer", label);
  if (*version != kMcpProtocolVersion && *version != kMcpProtocolVersionOld) {
    return UnsupportedError("{}: the server speaks MCP {}; we speak {} and {}", label, *version,
                            kMcpProtocolVersion, kMcpProtocolVersionOld);
  }
  const ojson* capabilities = member(result, "capabilities");
  Session session{
      .protocol_version = *version,
      .has_tools = capabilities != nullptr && member(*capabilities, "tools") != nullptr};
  transport->set_protocol_version(session.protocol_version);
  QWL_RETURN_IF_ERROR(transport->notify("notifications/initialized", ojson()));
  return session;
}

Result<ojson> McpToolExecutor::Impl::request(std::string_view method, const ojson& params) {
  Result<ojson> result = transport->request(method, params, config.timeout);
  if (result.ok() || !transport->session_lost()) return result;
  {
    // The server forgot our session (it restarted, or expired it): the spec's remedy is a
    // new initialize; the request that met the 404 did not run, so it is sent again.
    std::lock_guard lock(session_mu);
    if (transport->session_lost()) {
      QWL_LOG_INFO("{}: session lost; initializing again", label);
      transport->start_new_session();
      QWL_ASSIGN_OR_RETURN(Session session, initialize());
      if (session.protocol_version != protocol_version) {
        return UnsupportedError("{}: the new session speaks MCP {}, the first spoke {}", label,
                                session.protocol_version, protocol_version);
      }
    }
  }
  return transport->request(method, params, config.timeout);
}

Status McpToolExecutor::Impl::list_tools() {
  if (!has_tools) {
    QWL_LOG_INFO("{}: the server offers no tools", label);
    return Status::Ok();
  }
  std::set<std::string> cursors;
  std::string cursor;
  for (int page = 0;; ++page) {
    if (page == kMaxToolPages) {
      return OutOfRangeError("{}: tools/list: more than {} pages", label, kMaxToolPages);
    }
    ojson params = ojson::object();
    if (!cursor.empty()) params["cursor"] = cursor;
    QWL_ASSIGN_OR_RETURN(ojson result, request("tools/list", params));
    const ojson* list = member(result, "tools");
    if (list == nullptr || !list->is_array()) {
      return UnavailableError("{}: tools/list: no \"tools\" array in the answer", label);
    }
    for (const ojson& tool : *list) add_tool(tool);
    std::optional<std::string> next = string_member(result, "nextCursor");
    if (!next || next->empty()) break;
    if (!cursors.insert(*next).second) {
      return UnavailableError("{}: tools/list: the cursor \"{}\" came twice", label,
                              utf8_prefix(*next, 100));
    }
    cursor = *next;
  }
  return Status::Ok();
}

void McpToolExecutor::Impl::add_tool(const ojson& tool) {
  std::optional<std::string> remote = string_member(tool, "name");
  if (!remote) {
    QWL_LOG_WARN("{}: skipped a tool without a name", label);
    return;
  }
  std::string_view shown = utf8_prefix(*remote, 100);
  std::string name = config.name + "__" + *remote;
  if (!is_name(name, kMaxToolNameBytes)) {
    QWL_LOG_WARN("{}: skipped tool '{}': '{}' is not a tool name (^[a-zA-Z0-9_-]{{1,64}}$)", label,
                 shown, utf8_prefix(name, 100));
    return;
  }
  if (by_name.count(name) != 0) {
    QWL_LOG_WARN("{}: skipped tool '{}': listed twice (the first is kept)", label, shown);
    return;
  }
  const ojson* schema = member(tool, "inputSchema");
  if (schema == nullptr || !schema->is_object() || string_member(*schema, "type") != "object") {
    QWL_LOG_WARN("{}: skipped tool '{}': its inputSchema is not an object schema", label, shown);
    return;
  }
  ExternalTool external;
  external.name = name;
  external.remote = *remote;
  external.parameters = dump(*schema);
  std::string description = string_member(tool, "description").value_or("");
  if (description.empty()) description = string_member(tool, "title").value_or("");
  if (description.empty()) {
    description = fmt::format("The tool {} of the MCP server '{}'.", *remote, config.name);
  }
  external.description = std::string(utf8_prefix(description, options.max_description_bytes));
  // The model's calls are decoded under the tool-call grammar: a schema it cannot express
  // would make the whole grammar fail, so such a tool is left out here.
  ojson one_tool = ojson::array(
      {{{"type", "function"},
        {"function",
         {{"name", name}, {"description", external.description}, {"parameters", *schema}}}}});
  Result<Grammar> grammar = tool_call_grammar(dump(one_tool), std::nullopt, /*parallel=*/false);
  if (!grammar.ok()) {
    QWL_LOG_WARN("{}: skipped tool '{}': its inputSchema does not compile: {}", label, shown,
                 grammar.status().message());
    return;
  }
  const ojson* annotations = member(tool, "annotations");
  external.effect =
      mcp_side_effect(annotations != nullptr ? nlohmann::json(*annotations) : nlohmann::json());
  external.result = member(tool, "outputSchema") != nullptr
                        ? fmt::format(
                              "untrusted data from the MCP server '{}': text and "
                              "structured content",
                              config.name)
                        : fmt::format("untrusted text from the MCP server '{}'", config.name);
  by_name.emplace(name, tools.size());
  tools.push_back(std::move(external));
}

const ExternalTool* McpToolExecutor::Impl::find(std::string_view name) const {
  auto it = by_name.find(std::string(name));
  return it == by_name.end() ? nullptr : &tools[it->second];
}

Result<ToolResult> McpToolExecutor::Impl::call(const ExternalTool& tool,
                                               const nlohmann::json& arguments, const ojson& meta) {
  ojson params = {{"name", tool.remote},
                  {"arguments", arguments.is_null() ? ojson::object() : ojson(arguments)}};
  if (!meta.is_null()) params["_meta"] = meta;
  QWL_ASSIGN_OR_RETURN(ojson result, request("tools/call", params));
  std::string text = content_text(result);
  const ojson* is_error = member(result, "isError");
  if (is_error != nullptr && is_error->is_boolean() && is_error->get<bool>()) {
    return FailedPreconditionError(
        "{}: {}", tool.name, text.empty() ? "the tool reported an error" : utf8_prefix(text, 2048));
  }
  nlohmann::json out = {{"server", config.name}, {"tool", tool.remote}, {"text", text}};
  const ojson* structured = member(result, "structuredContent");
  if (structured != nullptr && !structured->is_null())
    out["structured"] = nlohmann::json(*structured);
  fit_result(&out, options.max_result_bytes);
  return ToolResult{.result = std::move(out), .cards = {}};
}

McpToolExecutor::McpToolExecutor(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

McpToolExecutor::~McpToolExecutor() {
  if (impl_ && impl_->transport) impl_->transport->shutdown();
}

Result<std::unique_ptr<McpToolExecutor>> McpToolExecutor::connect(const McpServerConfig& server,
                                                                  const McpClientOptions& options) {
  auto impl = std::make_unique<Impl>();
  impl->config = server;
  impl->options = options;
  impl->label = fmt::format("mcp server '{}'", server.name);
  try {
    if (server.is_stdio()) {
      QWL_ASSIGN_OR_RETURN(impl->transport,
                           StdioTransport::start(server, impl->label, options.shutdown_grace));
    } else {
      impl->transport = std::make_unique<HttpTransport>(server, impl->label);
    }
    QWL_ASSIGN_OR_RETURN(Impl::Session session, impl->initialize());
    impl->protocol_version = session.protocol_version;
    impl->has_tools = session.has_tools;
    QWL_RETURN_IF_ERROR(impl->list_tools());
  } catch (const nlohmann::json::exception& e) {
    return InternalError("{}: {}", impl->label, e.what());
  }
  QWL_LOG_INFO("{}: MCP {}, {} tools", impl->label, impl->protocol_version, impl->tools.size());
  return std::unique_ptr<McpToolExecutor>(new McpToolExecutor(std::move(impl)));
}

const std::string& McpToolExecutor::server_name() const {
  return impl_->config.name;
}
const std::string& McpToolExecutor::protocol_version() const {
  return impl_->protocol_version;
}

std::vector<ToolDef> McpToolExecutor::tools() const {
  std::vector<ToolDef> defs;
  defs.reserve(impl_->tools.size());
  for (const ExternalTool& tool : impl_->tools) {
    defs.push_back({.name = tool.name,
                    .description = tool.description,
                    .parameters = tool.parameters,
                    .result = tool.result,
                    .effect = tool.effect});
  }
  return defs;
}

Result<ToolResult> McpToolExecutor::run(const UserContext& user, std::string_view name,
                                        const nlohmann::json& arguments) {
  const ExternalTool* tool = impl_->find(name);
  if (tool == nullptr) return InvalidArgumentError("unknown tool '{}'", name);
  if (tool->effect == SideEffect::kIrreversible) {
    return InvalidArgumentError("{} is irreversible: it runs only after the user confirms it",
                                name);
  }
  try {
    return impl_->call(*tool, arguments, ojson());
  } catch (const nlohmann::json::exception& e) {
    return InternalError("{}: {}", name, e.what());
  }
}

Result<ActionDraft> McpToolExecutor::prepare(const UserContext& user, std::string_view name,
                                             const nlohmann::json& arguments) {
  const ExternalTool* tool = impl_->find(name);
  if (tool == nullptr) return InvalidArgumentError("unknown tool '{}'", name);
  if (tool->effect != SideEffect::kIrreversible) {
    return InvalidArgumentError("{} is not irreversible: run it", name);
  }
  // An external server has no way to preview a call: the card binds exactly what will be
  // sent. Its text names the server and the tool, never the server's own description, which
  // is the server's words, not ours.
  ActionDraft draft;
  draft.tool = tool->name;
  draft.arguments = arguments.is_null() ? nlohmann::json::object() : arguments;
  draft.content = {
      {"server", impl_->config.name}, {"tool", tool->remote}, {"arguments", draft.arguments}};
  draft.info = nlohmann::json::object();
  std::string shown_arguments(utf8_prefix(dump(draft.arguments), 300));
  if (shown_arguments.size() < dump(draft.arguments).size()) shown_arguments += "…";
  draft.summary = user.language == "zh"
                      ? fmt::format("在外部 MCP 服务器“{}”上执行 {}，参数 {}", impl_->config.name,
                                    tool->remote, shown_arguments)
                      : fmt::format("{} on the external MCP server '{}' with {}", tool->remote,
                                    impl_->config.name, shown_arguments);
  return draft;
}

Result<ToolResult> McpToolExecutor::commit(const UserContext& user, const ActionDraft& draft,
                                           std::string_view idempotency_key) {
  const ExternalTool* tool = impl_->find(draft.tool);
  if (tool == nullptr) return InvalidArgumentError("unknown tool '{}'", draft.tool);
  if (tool->effect != SideEffect::kIrreversible) {
    return InvalidArgumentError("{} is not irreversible: run it", draft.tool);
  }
  if (idempotency_key.empty()) return InvalidArgumentError("{}: no idempotency key", draft.tool);
  nlohmann::json expected = {
      {"server", impl_->config.name}, {"tool", tool->remote}, {"arguments", draft.arguments}};
  if (draft.content != expected) {
    return InvalidArgumentError("{}: the draft's content does not match its arguments", draft.tool);
  }
  std::pair<int64_t, std::string> key(user.actor.user_id, std::string(idempotency_key));
  std::promise<Result<ToolResult>> promise;
  std::shared_future<Result<ToolResult>> outcome;
  bool first = false;
  {
    std::lock_guard lock(impl_->commit_mu);
    auto it = impl_->commits.find(key);
    if (it != impl_->commits.end()) {
      outcome = it->second;
    } else {
      outcome = promise.get_future().share();
      impl_->commits.emplace(key, outcome);
      first = true;
    }
  }
  if (first) {
    // Errors are kept too: after a timeout the server may have acted, so the same key must
    // never send the call again.
    ojson meta = {{kIdempotencyMetaKey, idempotency_key}};
    try {
      promise.set_value(impl_->call(*tool, draft.arguments, meta));
    } catch (const nlohmann::json::exception& e) {
      promise.set_value(InternalError("{}: {}", draft.tool, e.what()));
    }
  }
  return outcome.get();
}

std::vector<std::unique_ptr<McpToolExecutor>> connect_mcp_servers(const McpConfig& config,
                                                                  const McpClientOptions& options,
                                                                  std::vector<Status>* failures) {
  std::vector<std::optional<Result<std::unique_ptr<McpToolExecutor>>>> results(
      config.servers.size());
  {
    std::vector<std::jthread> threads;
    for (size_t i = 0; i < config.servers.size(); ++i) {
      threads.emplace_back(
          [&, i] { results[i] = McpToolExecutor::connect(config.servers[i], options); });
    }
  }
  std::vector<std::unique_ptr<McpToolExecutor>> executors;
  for (auto& result : results) {
    if (result->ok()) {
      executors.push_back(std::move(*result).value());
      continue;
    }
    QWL_LOG_WARN("{}", result->status().message());
    if (failures != nullptr) failures->push_back(result->status());
  }
  return executors;
}

}  // namespace qwl::agent
