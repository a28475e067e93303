// Backup and restore of a whole database (`qwenlayer backup` / `qwenlayer restore`).
//
// SQLite: backup_database() copies the file through SQLite's online backup API
// (sqlite3_backup_*) in one step, which reads one consistent snapshot while a server keeps
// writing (WAL lets writers go on beside the reader); the copy is a single self-contained file
// in rollback-journal mode, written as OUT.tmp, synced and renamed, so a failed or interrupted
// backup never leaves a partial OUT. restore_database() first checks the backup (PRAGMA
// integrity_check, its schema_migrations version), then copies it into the target through the
// same API (so a target in WAL mode stays consistent), then checks the target again.
//
// PostgreSQL: pg_dump --format=custom and pg_restore (Debian's postgresql-client), found in
// $QWL_PG_BIN, on PATH, or in the newest /usr/lib/postgresql/*/bin. A password in the URL is
// passed to them in PGPASSWORD, never on a command line. Before a restore the dump is listed
// (pg_restore --list, which refuses a file that is not a custom-format dump); with `force`,
// the target's public schema is dropped and recreated first; the restore runs in one
// transaction (--single-transaction --exit-on-error --no-owner --no-acl), then the target's
// schema version is read back.
//
// Refusals: a target that already holds tables is FailedPrecondition unless `force`; a backup
// whose schema version is above `newest_known_version` is Unsupported (SQLite: before anything
// is written); a backup that is not a database / dump is InvalidArgument or Corrupt; a failed
// integrity check is Corrupt; an OUT that exists is FailedPrecondition unless `overwrite`;
// missing PostgreSQL client tools are Unavailable naming the package. Stop the servers that use
// a database before restoring into it: a restore replaces what they read.
//
// Thread-safety: the functions share no state; each runs its own connections and processes.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "base/status.h"
#include "store/dialect.h"

namespace qwl {

struct BackupOptions {
  bool overwrite = false;  // replace an existing OUT file
};

struct BackupReport {
  DbKind kind = DbKind::kSqlite;
  int64_t bytes = 0;        // size of the backup file
  int64_t duration_us = 0;  // wall time of the copy
};

struct RestoreOptions {
  bool force = false;                // overwrite a target that already holds tables
  int64_t newest_known_version = 0;  // refuse a newer schema (0: no check)
};

struct RestoreReport {
  DbKind kind = DbKind::kSqlite;
  int64_t schema_version = 0;  // MAX(version) of the restored schema_migrations
  int64_t tables = 0;          // tables in the restored database
  std::string integrity;       // "ok" (SQLite's integrity_check), "not checked" (PostgreSQL)
  int64_t duration_us = 0;
};

// Writes a backup of the database at `url` (a SQLite path / file:PATH, or postgresql://...) to
// `out_path`.
Result<BackupReport> backup_database(std::string_view url, const std::string& out_path,
                                     const BackupOptions& options = {});

// Restores the backup at `in_path` (made by backup_database() for the same kind of database)
// into the database at `url`, which is created when it is a SQLite file that does not exist.
Result<RestoreReport> restore_database(std::string_view url, const std::string& in_path,
                                       const RestoreOptions& options = {});

// The directory of the PostgreSQL client programs that has `program` ("pg_dump"):
// $QWL_PG_BIN, then PATH, then the newest /usr/lib/postgresql/*/bin. Unavailable if none.
Result<std::string> find_postgres_program(std::string_view program);

}  // namespace qwl
