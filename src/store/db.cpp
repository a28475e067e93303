// Db: URL parsing, the connection pool and the transaction loop with its retries.
//
// Retrying the whole callable (not a single statement) is the only correct answer to a
// serialization failure: the values it read may be stale, so every decision in it must be made
// again. The backoff doubles from backoff_min_us to backoff_max_us and sleeps a random part of
// it, so that writers that collided do not collide again in lock-step.
//
// Backoff alone is probabilistic: under steady contention on PostgreSQL one transaction can lose
// every race (SERIALIZABLE's predicate locks are page-grained, so writers of unrelated rows that
// share an index page conflict too). After DbOptions::exclusive_after failed attempts a write
// transaction waits until this Db's other writers have finished and runs alone among them; its
// snapshot is taken after that, and reads are REPEATABLE READ (outside SSI), so within one
// process it cannot lose again. Ordinary writers hold the same lock shared, which costs an
// uncontended atomic.
#include "store/db.h"

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <mutex>
#include <random>
#include <thread>
#include <vector>

#include "store/connection.h"

namespace qwl {

using store_internal::Connection;
using store_internal::TxMode;

namespace store_internal {

std::string sql_excerpt(std::string_view sql) {
  size_t start = sql.find_first_not_of(" \t\r\n");
  if (start == std::string_view::npos) return "(empty)";
  std::string_view s = sql.substr(start);
  const size_t nl = s.find('\n');
  const bool cut = nl != std::string_view::npos || s.size() > 80;
  s = s.substr(0, std::min<size_t>(nl, 80));
  return cut ? fmt::format("'{}...'", s) : fmt::format("'{}'", s);
}

}  // namespace store_internal

namespace {

// The Db objects whose callables run on this thread, to refuse nesting.
thread_local std::vector<const Db*> t_active;

std::string hide_password(std::string_view url) {
  // postgresql://user:secret@host/db -> postgresql://user:***@host/db
  const size_t scheme = url.find("://");
  const size_t at = url.find('@');
  if (scheme == std::string_view::npos || at == std::string_view::npos || at < scheme) {
    return std::string(url);
  }
  const size_t colon = url.find(':', scheme + 3);
  if (colon == std::string_view::npos || colon > at) return std::string(url);
  return fmt::format("{}***{}", url.substr(0, colon + 1), url.substr(at));
}

int64_t backoff_us(const DbOptions& options, int attempt) {
  thread_local std::minstd_rand rng(std::random_device{}());
  int64_t cap = options.backoff_min_us;
  for (int i = 1; i < attempt && cap < options.backoff_max_us; ++i) cap *= 2;
  cap = std::clamp<int64_t>(cap, 1, std::max<int64_t>(1, options.backoff_max_us));
  return std::uniform_int_distribution<int64_t>(cap / 2, cap)(rng);
}

// Writers pass shared; one that must run alone waits for them to leave and keeps new ones out
// while it waits (a reader-preferring rwlock could starve it, which is the problem it solves).
class WriterGate {
 public:
  void enter_shared() {
    std::unique_lock lock(mu_);
    cv_.wait(lock, [&] { return alone_waiting_ == 0 && !alone_; });
    ++shared_;
  }
  void leave_shared() {
    std::lock_guard lock(mu_);
    if (--shared_ == 0) cv_.notify_all();
  }
  void enter_alone() {
    std::unique_lock lock(mu_);
    ++alone_waiting_;
    cv_.wait(lock, [&] { return shared_ == 0 && !alone_; });
    --alone_waiting_;
    alone_ = true;
  }
  void leave_alone() {
    std::lock_guard lock(mu_);
    alone_ = false;
    cv_.notify_all();
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  int shared_ = 0;
  int alone_waiting_ = 0;
  bool alone_ = false;
};

}  // namespace

struct Db::Pool {
  // SQLite only: the single writer; transact() holds writer_mu for a whole attempt.
  std::mutex writer_mu;
  std::unique_ptr<Connection> writer;
  // PostgreSQL only: writers pass it shared; one that lost exclusive_after times passes alone.
  WriterGate writers;
  // Readers (SQLite) or all connections (PostgreSQL).
  std::mutex mu;
  std::condition_variable cv;
  std::vector<std::unique_ptr<Connection>> conns;
  std::vector<Connection*> free;

