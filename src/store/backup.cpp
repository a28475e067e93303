// Backup and restore (see backup.h): SQLite's online backup API, pg_dump / pg_restore.
#include "store/backup.h"

#include <fcntl.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <optional>
#include <thread>
#include <vector>

#include "base/clock.h"
#include "store/db.h"
#include "store/migrations.h"

extern char** environ;

namespace qwl {
namespace {

namespace fs = std::filesystem;

// ---- URLs ----------------------------------------------------------------------------------

struct Target {
  DbKind kind = DbKind::kSqlite;
  std::string path;      // SQLite
  std::string conninfo;  // PostgreSQL: the URL without its password
  std::string password;  // PostgreSQL: decoded, for PGPASSWORD
  std::string shown;     // for messages: the URL without its password
};

std::optional<std::string> percent_decode(std::string_view s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '%') {
      out.push_back(s[i]);
      continue;
    }
    if (i + 2 >= s.size() || !std::isxdigit(static_cast<unsigned char>(s[i + 1])) ||
        !std::isxdigit(static_cast<unsigned char>(s[i + 2])))
      return std::nullopt;
    out.push_back(static_cast<char>(std::stoi(std::string(s.substr(i + 1, 2)), nullptr, 16)));
    i += 2;
  }
  return out;
}

Result<Target> parse_target(std::string_view url) {
  Target t;
  if (url.starts_with("postgresql://") || url.starts_with("postgres://")) {
    t.kind = DbKind::kPostgres;
    // postgresql://user:secret@host/db -> postgresql://user@host/db + PGPASSWORD=secret
    const size_t scheme = url.find("://") + 3;
    const size_t at = url.find('@', scheme);
    const size_t slash = url.find('/', scheme);
    const size_t colon = url.find(':', scheme);
    if (at != std::string_view::npos && (slash == std::string_view::npos || at < slash) &&
        colon != std::string_view::npos && colon < at) {
      auto password = percent_decode(url.substr(colon + 1, at - colon - 1));
      if (!password) return InvalidArgumentError("--db: the URL's password is badly escaped");
      t.password = *password;
      t.conninfo = std::string(url.substr(0, colon)) + std::string(url.substr(at));
      t.shown = std::string(url.substr(0, colon)) + ":***" + std::string(url.substr(at));
    } else {
      t.conninfo = std::string(url);
      t.shown = t.conninfo;
    }
    return t;
  }
  if (url.starts_with("file:")) {
    url.remove_prefix(5);
    if (url.starts_with("//")) url.remove_prefix(2);
  } else if (url.find("://") != std::string_view::npos) {
    return InvalidArgumentError("--db {}: unknown scheme (a file path, file:PATH or postgresql://)",
                                url);
  }
  if (url.empty() || url == ":memory:")
    return InvalidArgumentError("--db '{}': SQLite needs a file path", url);
  t.path = std::string(url);
  t.shown = t.path;
  return t;
}

int64_t file_size(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 ? static_cast<int64_t>(st.st_size) : 0;
}

Status sync_path(const std::string& path, bool directory) {
  const int fd = ::open(path.c_str(), (directory ? O_RDONLY | O_DIRECTORY : O_RDONLY) | O_CLOEXEC);
  if (fd < 0) return IoErrorError("{}: {}", path, std::strerror(errno));
  const int rc = ::fsync(fd);
  const int err = errno;
  ::close(fd);
  if (rc != 0) return IoErrorError("{}: fsync: {}", path, std::strerror(err));
  return Status::Ok();
}

std::string parent_dir(const std::string& path) {
  const fs::path parent = fs::path(path).parent_path();
  return parent.empty() ? "." : parent.string();
}

// Moves a finished temporary file into place durably.
Status publish(const std::string& tmp, const std::string& out) {
  QWL_RETURN_IF_ERROR(sync_path(tmp, false));
  if (::rename(tmp.c_str(), out.c_str()) != 0)
    return IoErrorError("{}: rename from {}: {}", out, tmp, std::strerror(errno));
  return sync_path(parent_dir(out), true);
}

Status check_out_path(const std::string& out, const BackupOptions& options) {
  if (out.empty()) return InvalidArgumentError("backup: the output path is empty");
  std::error_code ec;
  if (fs::exists(out, ec) && !options.overwrite)
    return FailedPreconditionError("{}: already exists (use --force to replace it)", out);
  if (fs::is_directory(out, ec)) return InvalidArgumentError("{}: is a directory", out);
  return Status::Ok();
}

// ---- SQLite --------------------------------------------------------------------------------

