// Migrations: each one runs in its own transaction that first re-reads schema_migrations, so
// two processes racing at start-up cannot both apply it: on SQLite the write lock of BEGIN
// IMMEDIATE orders them; on PostgreSQL an advisory transaction lock makes the others wait, and
// SERIALIZABLE turns a stale decision into a retry (see the insert below).
#include "store/migrations.h"

#include <optional>
#include <string>

namespace qwl {
namespace {

constexpr std::string_view kCreateTable =
    "CREATE TABLE IF NOT EXISTS schema_migrations ("
    " version BIGINT PRIMARY KEY,"
    " name TEXT NOT NULL,"
    " applied_at_us BIGINT NOT NULL)";

// An arbitrary constant: the key of the advisory lock held while migrating ("qwlmigr").
constexpr int64_t kMigrationLockKey = 0x71776c6d69677200;

Status lock_and_create(Tx& tx) {
  if (tx.kind() == DbKind::kPostgres) {
    QWL_RETURN_IF_ERROR(tx.query("SELECT pg_advisory_xact_lock(?)", {kMigrationLockKey}).status());
  }
  return tx.exec(kCreateTable).status();
}

// Checks what the database has applied against the list; returns the newest applied version.
Result<int64_t> check_applied(Tx& tx, std::span<const Migration> migrations) {
  QWL_ASSIGN_OR_RETURN(Rows rows,
                       tx.query("SELECT version, name FROM schema_migrations ORDER BY version"));
  const int64_t newest_known = migrations.empty() ? 0 : migrations.back().version;
  int64_t newest = 0;
  for (const Row& row : rows) {
    const int64_t version = row.int64(0);
    newest = version;
    if (version > newest_known) {
      return UnsupportedError(
          "schema_migrations: the database is at version {} ('{}'), newer than this binary "
          "(which knows up to version {}): use a newer qwenlayer",
          version, row.text(1), newest_known);
    }
    const Migration* m = nullptr;
    for (const Migration& candidate : migrations) {
      if (candidate.version == version) m = &candidate;
    }
    if (!m) {
      return CorruptError(
          "schema_migrations: version {} ('{}') is applied but unknown to this "
          "binary",
          version, row.text(1));
    }
    if (m->name != row.text(1)) {
      return CorruptError(
          "schema_migrations: version {} is recorded as '{}' but this binary "
          "calls it '{}'",
          version, row.text(1), m->name);
    }
  }
  return newest;
}

}  // namespace

Result<int64_t> schema_version(Db& db) {
  std::optional<int64_t> version;
  Status status = db.read([&](Tx& tx) -> Status {
    const char* sql = tx.kind() == DbKind::kSqlite
                          ? "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND "
                            "name = 'schema_migrations'"
                          : "SELECT COUNT(*) FROM information_schema.tables WHERE table_name = "
                            "'schema_migrations' AND table_schema = current_schema()";
    QWL_ASSIGN_OR_RETURN(int64_t exists, tx.query_int64(sql));
    if (!exists) {
      version = 0;
      return Status::Ok();
    }
    QWL_ASSIGN_OR_RETURN(version,
                         tx.query_int64("SELECT COALESCE(MAX(version), 0) FROM schema_migrations"));
    return Status::Ok();
  });
  if (!status.ok()) return status;
  return *version;
}

Result<MigrationReport> migrate(Db& db, std::span<const Migration> migrations) {
  for (size_t i = 0; i < migrations.size(); ++i) {
    if (migrations[i].version <= 0 ||
        (i > 0 && migrations[i].version <= migrations[i - 1].version)) {
      return InvalidArgumentError("migrations: version {} ('{}') is not above the one before it",
                                  migrations[i].version, migrations[i].name);
    }
  }
  MigrationReport report;
  // Creates schema_migrations and refuses a database this binary cannot run, even when no
  // migration is pending.
  QWL_RETURN_IF_ERROR(db.transact([&](Tx& tx) -> Status {
    QWL_RETURN_IF_ERROR(lock_and_create(tx));
    QWL_ASSIGN_OR_RETURN(report.from_version, check_applied(tx, migrations));
    return Status::Ok();
  }));
  for (const Migration& m : migrations) {
    if (m.version <= report.from_version) continue;
    bool applied = false;
    Status status = db.transact([&](Tx& tx) -> Status {
      applied = false;  // a retried attempt starts over
      QWL_RETURN_IF_ERROR(lock_and_create(tx));
      QWL_ASSIGN_OR_RETURN(int64_t current, check_applied(tx, migrations));
      if (current >= m.version) return Status::Ok();  // another process applied it meanwhile
      // The version row goes in first: a process that waited for the advisory lock holds a
      // snapshot from before the lock (taken by the lock's own statement), so it can believe a
      // migration is pending that the lock holder just applied. Its insert then meets the
      // holder's committed row, which PostgreSQL reports as a serialization failure (40001),
      // and transact() runs it again with a fresh snapshot; the DDL never runs twice.
      QWL_RETURN_IF_ERROR(tx.exec("INSERT INTO schema_migrations (version, name, applied_at_us) "
                                  "VALUES (?, ?, {{now_us}})",
                                  {m.version, m.name})
                              .status());
      std::string_view sql = tx.kind() == DbKind::kSqlite ? m.up_sqlite : m.up_postgres;
      if (sql.empty()) sql = m.up;
      Status s = tx.exec_script(sql);
      if (!s.ok()) return s.with_context(fmt::format("migration {} '{}'", m.version, m.name));
      applied = true;
      return Status::Ok();
    });
    if (!status.ok()) return status;
    if (applied) ++report.applied;
  }
  QWL_ASSIGN_OR_RETURN(report.to_version, schema_version(db));
  return report;
}

}  // namespace qwl
