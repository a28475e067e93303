// The internal interface between Db (pool, transactions, retries) and one database connection
// of either kind. Not part of the store's public API: services use db.h only. No sqlite3 or
// libpq type appears here; each backend keeps its handles in its own .cpp.
// Thread-safety: a Connection is used by one thread at a time (the pool hands it out).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "base/status.h"
#include "store/db.h"
#include "store/dialect.h"
#include "store/value.h"

namespace qwl::store_internal {

enum class TxMode { kWrite, kRead };

class Connection {
 public:
  virtual ~Connection() = default;
  virtual Status begin(TxMode mode) = 0;
  virtual Status commit() = 0;
  // Rolls back the open transaction, if any; never fails (a dead connection is reset later).
  virtual void rollback() = 0;
  // Prepares `sql` (untranslated; cached by this text), binds `params`, runs it; rows (if not
  // null) receives every row, changes (if not null) the rows changed.
  virtual Status run(std::string_view sql, Params params, Rows* rows, int64_t* changes) = 0;
  // Several statements, already translated, without parameters.
  virtual Status exec_script(std::string_view sql) = 0;
  // Called when the pool takes the connection back: reconnects a connection that was lost.
  virtual void recover() {}

  // Whether the last error was a busy/serialization failure that a new attempt may not meet.
  bool last_error_retryable() const { return retryable_; }

 protected:
  bool retryable_ = false;
};

// SQLite: `writer` opens read-write (creating the file when options.create) and switches the
// file to WAL; otherwise read-only.
Result<std::unique_ptr<Connection>> open_sqlite(const std::string& path, bool writer,
                                                const DbOptions& options);
// PostgreSQL: `conninfo` is a libpq URL or keyword string; `shown` names it in messages.
Result<std::unique_ptr<Connection>> open_postgres(const std::string& conninfo,
                                                  const std::string& shown);

// The first line of a statement, shortened, for error messages.
std::string sql_excerpt(std::string_view sql);

}  // namespace qwl::store_internal