  std::atomic<int64_t> transactions{0}, retries{0}, failures{0};

  Connection* acquire() {
    std::unique_lock lock(mu);
    cv.wait(lock, [&] { return !free.empty(); });
    Connection* conn = free.back();
    free.pop_back();
    return conn;
  }
  void release(Connection* conn) {
    conn->recover();
    {
      std::lock_guard lock(mu);
      free.push_back(conn);
    }
    cv.notify_one();
  }
};

Result<std::unique_ptr<Db>> Db::open(std::string_view url, const DbOptions& options) {
  if (options.pool_size < 1 || options.max_attempts < 1 || options.busy_timeout_ms < 0) {
    return InvalidArgumentError("{}: options: pool_size and max_attempts must be at least 1",
                                hide_password(url));
  }
  auto pool = std::make_unique<Pool>();
  const std::string shown = hide_password(url);
  if (url.starts_with("postgresql://") || url.starts_with("postgres://")) {
    for (int i = 0; i < options.pool_size; ++i) {
      QWL_ASSIGN_OR_RETURN(auto conn, store_internal::open_postgres(std::string(url), shown));
      pool->free.push_back(conn.get());
      pool->conns.push_back(std::move(conn));
    }
    return std::unique_ptr<Db>(new Db(DbKind::kPostgres, shown, options, std::move(pool)));
  }
  std::string path(url);
  if (url.starts_with("file:")) {
    path = url.substr(5);
    if (path.starts_with("//")) path = path.substr(2);  // file:///abs/path
  } else if (url.find("://") != std::string_view::npos) {
    return InvalidArgumentError("--db {}: unknown scheme (a file path, file:PATH or postgresql://)",
                                shown);
  }
  if (path.empty() || path == ":memory:") {
    return InvalidArgumentError(
        "--db '{}': SQLite needs a file path (WAL shares it between "
        "connections)",
        shown);
  }
  QWL_ASSIGN_OR_RETURN(pool->writer, store_internal::open_sqlite(path, true, options));
  for (int i = 0; i < options.pool_size; ++i) {
    QWL_ASSIGN_OR_RETURN(auto conn, store_internal::open_sqlite(path, false, options));
    pool->free.push_back(conn.get());
    pool->conns.push_back(std::move(conn));
  }
  return std::unique_ptr<Db>(new Db(DbKind::kSqlite, shown, options, std::move(pool)));
}

Db::Db(DbKind kind, std::string url, const DbOptions& options, std::unique_ptr<Pool> pool)
    : dialect_(kind), url_(std::move(url)), options_(options), pool_(std::move(pool)) {}

Db::~Db() {
  // Readers first: the writer's close checkpoints the WAL into the main file.
  pool_->conns.clear();
  pool_->writer.reset();
}

DbStats Db::stats() const {
  return DbStats{.transactions = pool_->transactions.load(),
                 .retries = pool_->retries.load(),
                 .failures = pool_->failures.load()};
}

Status Db::transact(const TxFn& fn) {
  return run(true, fn);
}
Status Db::read(const TxFn& fn) {
  return run(false, fn);
}

Status Db::run(bool write, const TxFn& fn) {
  if (std::find(t_active.begin(), t_active.end(), this) != t_active.end()) {
    return InvalidArgumentError(
        "{}: nested transaction: transact()/read() called from inside a transaction on the same "
        "Db (pass the Tx you have instead)",
        url_);
  }
  t_active.push_back(this);
  struct Pop {
    ~Pop() { t_active.pop_back(); }
  } pop;

  const bool sqlite_writer = write && kind() == DbKind::kSqlite;
  const TxMode mode = write ? TxMode::kWrite : TxMode::kRead;
  Status status;
  for (int attempt = 1;; ++attempt) {
    bool retryable = false;
    {
      std::unique_lock<std::mutex> writer_lock;
      const bool gated = write && !sqlite_writer;
      const bool alone = gated && attempt > options_.exclusive_after;
      if (gated) alone ? pool_->writers.enter_alone() : pool_->writers.enter_shared();
      struct Leave {
        WriterGate* gate;
        bool alone;
        ~Leave() {
          if (gate) alone ? gate->leave_alone() : gate->leave_shared();
        }
      } leave{gated ? &pool_->writers : nullptr, alone};
      Connection* conn;
      if (sqlite_writer) {
        writer_lock = std::unique_lock(pool_->writer_mu);
        conn = pool_->writer.get();
      } else {
        conn = pool_->acquire();
      }
      status = conn->begin(mode);
      retryable = conn->last_error_retryable();
      if (status.ok()) {
        Tx tx(conn, dialect_);
        status = fn(tx);
        if (!tx.failed_.ok()) {
          // The callable may have swallowed a statement's error; the transaction is still failed.
          if (status.ok()) status = tx.failed_;
          retryable = tx.retryable_;
        } else {
          retryable = false;
        }
        if (status.ok()) {
          status = conn->commit();
          retryable = conn->last_error_retryable();
        }
        if (!status.ok()) conn->rollback();
      }
      if (!sqlite_writer) pool_->release(conn);
    }
    if (status.ok()) {
      pool_->transactions.fetch_add(1, std::memory_order_relaxed);
      return status;
    }
    if (!retryable) break;
    if (attempt >= options_.max_attempts) {
      status =
          UnavailableError("{}: gave up after {} attempts: {}", url_, attempt, status.message());
      break;
    }
    pool_->retries.fetch_add(1, std::memory_order_relaxed);
    std::this_thread::sleep_for(std::chrono::microseconds(backoff_us(options_, attempt)));
  }
  pool_->failures.fetch_add(1, std::memory_order_relaxed);
  return status;
}

Status Db::exec_outside_transaction(std::string_view sql) {
  QWL_ASSIGN_OR_RETURN(std::string text, dialect_.translate_script(sql));
  if (kind() == DbKind::kSqlite) {
    std::lock_guard lock(pool_->writer_mu);
    return pool_->writer->exec_script(text);
  }
  Connection* conn = pool_->acquire();
  Status status = conn->exec_script(text);
  pool_->release(conn);
  return status;
}

Status Tx::run(std::string_view sql, Params params, Rows* rows, int64_t* changes) {
  if (!failed_.ok()) {
    return Status(failed_.code(), fmt::format("transaction already failed: {}", failed_.message()));
  }
  Status status = conn_->run(sql, params, rows, changes);
  if (!status.ok()) {
    failed_ = status;
    retryable_ = conn_->last_error_retryable();
  }
  return status;
}

Result<int64_t> Tx::exec(std::string_view sql, Params params) {
  int64_t changes = 0;
  QWL_RETURN_IF_ERROR(run(sql, params, nullptr, &changes));
  return changes;
}

Result<Rows> Tx::query(std::string_view sql, Params params) {
  Rows rows;
  QWL_RETURN_IF_ERROR(run(sql, params, &rows, nullptr));
  return rows;
}

Result<Row> Tx::query_row(std::string_view sql, Params params) {
  QWL_ASSIGN_OR_RETURN(Rows rows, query(sql, params));
  if (rows.empty()) return NotFoundError("no row: {}", store_internal::sql_excerpt(sql));
  return std::move(rows.rows.front());
}

Result<int64_t> Tx::query_int64(std::string_view sql, Params params) {
  QWL_ASSIGN_OR_RETURN(Row row, query_row(sql, params));
  if (row.size() == 0 || row[0].type() != Value::Type::kInt64) {
    return InternalError("{}: first column is {}, not an integer", store_internal::sql_excerpt(sql),
                         row.size() ? Value::type_name(row[0].type()) : "missing");
  }
  return row.int64(0);
}

Status Tx::exec_script(std::string_view sql) {
  if (!failed_.ok()) {
    return Status(failed_.code(), fmt::format("transaction already failed: {}", failed_.message()));
  }
  auto text = dialect_.translate_script(sql);
  Status status = text.ok() ? conn_->exec_script(*text) : text.status();
  if (!status.ok()) {
    failed_ = status;
    retryable_ = conn_->last_error_retryable();
  }
  return status;
}

}  // namespace qwl
