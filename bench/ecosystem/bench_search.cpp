// bench_search: the search service's start-up and latency on a seeded city. Builds the index
// (time, memory), then runs query mixes single-threaded and prints p50 / p99 / max per mix:
// English and Chinese words and phrases sampled from product and menu names, the catalog's most
// frequent words (the longest posting lists), typos, filter-only browsing, sorts, and merchants;
// finally the cost of refresh() after checkout-like stock updates and a renamed product.
//
// Without --db it seeds a temporary SQLite file with `qwenlayer seed --scale large` at --size
// (1.0 = 1,000,000 products, 100,000 places) and removes it at the end; --db PATH of a SQLite file
// that does not exist yet seeds it and keeps it; --db URL of an existing database measures it as
// it is (it must hold a seeded city; --edits writes to it).
//
//   bench_search [--db URL] [--size 0.1] [--queries 1000] [--seed 1] [--edits 200] [--slowest N]
//                [--query TEXT]
//
// docs/ecosystem/search.md records the figures and the machine they were taken on.
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <random>
#include <string>
#include <vector>

#include <time.h>
#include <unistd.h>

#include "base/clock.h"
#include "services/actor.h"
#include "services/search.h"
#include "services/seed.h"
#include "services/text_segment.h"

namespace qwl::services {
namespace {

struct Args {
  std::string db;
  double size = 0.1;
  int queries = 1000;
  uint64_t seed = 1;
  int edits = 200;
  int slowest = 0;    // print the slowest queries of each mix
  std::string query;  // measure this one product query only (repeated --queries times)
};

int64_t rss_bytes() {
  std::ifstream statm("/proc/self/statm");
  int64_t pages = 0, resident = 0;
  statm >> pages >> resident;
  return resident * 4096;
}

struct Mix {
  std::string name;
  std::vector<SearchQuery> queries;
};

// This thread's CPU time: on a shared machine, wall-clock percentiles include time the thread
// waited for a core; CPU time is what the query itself costs.
int64_t thread_cpu_us() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1'000'000 + ts.tv_nsec / 1000;
}

int64_t process_cpu_us() {
  timespec ts{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1'000'000 + ts.tv_nsec / 1000;
}

void report(const std::string& what, std::vector<int64_t> us, std::vector<int64_t> cpu_us,
            int64_t hits, int failed) {
  if (us.empty()) return;
  std::sort(us.begin(), us.end());
  std::sort(cpu_us.begin(), cpu_us.end());
  auto at = [](const std::vector<int64_t>& v, double q) {
    return static_cast<double>(v[std::min(v.size() - 1, static_cast<size_t>(v.size() * q))]) / 1e3;
  };
  std::printf(
      "%-30s %5zu  wall p50 %7.3f p99 %7.3f max %7.3f ms | cpu p50 %7.3f p99 %7.3f max %7.3f ms"
      " | hits %8.1f%s\n",
      what.c_str(), us.size(), at(us, 0.50), at(us, 0.99), at(us, 1), at(cpu_us, 0.50),
      at(cpu_us, 0.99), at(cpu_us, 1), static_cast<double>(hits) / static_cast<double>(us.size()),
      failed ? fmt::format("  ERRORS {}", failed).c_str() : "");
}

// Words and Chinese runs from names: the raw material of queries.
struct Samples {
  std::vector<std::string> product_names_en, product_names_zh, item_names_en, item_names_zh;
  std::vector<std::string> frequent_words;  // the most common English words of product names
  std::vector<int64_t> category_ids, brand_ids;
  std::vector<std::pair<double, double>> places;
};

Result<Samples> sample(Db& db, uint64_t seed) {
  Samples s;
  QWL_RETURN_IF_ERROR(db.read([&](Tx& tx) -> Status {
    s = Samples();
    QWL_ASSIGN_OR_RETURN(int64_t max_product,
                         tx.query_int64("SELECT COALESCE(MAX(id), 0) FROM products"));
    QWL_ASSIGN_OR_RETURN(int64_t max_item,
                         tx.query_int64("SELECT COALESCE(MAX(id), 0) FROM menu_items"));
    std::mt19937_64 rng(seed);
    for (int i = 0; i < 2000; ++i) {
      QWL_ASSIGN_OR_RETURN(Rows r, tx.query("SELECT name_en, name_zh FROM products WHERE id >= ? "
                                            "ORDER BY id LIMIT 1",
                                            {static_cast<int64_t>(rng() % (max_product + 1))}));
      if (!r.empty()) {
        s.product_names_en.push_back(r[0].text(0));
        s.product_names_zh.push_back(r[0].text(1));
      }
      QWL_ASSIGN_OR_RETURN(r, tx.query("SELECT name_en, name_zh FROM menu_items WHERE id >= ? "
                                       "ORDER BY id LIMIT 1",
                                       {static_cast<int64_t>(rng() % (max_item + 1))}));
      if (!r.empty()) {
        s.item_names_en.push_back(r[0].text(0));
        s.item_names_zh.push_back(r[0].text(1));
      }
    }
    QWL_ASSIGN_OR_RETURN(Rows cats, tx.query("SELECT id FROM categories ORDER BY id"));
    for (const Row& r : cats) s.category_ids.push_back(r.int64(0));
    QWL_ASSIGN_OR_RETURN(Rows brands, tx.query("SELECT id FROM brands ORDER BY id LIMIT 500"));
    for (const Row& r : brands) s.brand_ids.push_back(r.int64(0));
    QWL_ASSIGN_OR_RETURN(Rows places, tx.query("SELECT lat, lon FROM pois ORDER BY id LIMIT 2000"));
    for (const Row& r : places) s.places.emplace_back(r.real(0), r.real(1));
    return Status::Ok();
  }));
  // The most frequent words of the sampled names stand in for the catalog's longest lists.
  std::map<std::string, int> counts;
  for (const std::string& n : s.product_names_en) {
    for (const TextToken& t : split_text(n)) {
      if (!t.cjk && !is_stopword(t.text) && t.text.size() > 2) counts[t.text]++;
    }
  }
  std::vector<std::pair<int, std::string>> by_count;
  for (auto& [w, n] : counts) by_count.emplace_back(-n, w);
  std::sort(by_count.begin(), by_count.end());
  for (size_t i = 0; i < std::min<size_t>(20, by_count.size()); ++i) {
    s.frequent_words.push_back(by_count[i].second);
  }
  if (s.product_names_en.empty() || s.item_names_en.empty() || s.places.empty()) {
    return FailedPreconditionError("the database holds no seeded city (products, menu, places)");
  }
  return s;
}

// Up to `n` words of a name, from a random start.
std::string words_of(const std::string& name, int n, std::mt19937_64& rng) {
  std::vector<TextToken> tokens = split_text(name);
  std::vector<std::string> words;
  for (TextToken& t : tokens) {
    if (!t.cjk) words.push_back(t.text);
  }
  if (words.empty()) return name;
  const size_t start = rng() % words.size();
  std::string out;
  for (size_t i = start; i < words.size() && static_cast<int>(i - start) < n; ++i) {
    out += (out.empty() ? "" : " ") + words[i];
  }
  return out;
}

// A run of 2..4 characters from a Chinese name.
std::string chinese_of(const std::string& name, std::mt19937_64& rng) {
  for (TextToken& t : split_text(name)) {
    if (!t.cjk) continue;
    const std::vector<uint32_t> at = utf8_char_offsets(t.text);
    const size_t n = at.size() - 1;
    if (n < 2) continue;
    const size_t len = std::min<size_t>(n, 2 + rng() % 3);
    const size_t start = rng() % (n - len + 1);
    return t.text.substr(at[start], at[start + len] - at[start]);
  }
  return name;
}

std::string typo(std::string word, std::mt19937_64& rng) {
  if (word.size() < 5) return word;
  const size_t i = 1 + rng() % (word.size() - 2);
  std::swap(word[i], word[i + 1]);
  return word;
}

std::vector<Mix> make_mixes(const Samples& s, int n, uint64_t seed) {
  std::mt19937_64 rng(seed + 1);
  auto pick = [&](const auto& v) -> const auto& {
    return v[rng() % v.size()];
  };
  const std::vector<SearchSort> sorts = {SearchSort::kRelevance, SearchSort::kPriceAsc,
                                         SearchSort::kRating, SearchSort::kSales,
                                         SearchSort::kDistance};
  std::vector<Mix> mixes;
  auto add = [&](std::string name, auto make) {
    Mix m{std::move(name), {}};
    for (int i = 0; i < n; ++i) m.queries.push_back(make());
    mixes.push_back(std::move(m));
  };
  auto place = [&](SearchQuery q) {
    const auto& [lat, lon] = pick(s.places);
    q.lat = lat;
    q.lon = lon;
    return q;
  };
  add("products: 1-2 English words",
      [&] { return SearchQuery{.text = words_of(pick(s.product_names_en), 1 + rng() % 2, rng)}; });
  add("products: whole English name",
      [&] { return SearchQuery{.text = pick(s.product_names_en)}; });
  add("products: Chinese 2-4 chars",
      [&] { return SearchQuery{.text = chinese_of(pick(s.product_names_zh), rng)}; });
  add("products: frequent word", [&] { return SearchQuery{.text = pick(s.frequent_words)}; });
  add("products: frequent word, sort",
      [&] { return place(SearchQuery{.text = pick(s.frequent_words), .sort = pick(sorts)}); });
  add("products: typo",
      [&] { return SearchQuery{.text = typo(words_of(pick(s.product_names_en), 1, rng), rng)}; });
  add("products: prefix (type-ahead)", [&] {
    std::string w = words_of(pick(s.product_names_en), 1, rng);
    return SearchQuery{.text = w.substr(0, std::max<size_t>(2, w.size() / 2)), .prefix = true};
  });
  add("products: category, no text", [&] {
    return place(
        SearchQuery{.filters = {.category_id = pick(s.category_ids)}, .sort = pick(sorts)});
  });
  add("products: word + filters", [&] {
    return SearchQuery{.text = pick(s.frequent_words),
                       .filters = {.brand_id = pick(s.brand_ids),
                                   .min_price = 100,
                                   .max_price = 50'000,
                                   .min_rating_x10 = 30,
                                   .in_stock = true}};
  });
  add("products: everything, by sales", [&] { return SearchQuery{.sort = SearchSort::kSales}; });
  add("merchants: menu words", [&] {
    return SearchQuery{.text = words_of(pick(s.item_names_en), 1 + rng() % 2, rng),
                       .kind = SearchKind::kMerchants};
  });
  add("merchants: menu Chinese", [&] {
    return SearchQuery{.text = chinese_of(pick(s.item_names_zh), rng),
                       .kind = SearchKind::kMerchants};
  });
  add("merchants: open now, distance", [&] {
    return place(SearchQuery{.text = words_of(pick(s.item_names_en), 1, rng),
                             .kind = SearchKind::kMerchants,
                             .filters = {.open_now = true},
                             .sort = SearchSort::kDistance,
                             .now_us = kSeedEpochUs +
                                       static_cast<int64_t>(rng() % 7) * 86'400'000'000 +
                                       static_cast<int64_t>(rng() % 86'400) * 1'000'000});
  });
  return mixes;
}

int run(const Args& args) {
  std::unique_ptr<Db> db;
  std::filesystem::path temp;
  // A SQLite path that does not exist yet is seeded and kept (for later runs); no --db seeds a
  // temporary file that is removed at the end.
  const bool seed_it =
      args.db.empty() || (!args.db.starts_with("postgres") && !std::filesystem::exists(args.db));
  std::string url = args.db;
  if (args.db.empty()) {
    temp = std::filesystem::temp_directory_path() /
           fmt::format("bench_search_{}_{}.db", getpid(), args.size);
    url = temp.string();
  }
  auto opened = Db::open(url);
  if (!opened.ok()) {
    std::fprintf(stderr, "%s\n", opened.status().to_string().c_str());
    return 1;
  }
  db = std::move(*opened);
  if (seed_it) {
    std::fprintf(stderr, "seeding %s (large x %.3f)...\n", url.c_str(), args.size);
    Stopwatch watch;
    auto seeded = seed_ecosystem(
        *db, SeedOptions{.scale = SeedScale::kLarge, .seed = args.seed, .size = args.size},
        Clock::real());
    if (!seeded.ok()) {
      std::fprintf(stderr, "seed: %s\n", seeded.status().to_string().c_str());
      return 1;
    }
    std::fprintf(stderr, "seeded %lld rows in %.1f s\n", static_cast<long long>(seeded->total_rows),
                 watch.elapsed_s());
  }

  const int64_t rss_before = rss_bytes();
  const int64_t cpu_before = process_cpu_us();
  Stopwatch watch;
  auto index = SearchIndex::build(*db, Clock::real());
  if (!index.ok()) {
    std::fprintf(stderr, "build: %s\n", index.status().to_string().c_str());
    return 1;
  }
  const double build_s = watch.elapsed_s();
  const double build_cpu_s = static_cast<double>(process_cpu_us() - cpu_before) / 1e6;
  const int64_t rss_after = rss_bytes();
  const SearchIndexStats st = (*index)->stats();
  std::printf("database %s\n", db->url().c_str());
  std::printf(
      "build: %.2f s (CPU %.2f s); %lld products, %lld merchants, %lld menu items; %lld terms, "
      "%lld postings in %.1f MiB; index %.1f MiB (counted), RSS +%.1f MiB\n",
      build_s, build_cpu_s, static_cast<long long>(st.products),
      static_cast<long long>(st.merchants), static_cast<long long>(st.menu_items),
      static_cast<long long>(st.terms), static_cast<long long>(st.postings),
      static_cast<double>(st.posting_bytes) / 1048576,
      static_cast<double>(st.memory_bytes) / 1048576,
      static_cast<double>(rss_after - rss_before) / 1048576);

  if (!args.query.empty()) {
    std::vector<int64_t> us, cpu_us;
    int64_t total = 0;
    for (int i = 0; i < args.queries; ++i) {
      Stopwatch w;
      const int64_t cpu0 = thread_cpu_us();
      Result<SearchResult> r = (*index)->search(Actor::system(), SearchQuery{.text = args.query});
      cpu_us.push_back(thread_cpu_us() - cpu0);
      us.push_back(w.elapsed_us());
      if (r.ok()) total = r->total;
    }
    report("'" + args.query + "'", us, cpu_us, total * args.queries, 0);
    return 0;
  }

  auto samples = sample(*db, args.seed);
  if (!samples.ok()) {
    std::fprintf(stderr, "%s\n", samples.status().to_string().c_str());
    return 1;
  }
  const Actor actor = Actor::system();
  std::vector<int64_t> all_us, all_cpu_us;
  for (const Mix& mix : make_mixes(*samples, args.queries, args.seed)) {
    std::vector<int64_t> us, cpu_us;
    int64_t hits = 0;
    int failed = 0;
    for (const SearchQuery& q : mix.queries) {
      Stopwatch w;
      const int64_t cpu0 = thread_cpu_us();
      Result<SearchResult> r = (*index)->search(actor, q);
      cpu_us.push_back(thread_cpu_us() - cpu0);
      us.push_back(w.elapsed_us());
      if (!r.ok()) {
        if (++failed == 1) std::fprintf(stderr, "%s\n", r.status().to_string().c_str());
        continue;
      }
      hits += r->total;
    }
    if (args.slowest > 0) {
      std::vector<size_t> order(cpu_us.size());
      for (size_t i = 0; i < order.size(); ++i) order[i] = i;
      std::sort(order.begin(), order.end(),
                [&](size_t a, size_t b) { return cpu_us[a] > cpu_us[b]; });
      for (size_t i = 0; i < std::min<size_t>(args.slowest, order.size()); ++i) {
        const SearchQuery& q = mix.queries[order[i]];
        std::printf("    %7.3f ms  '%s' sort %s\n", static_cast<double>(cpu_us[order[i]]) / 1e3,
                    q.text.c_str(), std::string(search_sort_name(q.sort)).c_str());
      }
    }
    all_us.insert(all_us.end(), us.begin(), us.end());
    all_cpu_us.insert(all_cpu_us.end(), cpu_us.begin(), cpu_us.end());
    report(mix.name, std::move(us), std::move(cpu_us), hits, failed);
  }
  report("all mixes", all_us, all_cpu_us, 0, 0);

  // Refresh after checkout-like updates (stock of random variants) and one renamed product.
  if (args.edits > 0) {
    std::mt19937_64 rng(args.seed + 2);
    int64_t max_variant = 0;
    Status s = db->read([&](Tx& tx) -> Status {
      QWL_ASSIGN_OR_RETURN(max_variant,
                           tx.query_int64("SELECT COALESCE(MAX(id), 0) FROM product_variants"));
      return Status::Ok();
    });
    std::vector<int64_t> us, cpu_us;
    for (int round = 0; round < 10 && s.ok(); ++round) {
      s = db->transact([&](Tx& tx) -> Status {
        for (int i = 0; i < args.edits; ++i) {
          QWL_RETURN_IF_ERROR(tx.exec("UPDATE product_variants SET stock = stock + 1 WHERE id = ?",
                                      {static_cast<int64_t>(1 + rng() % max_variant)})
                                  .status());
        }
        return tx
            .exec("UPDATE products SET name_en = name_en || ' x' WHERE id = ?",
                  {static_cast<int64_t>(1 + rng() % 1000)})
            .status();
      });
      if (!s.ok()) break;
      Stopwatch w;
      const int64_t cpu0 = thread_cpu_us();
      s = (*index)->refresh();
      cpu_us.push_back(thread_cpu_us() - cpu0);
      us.push_back(w.elapsed_us());
    }
    if (!s.ok()) std::fprintf(stderr, "edits: %s\n", s.to_string().c_str());
    report(fmt::format("refresh after {} edits", args.edits + 1), us, cpu_us, 0, 0);
  }
  index->reset();
  db.reset();
  if (!temp.empty()) {
    for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(temp.string() + suffix);
  }
  return 0;
}

}  // namespace
}  // namespace qwl::services

int main(int argc, char** argv) {
  qwl::services::Args args;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    const bool has_value = i + 1 < argc;
    if (a == "--db" && has_value) {
      args.db = argv[++i];
    } else if (a == "--size" && has_value) {
      args.size = std::atof(argv[++i]);
    } else if (a == "--queries" && has_value) {
      args.queries = std::atoi(argv[++i]);
    } else if (a == "--seed" && has_value) {
      args.seed = std::strtoull(argv[++i], nullptr, 10);
    } else if (a == "--edits" && has_value) {
      args.edits = std::atoi(argv[++i]);
    } else if (a == "--query" && has_value) {
      args.query = argv[++i];
    } else if (a == "--slowest" && has_value) {
      args.slowest = std::atoi(argv[++i]);
    } else {
      std::fprintf(stderr,
                   "usage: bench_search [--db URL] [--size 0.1] [--queries 1000] [--seed 1] "
                   "[--edits 200] [--slowest N] [--query TEXT]\n");
      return 2;
    }
  }
  return qwl::services::run(args);
}
