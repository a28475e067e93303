// `qwenlayer backup` and `qwenlayer restore`: a whole ecosystem database to a file and back
// (store/backup.h: SQLite's online backup API, safe while a server writes; pg_dump / pg_restore
// for PostgreSQL). A restore refuses a database that already holds tables unless --force, and
// checks what it restored: SQLite's integrity check and the schema version, which must not be
// newer than this binary's migrations.
#include <fmt/format.h>

#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "cli/common.h"
#include "services/schema.h"
#include "store/backup.h"

namespace qwl::cli {
namespace {

struct BackupArgs {
  std::string db = kDefaultDbUrl;
  std::string path;
  bool force = false;
  bool json = false;
};

std::string_view kind_name(DbKind kind) {
  return kind == DbKind::kSqlite ? "sqlite" : "postgresql";
}

int64_t binary_version() {
  const auto migrations = services::migrations();
  return migrations.empty() ? 0 : migrations.back().version;
}

Status backup(const BackupArgs& a) {
  QWL_ASSIGN_OR_RETURN(BackupReport r,
                       backup_database(a.db, a.path, BackupOptions{.overwrite = a.force}));
  if (a.json) {
    fmt::print("{}\n", nlohmann::json{{"database", kind_name(r.kind)},
                                      {"file", a.path},
                                      {"bytes", r.bytes},
                                      {"seconds", r.duration_us * 1e-6}}
                           .dump());
  } else {
    fmt::print(stderr, "backed up the {} database to {}: {:.1f} MiB in {:.2f} s\n",
               kind_name(r.kind), a.path, static_cast<double>(r.bytes) / (1 << 20),
               r.duration_us * 1e-6);
  }
  return Status::Ok();
}

Status restore(const BackupArgs& a) {
  const int64_t ours = binary_version();
  QWL_ASSIGN_OR_RETURN(
      RestoreReport r,
      restore_database(a.db, a.path,
                       RestoreOptions{.force = a.force, .newest_known_version = ours}));
  if (a.json) {
    fmt::print("{}\n", nlohmann::json{{"database", kind_name(r.kind)},
                                      {"file", a.path},
                                      {"schema_version", r.schema_version},
                                      {"binary_schema_version", ours},
                                      {"tables", r.tables},
                                      {"integrity", r.integrity},
                                      {"seconds", r.duration_us * 1e-6}}
                           .dump());
  } else {
    fmt::print(stderr,
               "restored {} into the {} database: {} tables, schema version {} (this binary: {}), "
               "integrity {}, {:.2f} s\n",
               a.path, kind_name(r.kind), r.tables, r.schema_version, ours, r.integrity,
               r.duration_us * 1e-6);
    if (r.schema_version < ours)
      fmt::print(stderr, "the next start of `qwenlayer serve` migrates it to version {}\n", ours);
  }
  return Status::Ok();
}

}  // namespace

void add_backup(CLI::App& app, int& exit_code) {
  auto args = std::make_shared<BackupArgs>();
  CLI::App* b = app.add_subcommand(
      "backup",
      "Back up the ecosystem database to a file: SQLite through its online backup API (a\n"
      "consistent copy while a server writes), PostgreSQL through pg_dump -Fc.\n"
      "Example: qwenlayer backup --db data/qwenlayer.db backups/2025-01-01.db\n"
      "         qwenlayer backup --db postgresql://qwl@db.internal/qwl backups/qwl.dump");
  add_db_option(b, args->db);
  b->add_option("OUT", args->path, "The backup file to write")->required();
  b->add_flag("--force", args->force, "Replace OUT if it exists");
  b->add_flag("--json", args->json, "Print only JSON on stdout");
  b->callback([args, &exit_code] { exit_code = report(backup(*args)); });

  CLI::App* r = app.add_subcommand(
      "restore",
      "Restore a backup made by `qwenlayer backup` into a database (stop the servers using it\n"
      "first). Refuses a database that already holds tables unless --force; checks the result\n"
      "(schema version, and PRAGMA integrity_check on SQLite).\n"
      "Example: qwenlayer restore --db data/restored.db backups/2025-01-01.db\n"
      "         qwenlayer restore --db postgresql://qwl@db.internal/qwl backups/qwl.dump --force");
  add_db_option(r, args->db);
  r->add_option("IN", args->path, "The backup file to read")->required();
  r->add_flag("--force", args->force, "Overwrite a database that is not empty");
  r->add_flag("--json", args->json, "Print only JSON on stdout");
  r->callback([args, &exit_code] { exit_code = report(restore(*args)); });
}

}  // namespace qwl::cli
