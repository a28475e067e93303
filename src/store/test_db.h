// Fresh databases for tests, on SQLite and on a throw-away PostgreSQL server.
//
// fresh_url(kind, migrations) returns the URL of a new database that already holds the schema
// of `migrations`. The schema is applied once per process into a template (a SQLite file, or a
// PostgreSQL database) and copied for each call: `CREATE DATABASE ... TEMPLATE` on PostgreSQL,
// a file copy on SQLite. So every test starts from its own, identical database, cheaply.
//
// PostgreSQL: the first PostgreSQL call of a process starts a server of its own (Debian's
// postgresql package, /usr/lib/postgresql/<version>/bin, or $QWL_PG_BIN): a data folder made
// by initdb (run as the `postgres` user when the tests run as root; one initdb result is cached
// under /tmp and copied, since initdb costs a second), then `postgres -k <socket dir>
// -p <free port> -c listen_addresses=127.0.0.1` with fsync off. The server is a direct child
// that gets SIGQUIT when the thread that started it exits (PR_SET_PDEATHSIG), so a crashed test
// leaves no server behind; call it first from the main thread. At normal exit it is stopped and
// its folder removed. If the binaries are missing, the calls fail with an Unavailable status
// that says which package to install: PostgreSQL tests fail, they are never skipped.
// Thread-safety: all functions may be called from any thread.
#pragma once

#include <memory>
#include <span>
#include <string>

#include "base/status.h"
#include "store/db.h"
#include "store/migrations.h"

namespace qwl {

// The URL of a new database with `migrations` applied.
Result<std::string> fresh_database_url(DbKind kind, std::span<const Migration> migrations);

// fresh_database_url() opened with `options`.
Result<std::unique_ptr<Db>> fresh_database(DbKind kind, std::span<const Migration> migrations,
                                           const DbOptions& options = {});

// The URL of the process's PostgreSQL server's maintenance database (starting the server if
// needed), for tests that need to run server-level statements.
Result<std::string> test_postgres_admin_url();

}  // namespace qwl
