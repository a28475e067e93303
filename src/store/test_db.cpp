// Test databases: process-wide state (one PostgreSQL server, one SQLite folder, one template per
// migration list) behind a mutex, torn down by a static destructor at normal exit.
//
// The server is started with `postgres` directly rather than `pg_ctl start`: pg_ctl detaches
// the server, so a test process that crashes or is killed by ctest's timeout would leave it
// running; a direct child can be told to die with its parent.
#include "store/test_db.h"

#include <fcntl.h>
#include <grp.h>
#include <netinet/in.h>
#include <pwd.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <optional>
#include <sstream>
#include <thread>
#include <vector>

namespace qwl {
namespace {

namespace fs = std::filesystem;

// Who runs initdb and the server: PostgreSQL refuses to run as root.
struct RunAs {
  bool switch_user = false;
  uid_t uid = 0;
  gid_t gid = 0;
  std::string name;
};

Result<RunAs> pick_user() {
  RunAs who;
  if (geteuid() != 0) return who;
  const passwd* pw = getpwnam("postgres");
  if (!pw) {
    return UnavailableError(
        "test PostgreSQL: running as root but there is no 'postgres' user "
        "(apt-get install postgresql creates it)");
  }
  who = RunAs{.switch_user = true, .uid = pw->pw_uid, .gid = pw->pw_gid, .name = pw->pw_name};
  return who;
}

std::string log_tail(const fs::path& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  std::string s = ss.str();
  if (s.size() > 1500) s = "..." + s.substr(s.size() - 1500);
  return s;
}

// Forks and execs argv with stdout/stderr appended to `log`, as `who` when asked. With
// `die_with_parent`, the child gets SIGQUIT when the calling thread exits. Returns the pid.
Result<pid_t> spawn(const std::vector<std::string>& argv, const fs::path& log, const RunAs& who,
                    bool die_with_parent) {
  std::vector<char*> args;
  for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  const std::string log_path = log.string();
  const pid_t parent = getpid();
  const pid_t pid = fork();
  if (pid < 0) return IoErrorError("fork {}: {}", argv[0], std::strerror(errno));
  if (pid == 0) {
    // Only async-signal-safe calls between fork and exec.
    if (die_with_parent) {
      prctl(PR_SET_PDEATHSIG, SIGQUIT);
      if (getppid() != parent) _exit(127);
    }
    const int fd = open(log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    if (fd >= 0) {
      dup2(fd, 1);
      dup2(fd, 2);
      close(fd);
    }
    const int null_fd = open("/dev/null", O_RDONLY);
    if (null_fd >= 0) dup2(null_fd, 0);
    if (who.switch_user) {
      if (setgroups(0, nullptr) != 0 || setgid(who.gid) != 0 || setuid(who.uid) != 0) _exit(126);
    }
    execv(args[0], args.data());
    _exit(127);
  }
  return pid;
}

Status run_to_end(const std::vector<std::string>& argv, const fs::path& log, const RunAs& who) {
  QWL_ASSIGN_OR_RETURN(pid_t pid, spawn(argv, log, who, false));
  int wstatus = 0;
  while (waitpid(pid, &wstatus, 0) < 0 && errno == EINTR) {
  }
  if (!WIFEXITED(wstatus) || WEXITSTATUS(wstatus) != 0) {
    return UnavailableError("test PostgreSQL: {} failed (status {}): {}", argv[0], wstatus,
                            log_tail(log));
  }
  return Status::Ok();
}

Status chown_tree(const fs::path& dir, const RunAs& who) {
  if (!who.switch_user) return Status::Ok();
  std::error_code ec;
  if (chown(dir.c_str(), who.uid, who.gid) != 0) {
    return IoErrorError("chown {}: {}", dir.string(), std::strerror(errno));
  }
  for (auto it = fs::recursive_directory_iterator(dir, ec); !ec && it != fs::end(it);
       it.increment(ec)) {
    if (lchown(it->path().c_str(), who.uid, who.gid) != 0) {
      return IoErrorError("chown {}: {}", it->path().string(), std::strerror(errno));
    }
  }
  return ec ? IoErrorError("{}: {}", dir.string(), ec.message()) : Status::Ok();
}

Result<fs::path> make_temp_dir(const std::string& prefix) {
  std::string templ = (fs::temp_directory_path() / (prefix + "XXXXXX")).string();
  if (!mkdtemp(templ.data())) return IoErrorError("mkdtemp {}: {}", templ, std::strerror(errno));
  return fs::path(templ);
}

// The bin folder of the newest installed PostgreSQL server, or $QWL_PG_BIN.
Result<fs::path> find_bin_dir() {
  if (const char* env = std::getenv("QWL_PG_BIN"); env && *env) {
    if (fs::exists(fs::path(env) / "postgres")) return fs::path(env);
    return UnavailableError("test PostgreSQL: $QWL_PG_BIN={} has no 'postgres' binary", env);
  }
  std::optional<fs::path> best;
  int best_version = -1;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator("/usr/lib/postgresql", ec)) {
    const fs::path bin = entry.path() / "bin";
    if (!fs::exists(bin / "postgres") || !fs::exists(bin / "initdb")) continue;
    const int version = std::atoi(entry.path().filename().c_str());
    if (version > best_version) {
      best_version = version;
      best = bin;
    }
  }
  if (!best) {
    return UnavailableError(
        "test PostgreSQL: no server binaries under /usr/lib/postgresql/*/bin; the PostgreSQL "
        "tests need Debian's server package: apt-get install postgresql (or set QWL_PG_BIN)");
  }
  return *best;
}

Result<int> free_port() {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return IoErrorError("socket: {}", std::strerror(errno));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  socklen_t len = sizeof(addr);
  if (bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 ||
      getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    close(fd);
    return IoErrorError("bind 127.0.0.1:0: {}", std::strerror(errno));
  }
  close(fd);
  return static_cast<int>(ntohs(addr.sin_port));
}

class PgServer {
 public:
  ~PgServer() { stop(); }

