// Db: the one database interface of qwenlayer, on SQLite (the default) or PostgreSQL.
//
// Db::open() takes a URL: a file path ("data/qwenlayer.db") or "file:PATH" opens SQLite;
// "postgresql://..." (or "postgres://...") opens PostgreSQL through libpq. All work happens in
// transactions run as a callable:
//
//   Status s = db->transact([&](Tx& tx) -> Status {
//     QWL_ASSIGN_OR_RETURN(Rows rows, tx.query("SELECT balance FROM wallets WHERE id = ?", {id}));
//     ...
//     return tx.exec("UPDATE wallets SET balance = balance - ? WHERE id = ?", {amount, id})
//         .status();
//   });
//
// transact() commits when the callable returns ok and rolls back otherwise. Write transactions
// are serializable on both databases (SQLite: one writer, BEGIN IMMEDIATE; PostgreSQL:
// ISOLATION LEVEL SERIALIZABLE). When a statement or the commit fails because the database is
// busy or the transaction lost a serialization race (SQLITE_BUSY/LOCKED, SQLSTATE 40001 or
// 40P01), the whole callable runs again after a bounded, jittered backoff; so the callable must
// be safe to run more than once: no side effects outside the transaction, or ones that are
// reset at its start. On PostgreSQL a write transaction that lost DbOptions::exclusive_after
// times runs its next attempts alone among this Db's writers, so that steady contention cannot
// starve it. After DbOptions::max_attempts the result is Unavailable.
//
// A failed statement fails its transaction on both databases (PostgreSQL's rule, applied to
// SQLite too): later statements in it return the same error and transact() rolls back even if
// the callable returns ok. Avoid expected errors with ON CONFLICT and checks in SQL.
//
// Statements are prepared once per connection and cached by their text; write SQL with `?`
// placeholders and the tokens of dialect.h, never with values pasted in.
//
// Connections: SQLite has one writer connection (transact() calls queue on it) and pool_size
// reader connections in WAL mode, so read() runs beside a writer; PostgreSQL has pool_size
// connections shared by both. SQLite connections run with journal_mode=WAL, foreign_keys=ON,
// synchronous=FULL and busy_timeout=busy_timeout_ms.
//
// Thread-safety: a Db may be used from any number of threads at once. A Tx belongs to the
// thread running the callable and is valid only during it. Calling transact() or read() on the
// same Db from inside a callable is refused (InvalidArgument, "nested transaction"): pass the
// Tx you have instead. A Db must outlive every call on it.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "base/status.h"
#include "store/dialect.h"
#include "store/value.h"

namespace qwl {

struct DbOptions {
  int pool_size = 4;                 // PostgreSQL connections; SQLite reader connections
  int busy_timeout_ms = 5000;        // SQLite: how long one statement waits for a lock
  int max_attempts = 20;             // transact()/read(): tries before giving up (Unavailable)
  int exclusive_after = 3;           // PostgreSQL: failed attempts before a writer runs alone
  int64_t backoff_min_us = 500;      // first retry waits up to this long (random jitter below it)
  int64_t backoff_max_us = 100'000;  // the cap of the doubling backoff
  bool create = true;                // SQLite: create the file (and its folder) if missing
};

// Counters since open(); for tests and /metrics.
struct DbStats {
  int64_t transactions = 0;  // committed by transact() or read()
  int64_t retries = 0;       // attempts that ran again after a busy/serialization error
  int64_t failures = 0;      // transact()/read() calls that returned an error
};

namespace store_internal {
class Connection;
}

// The statements of one transaction. Errors name the SQL (its first line) and the database's
// message; constraint violations are InvalidArgument, busy/serialization failures Unavailable.
class Tx {
 public:
  const Dialect& dialect() const { return dialect_; }
  DbKind kind() const { return dialect_.kind(); }

  // Runs one statement; returns the number of rows it inserted, updated or deleted.
  Result<int64_t> exec(std::string_view sql, Params params = {});
  // Runs one statement and returns all its rows.
  Result<Rows> query(std::string_view sql, Params params = {});
  // The first row, NotFound if there is none.
  Result<Row> query_row(std::string_view sql, Params params = {});
  // The first column of the first row as an integer (COUNT, SUM, ids), NotFound if no row.
  Result<int64_t> query_int64(std::string_view sql, Params params = {});
  // Several statements without parameters (DDL, migrations); tokens are expanded.
  Status exec_script(std::string_view sql);

  Tx(const Tx&) = delete;
  Tx& operator=(const Tx&) = delete;

 private:
  friend class Db;
  Tx(store_internal::Connection* conn, const Dialect& dialect) : conn_(conn), dialect_(dialect) {}
  Status run(std::string_view sql, Params params, Rows* rows, int64_t* changes);

  store_internal::Connection* conn_;
  const Dialect& dialect_;
  Status failed_;           // the first error: the transaction is failed from then on
  bool retryable_ = false;  // failed_ was a busy or serialization failure
};

class Db {
 public:
  using TxFn = std::function<Status(Tx&)>;

  // Opens (and for SQLite creates) the database. Errors: InvalidArgument (a URL we do not
  // understand), IoError / Unavailable (cannot open or connect), naming the URL without its
  // password.
  static Result<std::unique_ptr<Db>> open(std::string_view url, const DbOptions& options = {});
  ~Db();
  Db(const Db&) = delete;
  Db& operator=(const Db&) = delete;

  DbKind kind() const { return dialect_.kind(); }
  const Dialect& dialect() const { return dialect_; }
  // The URL with any password replaced by "***".
  const std::string& url() const { return url_; }

  // A read-write, serializable transaction, retried on busy/serialization failures.
  Status transact(const TxFn& fn);
  // A read-only snapshot (SQLite: a reader connection; PostgreSQL: REPEATABLE READ READ ONLY);
  // writes in it fail. Retried like transact().
  Status read(const TxFn& fn);
  // One statement outside any transaction, for what refuses to run inside one (CREATE
  // DATABASE, VACUUM). Tokens are expanded; no parameters, no retry.
  Status exec_outside_transaction(std::string_view sql);

  DbStats stats() const;

 private:
  struct Pool;
  Db(DbKind kind, std::string url, const DbOptions& options, std::unique_ptr<Pool> pool);
  Status run(bool write, const TxFn& fn);

  Dialect dialect_;
  std::string url_;
  DbOptions options_;
  std::unique_ptr<Pool> pool_;
};

}  // namespace qwl
