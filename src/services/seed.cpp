// The seed's entry points (see seed.h): options, refusal or deletion of existing data, the
// phases in dependency order, and PostgreSQL's identity sequences moved past the written ids.
#include "services/seed.h"

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <set>

#include "services/schema.h"
#include "services/seed_internal.h"
#include "store/migrations.h"

namespace qwl::services {

using seed_internal::Context;
using seed_internal::T;
using seed_internal::table_spec;

std::string_view seed_scale_name(SeedScale scale) {
  return scale == SeedScale::kDemo ? "demo" : "large";
}

std::optional<SeedScale> parse_seed_scale(std::string_view name) {
  if (name == "demo") return SeedScale::kDemo;
  if (name == "large") return SeedScale::kLarge;
  return std::nullopt;
}

namespace {

// The tables whose rows mean "this database holds an ecosystem".
constexpr std::string_view kMarkerTables[] = {"users",    "districts", "road_nodes",
                                              "pois",     "merchants", "categories",
                                              "products", "coupons",   "accounts"};

std::string quoted(std::string_view name) {
  std::string out = "\"";
  for (char c : name) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

// The ecosystem's core tables (migration 0001). Clearing also takes every table that refers to
// one of them through a foreign key, directly or not (other domains' tables of users, orders,
// places); tables outside that closure (search's change log and its state row) are left alone.
constexpr std::string_view kCoreTables[] = {"users",
                                            "api_keys",
                                            "web_sessions",
                                            "districts",
                                            "road_nodes",
                                            "road_edges",
                                            "pois",
                                            "poi_hours",
                                            "reviews",
                                            "addresses",
                                            "merchants",
                                            "menu_items",
                                            "menu_option_groups",
                                            "menu_options",
                                            "categories",
                                            "brands",
                                            "products",
                                            "product_variants",
                                            "product_attributes",
                                            "coupons",
                                            "user_coupons",
                                            "accounts",
                                            "ledger_txns",
                                            "ledger_entries",
                                            "idempotency_keys",
                                            "cart_items",
                                            "orders",
                                            "order_items",
                                            "order_coupons",
                                            "order_events",
                                            "after_sales",
                                            "restaurant_tables",
                                            "table_bookings",
                                            "table_slot_claims",
                                            "hotel_room_types",
                                            "hotel_rooms",
                                            "hotel_bookings",
                                            "room_nights",
                                            "rides",
                                            "user_events"};

// SQLite: the core tables and the tables referring to them, children before parents.
Status clear_sqlite(Tx& tx, int64_t* cleared) {
  QWL_ASSIGN_OR_RETURN(Rows refs,
                       tx.query("SELECT m.name, f.\"table\" FROM sqlite_master AS m, "
                                "pragma_foreign_key_list(m.name) AS f WHERE m.type = 'table'"));
  std::map<std::string, std::set<std::string>> children;  // parent -> tables referring to it
  for (const Row& r : refs) {
    if (r.text(0) != r.text(1)) children[r.text(1)].insert(r.text(0));
  }
  std::set<std::string> clear(std::begin(kCoreTables), std::end(kCoreTables));
  for (bool grew = true; grew;) {
    grew = false;
    for (const auto& [parent, kids] : children) {
      if (!clear.count(parent)) continue;
      for (const std::string& k : kids) grew |= clear.insert(k).second;
    }
  }
  // Children first: repeatedly take a table none of whose children is still to be cleared.
  std::vector<std::string> order;
  std::set<std::string> left = clear;
  while (!left.empty()) {
    std::vector<std::string> ready;
    for (const std::string& name : left) {
      const auto& kids = children[name];
      if (std::none_of(kids.begin(), kids.end(),
                       [&](const std::string& k) { return left.count(k) > 0; })) {
        ready.push_back(name);
      }
    }
    if (ready.empty()) ready.assign(left.begin(), left.end());  // a cycle: see the deferral
    for (const std::string& name : ready) {
      order.push_back(name);
      left.erase(name);
    }
  }
  // Foreign keys are checked at commit, when the rows are gone, whatever the order.
  QWL_RETURN_IF_ERROR(tx.exec("PRAGMA defer_foreign_keys = ON").status());
  for (const std::string& name : order) {
    QWL_RETURN_IF_ERROR(tx.exec(fmt::format("DELETE FROM {}", quoted(name))).status());
    QWL_RETURN_IF_ERROR(tx.exec("DELETE FROM sqlite_sequence WHERE name = ?", {name}).status());
  }
  *cleared = static_cast<int64_t>(order.size());
  return Status::Ok();
}

// PostgreSQL: one TRUNCATE of the core tables; CASCADE takes the tables referring to them.
Status clear_postgres(Tx& tx, int64_t* cleared) {
  std::vector<std::string> names;
  for (std::string_view t : kCoreTables) names.push_back(quoted(t));
  QWL_RETURN_IF_ERROR(
      tx.exec(fmt::format("TRUNCATE TABLE {} RESTART IDENTITY CASCADE", fmt::join(names, ", ")))
          .status());
  *cleared = static_cast<int64_t>(names.size());
  return Status::Ok();
}

// Search's change log (migration 0002) is switched off during the bulk load, so the triggers
// on products, menus and places do not log millions of rows; switching it back on bumps the
// generation, which makes every running search index rebuild from the tables. The same
// statements as search.h set_search_capture().
Status set_search_capture(Tx& tx, bool capture) {
  const std::string_view exists_sql =
      tx.kind() == DbKind::kSqlite
          ? "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = 'search_state'"
          : "SELECT COUNT(*) FROM pg_tables WHERE schemaname = current_schema() AND "
            "tablename = 'search_state'";
  QWL_ASSIGN_OR_RETURN(int64_t exists, tx.query_int64(exists_sql));
  if (exists == 0) return Status::Ok();
  return tx
      .exec(capture
                ? "UPDATE search_state SET capture = TRUE, generation = generation + 1 WHERE id = 1"
                : "UPDATE search_state SET capture = FALSE WHERE id = 1")
      .status();
}

// Moves PostgreSQL's identity sequences past the ids the seed wrote (SQLite's AUTOINCREMENT
// counter follows explicit ids by itself).
// Also switches search's change log back on.
Status finish(Db& db) {
  return db.transact([&](Tx& tx) -> Status {
    QWL_RETURN_IF_ERROR(set_search_capture(tx, true));
    if (db.kind() != DbKind::kPostgres) return Status::Ok();
    for (int t = 0; t < seed_internal::kTableCount; ++t) {
      const seed_internal::TableSpec& spec = table_spec(static_cast<T>(t));
      if (!spec.has_id) continue;
      QWL_RETURN_IF_ERROR(tx.query(fmt::format("SELECT setval(pg_get_serial_sequence('{0}', 'id'), "
                                               "(SELECT MAX(id) FROM {0}))",
                                               spec.name))
                              .status());
    }
    return Status::Ok();
  });
}

Result<std::string> describe_existing(Db& db) {
  std::vector<std::string> parts;
  QWL_RETURN_IF_ERROR(db.read([&](Tx& tx) -> Status {
    parts.clear();
    for (std::string_view table : kMarkerTables) {
      QWL_ASSIGN_OR_RETURN(int64_t n,
                           tx.query_int64(fmt::format("SELECT COUNT(*) FROM {}", table)));
      if (n > 0) parts.push_back(fmt::format("{} {}", n, table));
    }
    return Status::Ok();
  }));
  return fmt::format("{}", fmt::join(parts, ", "));
}

}  // namespace

Result<bool> has_ecosystem_data(Db& db) {
  bool found = false;
  QWL_RETURN_IF_ERROR(db.read([&](Tx& tx) -> Status {
    found = false;
    for (std::string_view table : kMarkerTables) {
      QWL_ASSIGN_OR_RETURN(Rows rows, tx.query(fmt::format("SELECT 1 FROM {} LIMIT 1", table)));
      if (!rows.empty()) {
        found = true;
        return Status::Ok();
      }
    }
    return Status::Ok();
  }));
  return found;
}

Result<int64_t> clear_ecosystem(Db& db) {
  int64_t cleared = 0;
  QWL_RETURN_IF_ERROR(db.transact([&](Tx& tx) -> Status {
    QWL_RETURN_IF_ERROR(set_search_capture(tx, false));
    QWL_RETURN_IF_ERROR(db.kind() == DbKind::kSqlite ? clear_sqlite(tx, &cleared)
                                                     : clear_postgres(tx, &cleared));
    return set_search_capture(tx, true);
  }));
  return cleared;
}

Result<SeedReport> seed_ecosystem(Db& db, const SeedOptions& options, const Clock& clock,
                                  const SeedProgressFn& progress) {
  const int64_t start_us = clock.monotonic_us();
  QWL_ASSIGN_OR_RETURN(seed_internal::Plan plan, seed_internal::make_plan(options));
  QWL_RETURN_IF_ERROR(migrate(db, migrations()).status());
  SeedReport report;
  report.scale = options.scale;
  report.seed = options.seed;
  report.size = options.scale == SeedScale::kLarge ? options.size : 1.0;
  QWL_ASSIGN_OR_RETURN(bool existing, has_ecosystem_data(db));
  if (existing && !options.replace) {
    QWL_ASSIGN_OR_RETURN(std::string what, describe_existing(db));
    return FailedPreconditionError(
        "seed: {} already holds ecosystem data ({}); pass --replace to delete it and seed again",
        db.url(), what);
  }
  if (options.replace) {
    // Also on an empty database: the id counters restart, so ids match a fresh database's.
    // Deleting a large city takes a while on SQLite: say so before and after.
    SeedProgress p{.phase = "clearing"};
    if (progress) progress(p);
    const int64_t clear_start_us = clock.monotonic_us();
    QWL_RETURN_IF_ERROR(clear_ecosystem(db).status());
    report.replaced = existing;
    report.clear_seconds = static_cast<double>(clock.monotonic_us() - clear_start_us) * 1e-6;
    p.elapsed_s = report.clear_seconds;
    p.phase_done = true;
    if (progress) progress(p);
  }

  QWL_RETURN_IF_ERROR(db.transact([](Tx& tx) { return set_search_capture(tx, false); }));
  seed_internal::Writer writer(db, clock, progress, options.values_per_transaction,
                               plan.planned_rows);
  Context ctx{.options = options, .plan = plan, .w = writer};
  QWL_RETURN_IF_ERROR(seed_internal::seed_roads(ctx));
  QWL_RETURN_IF_ERROR(seed_internal::seed_users(ctx));
  QWL_RETURN_IF_ERROR(seed_internal::seed_places(ctx));
  QWL_RETURN_IF_ERROR(seed_internal::seed_addresses(ctx));
  QWL_RETURN_IF_ERROR(seed_internal::seed_merchants(ctx));
  QWL_RETURN_IF_ERROR(seed_internal::seed_catalog(ctx));
  QWL_RETURN_IF_ERROR(seed_internal::seed_coupons(ctx));
  QWL_RETURN_IF_ERROR(seed_internal::seed_wallets(ctx));
  QWL_RETURN_IF_ERROR(finish(db));

  report.tables = writer.counts();
  report.total_rows = writer.total_written();
  report.road_nodes = writer.written(T::kRoadNodes);
  report.road_edges = writer.written(T::kRoadEdges);
  report.seconds = static_cast<double>(clock.monotonic_us() - start_us) * 1e-6;
  return report;
}

}  // namespace qwl::services