  Status start() {
    QWL_ASSIGN_OR_RETURN(fs::path bin, find_bin_dir());
    QWL_ASSIGN_OR_RETURN(RunAs who, pick_user());
    QWL_ASSIGN_OR_RETURN(fs::path cluster, cached_cluster(bin, who));
    QWL_ASSIGN_OR_RETURN(dir_, make_temp_dir("qwl-pg-"));
    std::error_code ec;
    fs::copy(cluster, dir_ / "data", fs::copy_options::recursive, ec);
    if (ec) return IoErrorError("copy {}: {}", cluster.string(), ec.message());
    fs::permissions(dir_ / "data", fs::perms::owner_all, ec);
    QWL_RETURN_IF_ERROR(chown_tree(dir_, who));
    const fs::path log = dir_ / "server.log";
    // A free port can be taken between our probe and the server's bind: try a few.
    for (int attempt = 0; attempt < 5; ++attempt) {
      QWL_ASSIGN_OR_RETURN(port_, free_port());
      std::vector<std::string> argv = {
          (bin / "postgres").string(), "-D", (dir_ / "data").string(), "-k", dir_.string(), "-p",
          std::to_string(port_), "-c", "listen_addresses=127.0.0.1",
          // Throw-away data: durability is not what is tested
          // here (client crashes are; the server stays up).
          "-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off", "-c",
          "max_connections=300", "-c", "shared_buffers=32MB"};
      QWL_ASSIGN_OR_RETURN(pid_, spawn(argv, log, who, true));
      Status ready = wait_ready(log);
      if (ready.ok()) return ready;
      stop_process();
      if (attempt == 4) return ready;
    }
    return Status::Ok();
  }