class SqliteFile {
 public:
  SqliteFile() = default;
  ~SqliteFile() {
    if (db_ != nullptr) sqlite3_close_v2(db_);
  }
  SqliteFile(const SqliteFile&) = delete;
  SqliteFile& operator=(const SqliteFile&) = delete;

  Status open(const std::string& path, int flags) {
    path_ = path;
    const int rc = sqlite3_open_v2(path.c_str(), &db_, flags | SQLITE_OPEN_NOMUTEX, nullptr);
    if (rc != SQLITE_OK) {
      std::string msg = db_ != nullptr ? sqlite3_errmsg(db_) : sqlite3_errstr(rc);
      return rc == SQLITE_CANTOPEN ? NotFoundError("{}: cannot open: {}", path, msg)
                                   : IoErrorError("{}: cannot open: {}", path, msg);
    }
    sqlite3_busy_timeout(db_, 5000);
    sqlite3_extended_result_codes(db_, 1);
    return Status::Ok();
  }

  sqlite3* get() const { return db_; }

  Status error(int rc, std::string_view what) const {
    const std::string msg = db_ != nullptr ? sqlite3_errmsg(db_) : sqlite3_errstr(rc);
    switch (rc & 0xff) {
      case SQLITE_NOTADB:
        return InvalidArgumentError("{}: {}: not a SQLite database ({})", path_, what, msg);
      case SQLITE_CORRUPT:
        return CorruptError("{}: {}: {}", path_, what, msg);
      case SQLITE_BUSY:
      case SQLITE_LOCKED:
        return UnavailableError("{}: {}: {}", path_, what, msg);
      default:
        return IoErrorError("{}: {}: {}", path_, what, msg);
    }
  }

  // The first column of every row of `sql`, as text (NULL as "").
  Result<std::vector<std::string>> column(const char* sql) const {
    sqlite3_stmt* stmt = nullptr;
    int rc = sqlite3_prepare_v2(db_, sql, -1, &stmt, nullptr);
    if (rc != SQLITE_OK) return error(rc, sql);
    std::vector<std::string> out;
    while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
      const unsigned char* text = sqlite3_column_text(stmt, 0);
      out.emplace_back(text != nullptr ? reinterpret_cast<const char*>(text) : "");
    }
    sqlite3_finalize(stmt);
    if (rc != SQLITE_DONE) return error(rc, sql);
    return out;
  }

  Result<int64_t> integer(const char* sql) const {
    QWL_ASSIGN_OR_RETURN(std::vector<std::string> rows, column(sql));
    if (rows.empty()) return int64_t{0};
    return static_cast<int64_t>(std::strtoll(rows[0].c_str(), nullptr, 10));
  }

  Status exec(const char* sql) const {
    char* err = nullptr;
    const int rc = sqlite3_exec(db_, sql, nullptr, nullptr, &err);
    if (err != nullptr) sqlite3_free(err);
    if (rc != SQLITE_OK) return error(rc, sql);
    return Status::Ok();
  }

  Result<int64_t> tables() const {
    return integer(
        "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND "
        "name NOT LIKE 'sqlite\\_%' ESCAPE '\\'");
  }

  // MAX(version) of schema_migrations; InvalidArgument when there is no such table.
  Result<int64_t> schema_version() const {
    QWL_ASSIGN_OR_RETURN(int64_t has, integer("SELECT COUNT(*) FROM sqlite_master WHERE "
                                              "type = 'table' AND name = 'schema_migrations'"));
    if (has == 0)
      return InvalidArgumentError("{}: not a qwenlayer database (no schema_migrations table)",
                                  path_);
    return integer("SELECT COALESCE(MAX(version), 0) FROM schema_migrations");
  }

  // PRAGMA integrity_check: Corrupt with its first findings unless it says "ok".
  Status check_integrity() const {
    QWL_ASSIGN_OR_RETURN(std::vector<std::string> rows, column("PRAGMA integrity_check"));
    if (rows.size() == 1 && rows[0] == "ok") return Status::Ok();
    std::string found;
    for (size_t i = 0; i < rows.size() && i < 3; ++i) found += (i ? "; " : "") + rows[i];
    return CorruptError("{}: integrity check failed: {}", path_, found);
  }

 private:
  sqlite3* db_ = nullptr;
  std::string path_;
};

