// Versioned schema migrations.
//
// A migration list is ordered by version (1, 2, 3, ... strictly increasing, gaps allowed). Each
// migration has a name and its SQL: `up` for both databases, or `up_sqlite` / `up_postgres`
// where they differ (an empty per-dialect text falls back to `up`); the {{tokens}} of
// dialect.h are expanded, so most migrations need only `up`. migrate() applies the pending
// ones in order, each in its own transaction together with its row in schema_migrations
// (version, name, applied_at_us), so a crash leaves either all of a migration or none of it.
// Running it again applies nothing (start-up calls it every time). On PostgreSQL, servers
// starting together take an advisory lock so that each migration runs once.
//
// Refusals: a database whose newest recorded version is above the binary's newest is
// Unsupported ("newer than this binary"); a recorded version missing from the list, or
// recorded under another name, is Corrupt. A list that is not strictly increasing is
// InvalidArgument. Thread-safety: as Db.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>

#include "base/status.h"
#include "store/db.h"

namespace qwl {

struct Migration {
  int64_t version = 0;
  std::string_view name;
  std::string_view up;           // shared SQL (several statements allowed)
  std::string_view up_sqlite;    // overrides `up` on SQLite when not empty
  std::string_view up_postgres;  // overrides `up` on PostgreSQL when not empty
};

// What migrate() did.
struct MigrationReport {
  int64_t from_version = 0;  // 0 for a fresh database
  int64_t to_version = 0;
  int applied = 0;
};

Result<MigrationReport> migrate(Db& db, std::span<const Migration> migrations);

// The newest applied version (0 when there is no schema_migrations table or it is empty).
Result<int64_t> schema_version(Db& db);

}  // namespace qwl
