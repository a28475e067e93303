// The seed: a deterministic, bilingual city written into an empty ecosystem database, for the
// demo (`qwenlayer seed --scale demo`) and for measuring (`--scale large`: 1,000,000 products,
// 100,000 places, a road network of 100,000 nodes).
//
// What it writes (docs/ecosystem/seed.md lists every table and rule): districts; a road
// network (a perturbed street grid with arterial roads, a ring motorway, park paths, a few
// one-way streets, an airport road and greenway) that is connected for walking and cycling and
// strongly connected for driving; places of every kind with opening hours, ratings and reviews;
// merchants with menus and option groups (size, sugar, ice, milk, temperature, spice, extra);
// a product catalog (categories, brands, products, variants, stock, attributes); coupons and
// users' coupons; restaurant tables and hotel rooms; users with saved addresses and wallets
// funded through the ledger (ledger.h post()), so check_ledger() passes after seeding. Both
// scales contain the demo accounts and landmarks (Luna Café and Manner Coffee near Alice's
// office, a Sichuan restaurant near her home, a hotel, the airport) and a few records holding
// prompt-injection text for agent tests.
//
// Determinism: the same options (scale, seed, size, epoch) give the same rows with the same ids
// on SQLite and PostgreSQL. Randomness comes from our own generator (splitmix64 seeding
// xoshiro256**, one stream per record), coordinates from plain arithmetic (no libm), times from
// SeedOptions::epoch_us (never the clock), and ids are written explicitly; PostgreSQL's identity
// sequences are moved past them afterwards and SQLite's AUTOINCREMENT follows by itself.
//
// Refusal and replacement: a database that already holds ecosystem rows is refused
// (FailedPrecondition) unless `replace` is set; then the ecosystem's tables are emptied first
// (see clear_ecosystem()) and their id counters restart, so a replaced database holds the same
// ids as a fresh one. Search's change log is switched off during the load and back on at the
// end, which makes running search indexes rebuild.
//
// Writing: rows go in multi-row INSERT statements (at most 1,024 rows and 7,000 parameters
// each: libpq refuses larger parameter descriptions) in transactions of bounded size; the
// progress callback hears each committed batch. The Clock gives elapsed time only.
//
// Thread-safety: one seed at a time per database; the Db may be shared with other threads, but
// seeding while services write is not supported.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/clock.h"
#include "base/status.h"
#include "store/db.h"

namespace qwl::services {

enum class SeedScale { kDemo, kLarge };

std::string_view seed_scale_name(SeedScale scale);  // "demo", "large"
std::optional<SeedScale> parse_seed_scale(std::string_view name);

// The seeded world's "now": 2026-01-05 00:00 local time (a Monday), UTC+8. Creation times lie
// before it; coupons run from 30 days before it to years after it.
inline constexpr int64_t kSeedEpochUs = 1'767'542'400'000'000;

// The demo accounts (both scales). Each signs in with kDemoPassword.
inline constexpr std::string_view kDemoPassword = "demo";
inline constexpr std::string_view kDemoAliceEmail = "alice@example.com";    // customer, en
inline constexpr std::string_view kDemoWangEmail = "wang@example.com";      // customer, zh
inline constexpr std::string_view kDemoLunaEmail = "luna@example.com";      // owns Luna Café
inline constexpr std::string_view kDemoMannerEmail = "manner@example.com";  // owns Manner Coffee
inline constexpr std::string_view kDemoAdminEmail = "admin@example.com";    // admin

struct SeedOptions {
  SeedScale scale = SeedScale::kDemo;
  uint64_t seed = 1;
  // Delete the database's ecosystem rows first instead of refusing a non-empty database.
  bool replace = false;
  // kLarge only: a factor on the large city's counts (1.0 = the full size; tests use small
  // fractions to seed a city of the same shape in a moment). In (0, 1]; ignored for kDemo.
  double size = 1.0;
  // Times in the data are relative to this instant (microseconds since the Unix epoch).
  int64_t epoch_us = kSeedEpochUs;
  // Values buffered before a batch is written in one transaction (bounds memory and the size
  // of each transaction; about 50,000 rows at the default).
  int64_t values_per_transaction = 400'000;
};

// One progress report, after each committed batch and at each phase's end; with `replace`,
// also before and after deleting the old data (phase "clearing", rows 0, elapsed_s its time).
struct SeedProgress {
  std::string_view phase;    // "roads", "places", "users", "menus", "catalog", ...
  int64_t rows = 0;          // rows written so far, all tables
  int64_t planned_rows = 0;  // the plan's estimate of all rows (rows may end above it)
  double elapsed_s = 0;
  double rows_per_s = 0;
  double eta_s = 0;  // from the estimate and the rate so far
  bool phase_done = false;
};
using SeedProgressFn = std::function<void(const SeedProgress&)>;

struct SeedTableCount {
  std::string table;
  int64_t rows = 0;
};

struct SeedReport {
  SeedScale scale = SeedScale::kDemo;
  uint64_t seed = 0;
  double size = 1.0;
  bool replaced = false;               // ecosystem rows were deleted first
  std::vector<SeedTableCount> tables;  // rows written per table, in write order
  int64_t total_rows = 0;
  int64_t road_nodes = 0;
  int64_t road_edges = 0;
  double clear_seconds = 0;  // deleting the old data (replace)
  double seconds = 0;        // the whole call, migrations and deletion included
};

// Applies services::migrations(), refuses or clears a non-empty database (see above), writes
// the city and returns what it wrote. Errors: InvalidArgument (bad options: size out of range),
// FailedPrecondition (the database holds ecosystem rows and replace is false), the store's
// errors (Unavailable, IoError, ...) naming the table being written; Internal if the generated
// road network is not connected (a bug). A failure can leave a partly seeded database behind:
// run again with replace.
Result<SeedReport> seed_ecosystem(Db& db, const SeedOptions& options, const Clock& clock,
                                  const SeedProgressFn& progress = {});

// Whether the database holds ecosystem rows (users, places, roads, merchants, products,
// coupons, accounts). The schema must exist.
Result<bool> has_ecosystem_data(Db& db);

// Empties the ecosystem: the core tables of migration 0001 and every table that refers to one
// of them through a foreign key (other domains' sessions, bookings, ...), children before
// parents, and restarts their id counters, in one transaction (SQLite: DELETE with foreign keys
// deferred to the commit; PostgreSQL: TRUNCATE ... RESTART IDENTITY CASCADE). Tables outside
// that closure (schema_migrations, search's change log and state) keep their rows. Returns the
// number of tables emptied (PostgreSQL: the core tables named; CASCADE takes the rest).
Result<int64_t> clear_ecosystem(Db& db);

}  // namespace qwl::services