  std::string url(std::string_view database) const {
    return fmt::format("postgresql://postgres@127.0.0.1:{}/{}?connect_timeout=10", port_, database);
  }

  void stop() {
    stop_process();
    if (!dir_.empty()) {
      std::error_code ec;
      fs::remove_all(dir_, ec);
      dir_.clear();
    }
  }

 private:
  // An initdb result for this PostgreSQL version and user, made once per machine.
  static Result<fs::path> cached_cluster(const fs::path& bin, const RunAs& who) {
    const std::string version = bin.parent_path().filename().string();
    const fs::path cache =
        fs::temp_directory_path() /
        fmt::format("qwl-pg-initdb-{}-{}", version, who.switch_user ? who.uid : geteuid());
    if (fs::exists(cache / "data" / "PG_VERSION")) return cache / "data";
    QWL_ASSIGN_OR_RETURN(fs::path tmp, make_temp_dir("qwl-pg-initdb-tmp-"));
    QWL_RETURN_IF_ERROR(chown_tree(tmp, who));
    const fs::path log = tmp / "initdb.log";
    std::vector<std::string> argv;
    if (who.switch_user) argv = {"/usr/sbin/runuser", "-u", who.name, "--"};
    for (std::string a :
         {(bin / "initdb").string(), std::string("-D"), (tmp / "data").string(), std::string("-U"),
          std::string("postgres"), std::string("--auth=trust"), std::string("-E"),
          std::string("UTF8"), std::string("--no-locale"), std::string("--no-sync")}) {
      argv.push_back(std::move(a));
    }
    QWL_RETURN_IF_ERROR(run_to_end(argv, log, RunAs{}));
    // Publish atomically; a concurrent test process may have won the race, which is fine.
    std::error_code ec;
    fs::rename(tmp, cache, ec);
    if (ec) fs::remove_all(tmp, ec);
    if (!fs::exists(cache / "data" / "PG_VERSION")) {
      return IoErrorError("test PostgreSQL: cannot publish the initdb cache {}", cache.string());
    }
    return cache / "data";
  }

  Status wait_ready(const fs::path& log) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    while (std::chrono::steady_clock::now() < deadline) {
      int wstatus = 0;
      if (waitpid(pid_, &wstatus, WNOHANG) == pid_) {
        pid_ = -1;
        return UnavailableError("test PostgreSQL: the server exited during start-up: {}",
                                log_tail(log));
      }
      DbOptions options;
      options.pool_size = 1;
      if (Db::open(url("postgres"), options).ok()) return Status::Ok();
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return UnavailableError("test PostgreSQL: not ready after 60 s: {}", log_tail(log));
  }

  void stop_process() {
    if (pid_ <= 0) return;
    kill(pid_, SIGQUIT);  // immediate shutdown: the data is thrown away
    int wstatus = 0;
    while (waitpid(pid_, &wstatus, 0) < 0 && errno == EINTR) {
    }
    pid_ = -1;
  }

  fs::path dir_;
  int port_ = 0;
  pid_t pid_ = -1;
};

// Process-wide state.
struct State {
  std::mutex mu;
  std::unique_ptr<PgServer> server;
  Status server_error;  // a failed start is not retried: every test reports the same cause
  std::unique_ptr<Db> admin;
  fs::path sqlite_dir;
  std::map<std::pair<int, std::string>, std::string> templates;  // (kind, key) -> name or path
  int64_t next_id = 0;