// Copies every page of `src` into `dest` in one step, so that the copy is one snapshot of the
// source (a step-by-step copy restarts whenever another connection writes the source).
Status copy_pages(const SqliteFile& src, const SqliteFile& dest) {
  sqlite3_backup* backup = sqlite3_backup_init(dest.get(), "main", src.get(), "main");
  if (backup == nullptr) return dest.error(sqlite3_errcode(dest.get()), "backup");
  int rc = SQLITE_OK;
  for (int attempt = 0; attempt < 200; ++attempt) {
    rc = sqlite3_backup_step(backup, -1);
    if (rc != SQLITE_BUSY && rc != SQLITE_LOCKED) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  const int finish = sqlite3_backup_finish(backup);
  if (rc != SQLITE_DONE)
    return (rc == SQLITE_NOTADB || rc == SQLITE_CORRUPT) ? src.error(rc, "backup")
                                                         : dest.error(rc, "backup");
  if (finish != SQLITE_OK) return dest.error(finish, "backup");
  return Status::Ok();
}

Result<BackupReport> backup_sqlite(const Target& t, const std::string& out,
                                   const BackupOptions& options) {
  Stopwatch watch;
  std::error_code ec;
  if (!fs::exists(t.path, ec)) return NotFoundError("{}: no such database file", t.path);
  QWL_RETURN_IF_ERROR(check_out_path(out, options));
  SqliteFile src;
  // Read-write (never create): a read-only connection to a WAL database needs its -shm file.
  QWL_RETURN_IF_ERROR(src.open(t.path, SQLITE_OPEN_READWRITE));
  const std::string tmp = out + ".tmp";
  fs::remove(tmp, ec);
  {
    SqliteFile dest;
    QWL_RETURN_IF_ERROR(dest.open(tmp, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE));
    Status copied = copy_pages(src, dest);
    // The copy is one file: no WAL beside it.
    if (copied.ok()) copied = dest.exec("PRAGMA journal_mode=DELETE");
    if (!copied.ok()) {
      fs::remove(tmp, ec);
      return copied;
    }
  }
  QWL_RETURN_IF_ERROR(publish(tmp, out));
  return BackupReport{
      .kind = DbKind::kSqlite, .bytes = file_size(out), .duration_us = watch.elapsed_us()};
}

Result<RestoreReport> restore_sqlite(const Target& t, const std::string& in,
                                     const RestoreOptions& options) {
  Stopwatch watch;
  std::error_code ec;
  if (!fs::exists(in, ec)) return NotFoundError("{}: no such backup file", in);
  SqliteFile src;
  QWL_RETURN_IF_ERROR(src.open(in, SQLITE_OPEN_READONLY));
  // The backup is checked before the target is touched.
  QWL_RETURN_IF_ERROR(src.check_integrity());
  QWL_ASSIGN_OR_RETURN(int64_t version, src.schema_version());
  if (options.newest_known_version > 0 && version > options.newest_known_version)
    return UnsupportedError(
        "{}: the backup's schema is at version {}, newer than this binary (version {})", in,
        version, options.newest_known_version);

  if (!t.path.empty()) fs::create_directories(parent_dir(t.path), ec);
  SqliteFile dest;
  QWL_RETURN_IF_ERROR(dest.open(t.path, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE));
  QWL_ASSIGN_OR_RETURN(int64_t existing, dest.tables());
  if (existing > 0 && !options.force)
    return FailedPreconditionError(
        "{}: holds {} tables; restore refuses to overwrite a database that is not empty (use "
        "--force)",
        t.path, existing);
  QWL_RETURN_IF_ERROR(copy_pages(src, dest));
  RestoreReport report{.kind = DbKind::kSqlite};
  QWL_RETURN_IF_ERROR(dest.check_integrity());
  report.integrity = "ok";
  QWL_ASSIGN_OR_RETURN(report.schema_version, dest.schema_version());
  QWL_ASSIGN_OR_RETURN(report.tables, dest.tables());
  report.duration_us = watch.elapsed_us();
  return report;
}

// ---- PostgreSQL ----------------------------------------------------------------------------

struct ProcessResult {
  int exit_code = -1;
  std::string output;  // stdout and stderr together
};

// Runs argv with `env_extra` added to the environment, capturing its output.
Result<ProcessResult> run_process(const std::vector<std::string>& argv,
                                  const std::vector<std::string>& env_extra) {
  int pipe_fds[2];
  if (::pipe2(pipe_fds, O_CLOEXEC) != 0) return IoErrorError("pipe: {}", std::strerror(errno));
  std::vector<char*> args;
  for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  std::vector<std::string> env_strings = env_extra;
  for (char** e = environ; *e != nullptr; ++e) {
    const std::string_view entry(*e);
    const bool replaced =
        std::any_of(env_extra.begin(), env_extra.end(), [&](const std::string& x) {
          return entry.substr(0, entry.find('=')) == std::string_view(x).substr(0, x.find('='));
        });
    if (!replaced) env_strings.emplace_back(entry);
  }
  std::vector<char*> env;
  for (std::string& s : env_strings) env.push_back(s.data());
  env.push_back(nullptr);

  const pid_t pid = ::fork();
  if (pid < 0) {
    ::close(pipe_fds[0]);
    ::close(pipe_fds[1]);
    return IoErrorError("fork {}: {}", argv[0], std::strerror(errno));
  }
  if (pid == 0) {
    ::dup2(pipe_fds[1], STDOUT_FILENO);
    ::dup2(pipe_fds[1], STDERR_FILENO);
    const int devnull = ::open("/dev/null", O_RDONLY);
    if (devnull >= 0) ::dup2(devnull, STDIN_FILENO);
    ::execve(args[0], args.data(), env.data());
    const char msg[] = "exec failed\n";
    [[maybe_unused]] ssize_t n = ::write(STDERR_FILENO, msg, sizeof(msg) - 1);
    ::_exit(127);
  }
  ::close(pipe_fds[1]);
  ProcessResult result;
  char buf[4096];
  for (;;) {
    const ssize_t n = ::read(pipe_fds[0], buf, sizeof(buf));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    // Keep the end: that is where the error is.
    result.output.append(buf, static_cast<size_t>(n));
    if (result.output.size() > 64 * 1024) result.output.erase(0, result.output.size() - 32 * 1024);
  }
  ::close(pipe_fds[0]);
  int wstatus = 0;
  while (::waitpid(pid, &wstatus, 0) < 0 && errno == EINTR) {
  }
  result.exit_code = WIFEXITED(wstatus) ? WEXITSTATUS(wstatus) : 128 + WTERMSIG(wstatus);
  return result;
}

std::string tail_lines(std::string text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
  if (text.size() > 1500) text = "..." + text.substr(text.size() - 1500);
  return text;
}

Result<ProcessResult> run_pg(std::string_view program, std::vector<std::string> args,
                             const Target& t) {
  QWL_ASSIGN_OR_RETURN(std::string dir, find_postgres_program(program));
  args.insert(args.begin(), dir + "/" + std::string(program));
  std::vector<std::string> env;
  if (!t.password.empty()) env.push_back("PGPASSWORD=" + t.password);
  QWL_ASSIGN_OR_RETURN(ProcessResult r, run_process(args, env));
  return r;
}

Result<BackupReport> backup_postgres(const Target& t, const std::string& out,
                                     const BackupOptions& options) {
  Stopwatch watch;
  QWL_RETURN_IF_ERROR(check_out_path(out, options));
  const std::string tmp = out + ".tmp";
  std::error_code ec;
  fs::remove(tmp, ec);
  QWL_ASSIGN_OR_RETURN(
      ProcessResult r,
      run_pg("pg_dump",
             {"--format=custom", "--no-password", "--file=" + tmp, "--dbname=" + t.conninfo}, t));
  if (r.exit_code != 0) {
    fs::remove(tmp, ec);
    return UnavailableError("pg_dump {}: exit status {}: {}", t.shown, r.exit_code,
                            tail_lines(r.output));
  }
  QWL_RETURN_IF_ERROR(publish(tmp, out));
  return BackupReport{
      .kind = DbKind::kPostgres, .bytes = file_size(out), .duration_us = watch.elapsed_us()};
}

Result<int64_t> postgres_tables(Db& db) {
  int64_t n = 0;
  QWL_RETURN_IF_ERROR(db.read([&](Tx& tx) -> Status {
    QWL_ASSIGN_OR_RETURN(n, tx.query_int64("SELECT COUNT(*) FROM pg_catalog.pg_tables "
                                           "WHERE schemaname = current_schema()"));
    return Status::Ok();
  }));
  return n;
}

Result<RestoreReport> restore_postgres(std::string_view url, const Target& t, const std::string& in,
                                       const RestoreOptions& options) {
  Stopwatch watch;
  std::error_code ec;
  if (!fs::exists(in, ec)) return NotFoundError("{}: no such backup file", in);
  // A file that is not a custom-format dump is refused before anything is dropped.
  QWL_ASSIGN_OR_RETURN(ProcessResult listed, run_pg("pg_restore", {"--list", in}, t));
  if (listed.exit_code != 0)
    return InvalidArgumentError("{}: not a PostgreSQL custom-format dump (pg_restore --list: {})",
                                in, tail_lines(listed.output));
  {
    QWL_ASSIGN_OR_RETURN(std::unique_ptr<Db> db, Db::open(url, DbOptions{.pool_size = 1}));
    QWL_ASSIGN_OR_RETURN(int64_t existing, postgres_tables(*db));
    if (existing > 0 && !options.force)
      return FailedPreconditionError(
          "{}: holds {} tables; restore refuses to overwrite a database that is not empty (use "
          "--force)",
          db->url(), existing);
    if (existing > 0) {
      // Everything of ours lives in the public schema: dropping it removes tables, sequences,
      // functions and extensions' objects that the dump recreates.
      QWL_RETURN_IF_ERROR(db->transact([](Tx& tx) -> Status {
        QWL_RETURN_IF_ERROR(tx.exec("DROP SCHEMA public CASCADE").status());
        return tx.exec("CREATE SCHEMA public").status();
      }));
    }
  }
  QWL_ASSIGN_OR_RETURN(ProcessResult r,
                       run_pg("pg_restore",
                              {"--no-password", "--single-transaction", "--exit-on-error",
                               "--no-owner", "--no-acl", "--dbname=" + t.conninfo, in},
                              t));
  if (r.exit_code != 0)
    return UnavailableError("pg_restore {}: exit status {}: {}", t.shown, r.exit_code,
                            tail_lines(r.output));
  QWL_ASSIGN_OR_RETURN(std::unique_ptr<Db> db, Db::open(url, DbOptions{.pool_size = 1}));
  RestoreReport report{.kind = DbKind::kPostgres, .integrity = "not checked"};
  QWL_ASSIGN_OR_RETURN(report.tables, postgres_tables(*db));
  QWL_ASSIGN_OR_RETURN(report.schema_version, schema_version(*db));
  if (report.tables == 0 || report.schema_version == 0)
    return CorruptError("{}: the restored database has no schema_migrations rows", db->url());
  if (options.newest_known_version > 0 && report.schema_version > options.newest_known_version)
    return UnsupportedError(
        "{}: the restored schema is at version {}, newer than this binary (version {})", db->url(),
        report.schema_version, options.newest_known_version);
  report.duration_us = watch.elapsed_us();
  return report;
}

bool is_executable(const std::string& path) {
  return ::access(path.c_str(), X_OK) == 0 && !fs::is_directory(path);
}

}  // namespace

