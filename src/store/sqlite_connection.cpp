// SQLite connections: the writer switches the file to WAL and every connection sets the
// pragmas money needs; statements are prepared once (SQLITE_PREPARE_PERSISTENT) and cached by
// their text. Connections are opened NOMUTEX: the pool already guarantees one thread at a time.
#include <sqlite3.h>

#include <filesystem>
#include <unordered_map>

#include "store/connection.h"

namespace qwl::store_internal {
namespace {

bool is_retryable(int code) {
  const int primary = code & 0xff;
  return primary == SQLITE_BUSY || primary == SQLITE_LOCKED;
}

Status make_error(int code, std::string_view where, std::string_view what, const char* msg) {
  std::string text = fmt::format("{}: {}: {} ({})", where, what, msg ? msg : sqlite3_errstr(code),
                                 sqlite3_errstr(code));
  switch (code & 0xff) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
      return Status(StatusCode::kUnavailable, std::move(text));
    case SQLITE_CONSTRAINT:
    case SQLITE_MISMATCH:
    case SQLITE_TOOBIG:
    case SQLITE_RANGE:
    case SQLITE_READONLY:
      return Status(StatusCode::kInvalidArgument, std::move(text));
    case SQLITE_IOERR:
    case SQLITE_FULL:
    case SQLITE_CANTOPEN:
    case SQLITE_PERM:
      return Status(StatusCode::kIoError, std::move(text));
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
      return Status(StatusCode::kCorrupt, std::move(text));
    default:
      return Status(StatusCode::kInternal, std::move(text));
  }
}

class SqliteConnection final : public Connection {
 public:
  SqliteConnection(sqlite3* db, std::string path) : db_(db), path_(std::move(path)) {}
  ~SqliteConnection() override {
    for (auto& [sql, stmt] : cache_) sqlite3_finalize(stmt);
    sqlite3_close_v2(db_);
  }

  Status begin(TxMode mode) override {
    // IMMEDIATE takes the write lock now, so a write transaction never meets SQLITE_BUSY
    // half-way (when upgrading a read), where a retry would have to undo work.
    return simple(mode == TxMode::kWrite ? "BEGIN IMMEDIATE" : "BEGIN");
  }
  Status commit() override { return simple("COMMIT"); }
  void rollback() override {
    if (!sqlite3_get_autocommit(db_)) sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
  }

  Status exec_script(std::string_view sql) override { return simple(std::string(sql)); }

  Status run(std::string_view sql, Params params, Rows* rows, int64_t* changes) override {
    retryable_ = false;
    sqlite3_stmt* stmt = nullptr;
    QWL_RETURN_IF_ERROR(prepare(sql, &stmt));
    const int n_params = sqlite3_bind_parameter_count(stmt);
    if (n_params != static_cast<int>(params.size())) {
      return InvalidArgumentError("{}: {}: {} parameters given, the statement has {}", path_,
                                  sql_excerpt(sql), params.size(), n_params);
    }
    for (int i = 0; i < n_params; ++i) {
      const Value& v = params[i];
      int rc = SQLITE_OK;
      switch (v.type()) {
        case Value::Type::kNull:
          rc = sqlite3_bind_null(stmt, i + 1);
          break;
        case Value::Type::kInt64:
          rc = sqlite3_bind_int64(stmt, i + 1, v.int64());
          break;
        case Value::Type::kDouble:
          rc = sqlite3_bind_double(stmt, i + 1, v.real());
          break;
        case Value::Type::kText:
          rc = sqlite3_bind_text64(stmt, i + 1, v.text().data(), v.text().size(), SQLITE_STATIC,
                                   SQLITE_UTF8);
          break;
        case Value::Type::kBlob:
          // A null pointer would bind NULL, not an empty blob.
          rc = v.blob_bytes().empty() ? sqlite3_bind_zeroblob(stmt, i + 1, 0)
                                      : sqlite3_bind_blob64(stmt, i + 1, v.blob_bytes().data(),
                                                            v.blob_bytes().size(), SQLITE_STATIC);
          break;
      }
      if (rc != SQLITE_OK) {
        sqlite3_clear_bindings(stmt);
        return make_error(rc, path_, sql_excerpt(sql), sqlite3_errmsg(db_));
      }
    }
    if (rows) {
      rows->columns.clear();
      rows->rows.clear();
      const int n_cols = sqlite3_column_count(stmt);
      for (int c = 0; c < n_cols; ++c) rows->columns.emplace_back(sqlite3_column_name(stmt, c));
    }
    int rc;
    while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
      if (rows) rows->rows.push_back(read_row(stmt));
    }
    Status status;
    if (rc != SQLITE_DONE) {
      retryable_ = is_retryable(rc);
      status = make_error(rc, path_, sql_excerpt(sql), sqlite3_errmsg(db_));
    } else if (changes) {
      *changes = sqlite3_stmt_readonly(stmt) ? 0 : sqlite3_changes64(db_);
    }
    sqlite3_reset(stmt);
    sqlite3_clear_bindings(stmt);
    return status;
  }

