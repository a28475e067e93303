// `qwenlayer seed`: writes the deterministic demo (or large) city into a database, the
// ecosystem the assistant acts on (services/seed.h; docs/ecosystem/seed.md). Progress goes to
// stderr; the report (rows per table, seconds) to stdout, as text or with --json as JSON.
#include <fmt/format.h>

#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "cli/common.h"
#include "services/seed.h"
#include "store/db.h"

namespace qwl::cli {
namespace {

struct SeedArgs {
  std::string db = "data/qwenlayer.db";
  std::string scale = "demo";
  uint64_t seed = 1;
  double size = 1.0;
  bool replace = false;
  bool json = false;
  bool quiet = false;
};

// 1234567 -> "1,234,567".
std::string grouped(int64_t n) {
  const std::string digits = std::to_string(n);
  std::string out;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && digits[i - 1] != '-' && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return out;
}

Status run_seed(const SeedArgs& a) {
  const std::optional<services::SeedScale> scale = services::parse_seed_scale(a.scale);
  if (!scale) return InvalidArgumentError("--scale: '{}' is not demo or large", a.scale);
  if (*scale == services::SeedScale::kDemo && a.size != 1.0) {
    return InvalidArgumentError("--size: only --scale large takes a size");
  }
  QWL_ASSIGN_OR_RETURN(std::unique_ptr<Db> db, Db::open(a.db));
  const Clock& clock = Clock::real();
  int64_t last_us = 0;
  services::SeedProgressFn progress;
  if (!a.quiet) {
    progress = [&](const services::SeedProgress& p) {
      // One line a second at most, and one at the end of every phase.
      if (p.phase == "clearing") {
        if (p.phase_done) {
          fmt::print(stderr, "seed: old data deleted in {:.1f} s\n", p.elapsed_s);
        } else {
          fmt::print(stderr, "seed: deleting the old data\n");
        }
        return;
      }
      const int64_t now = clock.monotonic_us();
      if (!p.phase_done && now - last_us < 1'000'000) return;
      last_us = now;
      fmt::print(stderr, "seed: {:<10} {:>11} rows {:>9} rows/s {:7.1f} s  ETA {:.0f} s{}\n",
                 p.phase, grouped(p.rows), grouped(static_cast<int64_t>(p.rows_per_s)), p.elapsed_s,
                 p.eta_s, p.phase_done ? "  (done)" : "");
    };
  }
  const services::SeedOptions options{
      .scale = *scale, .seed = a.seed, .replace = a.replace, .size = a.size};
  QWL_ASSIGN_OR_RETURN(services::SeedReport report,
                       services::seed_ecosystem(*db, options, clock, progress));
  if (a.json) {
    nlohmann::ordered_json j;
    j["db"] = db->url();
    j["scale"] = std::string(services::seed_scale_name(report.scale));
    j["seed"] = report.seed;
    j["size"] = report.size;
    j["replaced"] = report.replaced;
    j["seconds"] = report.seconds;
    j["clear_seconds"] = report.clear_seconds;
    j["total_rows"] = report.total_rows;
    j["rows_per_second"] = report.seconds > 0 ? report.total_rows / report.seconds : 0.0;
    auto& tables = j["tables"] = nlohmann::ordered_json::object();
    for (const services::SeedTableCount& t : report.tables) tables[t.table] = t.rows;
    fmt::print("{}\n", j.dump(2));
    return Status::Ok();
  }
  fmt::print(
      "Seeded {} (scale {}, seed {}{}) in {:.1f} s: {} rows{}.\n", db->url(),
      services::seed_scale_name(report.scale), report.seed,
      report.scale == services::SeedScale::kLarge ? fmt::format(", size {}", report.size) : "",
      report.seconds, grouped(report.total_rows),
      report.replaced ? ", replacing the old data" : "");
  for (const services::SeedTableCount& t : report.tables) {
    fmt::print("  {:<20} {:>11}\n", t.table, grouped(t.rows));
  }
  fmt::print(
      "Demo accounts (password \"demo\"): {} (customer), {} (customer, 中文), {} (Luna Café), "
      "{} (Manner Coffee), {} (admin).\n",
      services::kDemoAliceEmail, services::kDemoWangEmail, services::kDemoLunaEmail,
      services::kDemoMannerEmail, services::kDemoAdminEmail);
  return Status::Ok();
}

}  // namespace

void add_seed(CLI::App& app, int& exit_code) {
  auto args = std::make_shared<SeedArgs>();
  CLI::App* cmd = app.add_subcommand(
      "seed",
      "Create the demo ecosystem: a deterministic, bilingual city with roads, places, merchants\n"
      "and menus, a product catalog, coupons, and users with addresses and funded wallets.\n"
      "The same --seed gives the same rows and ids on SQLite and PostgreSQL. A database that\n"
      "already holds ecosystem data is refused unless --replace is given (which deletes it).\n"
      "Scales: demo (about 400 places, 2,000 products; a second or two) and large (100,000\n"
      "places, 1,000,000 products, 100,000 road nodes; minutes). Demo accounts, password "
      "\"demo\":\n"
      "alice@example.com, wang@example.com (中文), luna@example.com (owns Luna Café),\n"
      "manner@example.com (owns Manner Coffee), admin@example.com. See docs/ecosystem/seed.md.\n"
      "Examples:\n"
      "  qwenlayer seed                                   (demo city into data/qwenlayer.db)\n"
      "  qwenlayer seed --db postgresql://localhost/qwl --replace\n"
      "  qwenlayer seed --scale large --db data/large.db --json");
  cmd->add_option("--db", args->db, "SQLite file or postgresql:// URL")
      ->envname("QWL_DB")
      ->capture_default_str();
  cmd->add_option("--scale", args->scale, "demo or large")
      ->check(CLI::IsMember({"demo", "large"}))
      ->capture_default_str();
  cmd->add_option("--seed", args->seed, "Seed of the random city (same seed, same rows)")
      ->capture_default_str();
  cmd->add_option(
         "--size", args->size,
         "With --scale large: a fraction of its counts, in (0, 1] (0.1 = 100,000 products)")
      ->check(CLI::Range(0.0, 1.0))
      ->capture_default_str();
  cmd->add_flag("--replace", args->replace,
                "Delete the database's ecosystem data (users, orders, places, ...) first");
  cmd->add_flag("--json", args->json, "Print the report as JSON (rows per table, seconds)");
  cmd->add_flag("-q,--quiet", args->quiet, "No progress lines on stderr");
  cmd->callback([args, &exit_code] { exit_code = report(run_seed(*args)); });
}

}  // namespace qwl::cli