  ~State() {
    admin.reset();
    server.reset();
    if (!sqlite_dir.empty()) {
      std::error_code ec;
      fs::remove_all(sqlite_dir, ec);
    }
  }
};

State& state() {
  static State s;
  return s;
}

// Identifies a migration list by content, so two lists never share a template.
std::string list_key(std::span<const Migration> migrations) {
  std::string key;
  for (const Migration& m : migrations) {
    key += fmt::format("{}\x1f{}\x1f{}\x1f{}\x1f{}\x1e", m.version, m.name, m.up, m.up_sqlite,
                       m.up_postgres);
  }
  return fmt::format("{:016x}", std::hash<std::string>{}(key));
}

// Callers hold state().mu.
Status ensure_server(State& s) {
  if (s.admin) return Status::Ok();
  if (!s.server_error.ok()) return s.server_error;
  auto server = std::make_unique<PgServer>();
  Status status = server->start();
  if (status.ok()) {
    DbOptions options;
    options.pool_size = 1;
    auto admin = Db::open(server->url("postgres"), options);
    if (admin.ok()) {
      s.admin = std::move(admin).value();
      s.server = std::move(server);
      return Status::Ok();
    }
    status = admin.status();
  }
  s.server_error = status;
  return status;
}

Result<std::string> fresh_postgres(State& s, std::span<const Migration> migrations) {
  QWL_RETURN_IF_ERROR(ensure_server(s));
  const auto key = std::make_pair(static_cast<int>(DbKind::kPostgres), list_key(migrations));
  auto it = s.templates.find(key);
  if (it == s.templates.end()) {
    const std::string name = fmt::format("qwl_template_{}", s.templates.size());
    QWL_RETURN_IF_ERROR(s.admin->exec_outside_transaction(fmt::format("CREATE DATABASE {}", name)));
    {
      QWL_ASSIGN_OR_RETURN(auto db, Db::open(s.server->url(name), DbOptions{.pool_size = 1}));
      QWL_RETURN_IF_ERROR(migrate(*db, migrations).status());
    }  // closed: a template must have no sessions when it is copied
    it = s.templates.emplace(key, name).first;
  }
  const std::string name = fmt::format("qwl_test_{}", s.next_id++);
  QWL_RETURN_IF_ERROR(s.admin->exec_outside_transaction(
      fmt::format("CREATE DATABASE {} TEMPLATE {}", name, it->second)));
  return s.server->url(name);
}

Result<std::string> fresh_sqlite(State& s, std::span<const Migration> migrations) {
  if (s.sqlite_dir.empty()) {
    QWL_ASSIGN_OR_RETURN(s.sqlite_dir, make_temp_dir("qwl-sqlite-"));
  }
  const auto key = std::make_pair(static_cast<int>(DbKind::kSqlite), list_key(migrations));
  auto it = s.templates.find(key);
  if (it == s.templates.end()) {
    const fs::path path = s.sqlite_dir / fmt::format("template_{}.db", s.templates.size());
    {
      QWL_ASSIGN_OR_RETURN(auto db, Db::open(path.string(), DbOptions{.pool_size = 1}));
      QWL_RETURN_IF_ERROR(migrate(*db, migrations).status());
    }  // closed: the last close checkpoints the WAL into the file and removes it
    it = s.templates.emplace(key, path.string()).first;
  }
  const fs::path path = s.sqlite_dir / fmt::format("test_{}.db", s.next_id++);
  std::error_code ec;
  fs::copy_file(it->second, path, ec);
  if (ec) return IoErrorError("copy {}: {}", it->second, ec.message());
  return path.string();
}

}  // namespace

Result<std::string> fresh_database_url(DbKind kind, std::span<const Migration> migrations) {
  State& s = state();
  std::lock_guard lock(s.mu);
  return kind == DbKind::kPostgres ? fresh_postgres(s, migrations) : fresh_sqlite(s, migrations);
}

Result<std::unique_ptr<Db>> fresh_database(DbKind kind, std::span<const Migration> migrations,
                                           const DbOptions& options) {
  QWL_ASSIGN_OR_RETURN(std::string url, fresh_database_url(kind, migrations));
  return Db::open(url, options);
}

Result<std::string> test_postgres_admin_url() {
  State& s = state();
  std::lock_guard lock(s.mu);
  QWL_RETURN_IF_ERROR(ensure_server(s));
  return s.server->url("postgres");
}

}  // namespace qwl