  Status configure(bool writer, const DbOptions& options) {
    sqlite3_extended_result_codes(db_, 1);
    sqlite3_busy_timeout(db_, options.busy_timeout_ms);
    if (writer) {
      Rows rows;
      QWL_RETURN_IF_ERROR(run("PRAGMA journal_mode=WAL", {}, &rows, nullptr));
      if (rows.empty() || rows[0].values()[0].type() != Value::Type::kText ||
          rows[0].text(0) != "wal") {
        return IoErrorError("{}: cannot switch the journal to WAL", path_);
      }
    }
    QWL_RETURN_IF_ERROR(simple("PRAGMA foreign_keys=ON"));
    QWL_RETURN_IF_ERROR(simple("PRAGMA synchronous=FULL"));
    return Status::Ok();
  }

 private:
  Status simple(const std::string& sql) {
    retryable_ = false;
    char* msg = nullptr;
    const int rc = sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &msg);
    if (rc == SQLITE_OK) return Status::Ok();
    retryable_ = is_retryable(rc);
    Status status = make_error(rc, path_, sql_excerpt(sql), msg);
    sqlite3_free(msg);
    return status;
  }

  Status prepare(std::string_view sql, sqlite3_stmt** out) {
    std::string key(sql);
    if (auto it = cache_.find(key); it != cache_.end()) {
      *out = it->second;
      return Status::Ok();
    }
    QWL_ASSIGN_OR_RETURN(std::string text, Dialect(DbKind::kSqlite).translate(sql));
    const char* tail = nullptr;
    sqlite3_stmt* stmt = nullptr;
    const int rc = sqlite3_prepare_v3(db_, text.data(), static_cast<int>(text.size()),
                                      SQLITE_PREPARE_PERSISTENT, &stmt, &tail);
    if (rc != SQLITE_OK) {
      retryable_ = is_retryable(rc);
      return make_error(rc, path_, sql_excerpt(sql), sqlite3_errmsg(db_));
    }
    if (!stmt) return InvalidArgumentError("{}: empty statement", path_);
    for (const char* p = tail; p && *p; ++p) {
      if (*p != ' ' && *p != '\n' && *p != '\t' && *p != '\r' && *p != ';') {
        sqlite3_finalize(stmt);
        return InvalidArgumentError("{}: {}: one statement per call (use exec_script)", path_,
                                    sql_excerpt(sql));
      }
    }
    cache_.emplace(std::move(key), stmt);
    *out = stmt;
    return Status::Ok();
  }

  static Row read_row(sqlite3_stmt* stmt) {
    const int n = sqlite3_column_count(stmt);
    std::vector<Value> values;
    values.reserve(n);
    for (int c = 0; c < n; ++c) {
      switch (sqlite3_column_type(stmt, c)) {
        case SQLITE_INTEGER:
          values.emplace_back(sqlite3_column_int64(stmt, c));
          break;
        case SQLITE_FLOAT:
          values.emplace_back(sqlite3_column_double(stmt, c));
          break;
        case SQLITE_TEXT: {
          const auto* p = reinterpret_cast<const char*>(sqlite3_column_text(stmt, c));
          values.emplace_back(std::string_view(p, sqlite3_column_bytes(stmt, c)));
          break;
        }
        case SQLITE_BLOB: {
          const auto* p = static_cast<const char*>(sqlite3_column_blob(stmt, c));
          const int n_bytes = sqlite3_column_bytes(stmt, c);
          values.push_back(
              Value::blob(n_bytes ? std::string_view(p, n_bytes) : std::string_view()));
          break;
        }
        default:
          values.emplace_back();
          break;
      }
    }
    return Row(std::move(values));
  }

  sqlite3* db_;
  std::string path_;
  std::unordered_map<std::string, sqlite3_stmt*> cache_;
};

}  // namespace

Result<std::unique_ptr<Connection>> open_sqlite(const std::string& path, bool writer,
                                                const DbOptions& options) {
  int flags = SQLITE_OPEN_NOMUTEX;
  if (writer) {
    flags |= SQLITE_OPEN_READWRITE;
    if (options.create) {
      flags |= SQLITE_OPEN_CREATE;
      const auto parent = std::filesystem::path(path).parent_path();
      std::error_code ec;
      if (!parent.empty()) std::filesystem::create_directories(parent, ec);
      if (ec)
        return IoErrorError("{}: cannot create folder {}: {}", path, parent.string(), ec.message());
    }
  } else {
    flags |= SQLITE_OPEN_READONLY;
  }
  sqlite3* db = nullptr;
  const int rc = sqlite3_open_v2(path.c_str(), &db, flags, nullptr);
  if (rc != SQLITE_OK) {
    Status status = make_error(rc, path, "open", db ? sqlite3_errmsg(db) : nullptr);
    sqlite3_close_v2(db);
    return status;
  }
  auto conn = std::make_unique<SqliteConnection>(db, path);
  QWL_RETURN_IF_ERROR(conn->configure(writer, options));
  return std::unique_ptr<Connection>(std::move(conn));
}

}  // namespace qwl::store_internal
