// bench_checkout: checkout latency and throughput on a seeded city (issue 4 "Benchmarks"):
// p50 / p99 / max of Orders::checkout (the whole transaction: re-pricing, stock reservation,
// coupons, ledger payment, events, idempotency record) and checkouts per second, with 1 and
// with --threads clients, on SQLite or PostgreSQL.
//
// Each client is one seeded customer (topped up first) buying one unit of a listed variant (at
// least the minimum order) at a merchant open around the clock (no opening-hours rows), as a pickup
// order; the cart line is added before the timed call, so only checkout is measured. Stock is
// raised first so that nothing sells out. The database is written to: use a copy of a seeded city.
//
//   bench_checkout --db URL [--checkouts 2000] [--threads 4]
//
// docs/PERFORMANCE.md ("Ecosystem") records the figures and the commands that made the city.
#include <fmt/format.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

#include "base/clock.h"
#include "services/cart.h"
#include "services/orders.h"
#include "services/payments.h"
#include "store/db.h"

namespace qwl::services {
namespace {

struct Args {
  std::string db;
  int checkouts = 2000;
  int threads = 4;
};

[[noreturn]] void die(const Status& s) {
  std::fprintf(stderr, "bench_checkout: %s\n", s.to_string().c_str());
  std::exit(1);
}

double percentile(std::vector<int64_t> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return static_cast<double>(v[std::min(v.size() - 1, static_cast<size_t>(p * v.size()))]);
}

struct Run {
  std::vector<int64_t> latencies_us;
  double seconds = 0;
};

Run run(Db& db, Orders& orders, const std::vector<int64_t>& users,
        const std::vector<int64_t>& variants, int64_t merchant, int checkouts, int threads,
        const std::string& tag) {
  std::vector<std::vector<int64_t>> per_thread(threads);
  std::atomic<int> next{0};
  Stopwatch wall;
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t) {
    pool.emplace_back([&, t] {
      // Each client goes round its own share of the customers (so that no wallet runs dry and
      // no two clients ever fill one customer's cart at once).
      const size_t share = std::max<size_t>(1, users.size() / threads);
      size_t round = 0;
      for (int i = next++; i < checkouts; i = next++) {
        const Actor actor{.user_id = users[((round++ % share) * threads + t) % users.size()],
                          .role = Role::kCustomer};
        const int64_t variant = variants[i % variants.size()];
        auto line = add_to_cart(db, Clock::real(), actor,
                                CartLineInput{.variant_id = variant, .quantity = 1});
        if (!line.ok()) die(line.status());
        Stopwatch watch;
        auto placed = orders.checkout(
            actor, CheckoutRequest{.merchant_id = merchant,
                                   .fulfilment = "pickup",
                                   .user_coupon_ids = std::vector<int64_t>{},
                                   .idempotency_key = fmt::format("bench-{}-{}", tag, i)});
        per_thread[t].push_back(watch.elapsed_us());
        if (!placed.ok()) die(placed.status());
      }
    });
  }
  for (auto& th : pool) th.join();
  Run r;
  r.seconds = wall.elapsed_s();
  for (auto& v : per_thread) r.latencies_us.insert(r.latencies_us.end(), v.begin(), v.end());
  return r;
}

int main_impl(const Args& args) {
  auto db =
      Db::open(args.db, DbOptions{.pool_size = std::max(4, args.threads + 1), .max_attempts = 200});
  if (!db.ok()) die(db.status());
  int64_t merchant = 0;
  std::vector<int64_t> variants, users;
  Status s = (*db)->transact([&](Tx& tx) -> Status {
    QWL_ASSIGN_OR_RETURN(
        merchant,
        tx.query_int64("SELECT m.id FROM merchants m WHERE m.accepting AND m.poi_id IS NOT NULL "
                       "AND NOT EXISTS (SELECT 1 FROM poi_hours h WHERE h.poi_id = m.poi_id) "
                       "AND EXISTS (SELECT 1 FROM products p WHERE p.merchant_id = m.id AND "
                       "p.listed) ORDER BY m.id LIMIT 1"));
    QWL_ASSIGN_OR_RETURN(
        Rows rows, tx.query("SELECT v.id FROM product_variants v JOIN products p ON p.id = "
                            "v.product_id WHERE p.merchant_id = ? AND p.listed AND v.price >= "
                            "(SELECT min_order FROM merchants WHERE id = ?) ORDER BY v.id "
                            "LIMIT 50",
                            {merchant, merchant}));
    for (const Row& r : rows) variants.push_back(r.int64(0));
    QWL_RETURN_IF_ERROR(tx.exec("UPDATE product_variants SET stock = 1000000 WHERE product_id IN "
                                "(SELECT id FROM products WHERE merchant_id = ?)",
                                {merchant})
                            .status());
    QWL_ASSIGN_OR_RETURN(Rows u, tx.query("SELECT id FROM users WHERE role = 'customer' AND NOT "
                                          "disabled AND daily_spend_limit IS NULL ORDER BY id "
                                          "LIMIT 64"));
    for (const Row& r : u) users.push_back(r.int64(0));
    return Status::Ok();
  });
  if (!s.ok()) die(s);
  if (variants.empty() || users.empty()) die(NotFoundError("no open merchant or no customers"));
  for (int64_t user : users) {
    const Actor actor{.user_id = user, .role = Role::kCustomer};
    for (int i = 0; i < 4; ++i) {
      auto r = top_up(**db, Clock::real(), actor, 5'000'000);
      if (!r.ok()) die(r.status());
    }
    if (Status c = clear_cart(**db, actor, 0).status(); !c.ok()) die(c);
  }
  Orders orders(**db, Clock::real());
  fmt::print("bench_checkout: {} ({}), merchant {}, {} variants, {} customers\n", (*db)->url(),
             (*db)->kind() == DbKind::kSqlite ? "SQLite" : "PostgreSQL", merchant, variants.size(),
             users.size());
  const std::string stamp = std::to_string(Clock::real().wall_us());
  for (int threads : {1, args.threads}) {
    Run r = run(**db, orders, users, variants, merchant, args.checkouts, threads,
                fmt::format("{}-{}", stamp, threads));
    fmt::print(
        "  {} client(s): {} checkouts in {:.2f} s = {:.0f}/s; latency p50 {:.2f} ms, p99 "
        "{:.2f} ms, max {:.2f} ms\n",
        threads, r.latencies_us.size(), r.seconds, r.latencies_us.size() / r.seconds,
        percentile(r.latencies_us, 0.5) / 1e3, percentile(r.latencies_us, 0.99) / 1e3,
        percentile(r.latencies_us, 1.0) / 1e3);
  }
  return 0;
}

}  // namespace
}  // namespace qwl::services

int main(int argc, char** argv) {
  qwl::services::Args args;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) {
        std::fprintf(stderr, "bench_checkout: %s needs a value\n", a.c_str());
        std::exit(2);
      }
      return argv[++i];
    };
    if (a == "--db") {
      args.db = value();
    } else if (a == "--checkouts") {
      args.checkouts = std::atoi(value().c_str());
    } else if (a == "--threads") {
      args.threads = std::atoi(value().c_str());
    } else {
      std::fprintf(stderr, "usage: bench_checkout --db URL [--checkouts 2000] [--threads 4]\n");
      return a == "--help" || a == "-h" ? 0 : 2;
    }
  }
  if (args.db.empty() || args.checkouts < 1 || args.threads < 1) {
    std::fprintf(stderr, "bench_checkout: --db URL is required; counts must be positive\n");
    return 2;
  }
  return qwl::services::main_impl(args);
}