Result<std::string> find_postgres_program(std::string_view program) {
  const std::string name(program);
  if (const char* bin = std::getenv("QWL_PG_BIN"); bin != nullptr && *bin != '\0') {
    if (is_executable(std::string(bin) + "/" + name)) return std::string(bin);
  }
  if (const char* path = std::getenv("PATH"); path != nullptr) {
    std::string_view rest(path);
    while (!rest.empty()) {
      const size_t colon = rest.find(':');
      const std::string dir(rest.substr(0, colon));
      rest = colon == std::string_view::npos ? std::string_view() : rest.substr(colon + 1);
      if (!dir.empty() && is_executable(dir + "/" + name)) return dir;
    }
  }
  // Debian installs the programs per major version; the newest one reads every older server.
  std::error_code ec;
  int best = -1;
  std::string best_dir;
  for (const auto& entry : fs::directory_iterator("/usr/lib/postgresql", ec)) {
    const std::string version = entry.path().filename().string();
    const int v = std::atoi(version.c_str());
    const std::string dir = entry.path().string() + "/bin";
    if (v > best && is_executable(dir + "/" + name)) {
      best = v;
      best_dir = dir;
    }
  }
  if (best >= 0) return best_dir;
  return UnavailableError(
      "{}: not found in $QWL_PG_BIN, on PATH or in /usr/lib/postgresql/*/bin (apt-get install "
      "postgresql-client)",
      name);
}

Result<BackupReport> backup_database(std::string_view url, const std::string& out_path,
                                     const BackupOptions& options) {
  QWL_ASSIGN_OR_RETURN(Target t, parse_target(url));
  return t.kind == DbKind::kSqlite ? backup_sqlite(t, out_path, options)
                                   : backup_postgres(t, out_path, options);
}

Result<RestoreReport> restore_database(std::string_view url, const std::string& in_path,
                                       const RestoreOptions& options) {
  QWL_ASSIGN_OR_RETURN(Target t, parse_target(url));
  return t.kind == DbKind::kSqlite ? restore_sqlite(t, in_path, options)
                                   : restore_postgres(url, t, in_path, options);
}

}  // namespace qwl
