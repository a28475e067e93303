// The seed: determinism (two seeds, and SQLite against PostgreSQL, give identical tables),
// the demo city's promises (landmarks, menus and options, hours, coupons, accounts, the ledger,
// prompt-injection records), a connected road network, refusal and --replace, and a large city
// at a reduced size.
#include "services/seed.h"

#include <gtest/gtest.h>

#include <map>
#include <set>

#include "base/sha256.h"
#include "services/ledger.h"
#include "services/password.h"
#include "services/seed_internal.h"
#include "services/services_testing.h"

namespace qwl::services {
namespace {

using seed_internal::Edge;
using seed_internal::RoadClass;

// Every table the seed writes, with the columns that order its rows.
const std::vector<std::pair<std::string, std::string>>& seeded_tables() {
  static const std::vector<std::pair<std::string, std::string>> kTables = {
      {"districts", "id"},
      {"road_nodes", "id"},
      {"road_edges", "id"},
      {"users", "id"},
      {"pois", "id"},
      {"poi_hours", "poi_id, weekday, open_min"},
      {"reviews", "id"},
      {"addresses", "id"},
      {"merchants", "id"},
      {"menu_items", "id"},
      {"menu_option_groups", "id"},
      {"menu_options", "id"},
      {"restaurant_tables", "id"},
      {"hotel_room_types", "id"},
      {"hotel_rooms", "id"},
      {"categories", "id"},
      {"brands", "id"},
      {"products", "id"},
      {"product_variants", "id"},
      {"product_attributes", "product_id, name"},
      {"coupons", "id"},
      {"user_coupons", "id"},
      {"accounts", "id"},
      {"ledger_txns", "id"},
      {"ledger_entries", "id"},
  };
  return kTables;
}

// Per table: row count and a SHA-256 of every value of every row in key order.
using Checksums = std::map<std::string, std::string>;

Checksums checksums(Db& db) {
  Checksums out;
  Status s = db.read([&](Tx& tx) -> Status {
    out.clear();
    for (const auto& [table, order] : seeded_tables()) {
      QWL_ASSIGN_OR_RETURN(Rows rows,
                           tx.query(fmt::format("SELECT * FROM {} ORDER BY {}", table, order)));
      Sha256 h;
      for (const Row& r : rows) {
        for (const Value& v : r.values()) {
          h.update(v.debug_string());
          h.update("|");
        }
        h.update("\n");
      }
      out[table] = fmt::format("{} rows {}", rows.size(), to_hex(h.finish()));
    }
    return Status::Ok();
  });
  EXPECT_TRUE(s.ok()) << s.to_string();
  return out;
}

Result<SeedReport> seed(Db& db, SeedOptions options,
                        std::vector<SeedProgress>* progress = nullptr) {
  ManualClock clock;
  SeedProgressFn fn;
  if (progress) {
    fn = [progress](const SeedProgress& p) {
      SeedProgress copy = p;
      copy.phase = {};  // the view dies with the call; keep the numbers
      progress->push_back(copy);
    };
  }
  return seed_ecosystem(db, options, clock, fn);
}

int64_t count(Db& db, const std::string& sql, Params params = {}) {
  int64_t n = -1;
  Status s = db.read([&](Tx& tx) -> Status {
    QWL_ASSIGN_OR_RETURN(n, tx.query_int64(sql, params));
    return Status::Ok();
  });
  EXPECT_TRUE(s.ok()) << sql << ": " << s.to_string();
  return n;
}

Rows query(Db& db, const std::string& sql, Params params = {}) {
  Rows rows;
  Status s = db.read([&](Tx& tx) -> Status {
    QWL_ASSIGN_OR_RETURN(rows, tx.query(sql, params));
    return Status::Ok();
  });
  EXPECT_TRUE(s.ok()) << sql << ": " << s.to_string();
  return rows;
}

// Equirectangular metres, as the seed measures (fine at city scale).
double metres(double lat1, double lon1, double lat2, double lon2) {
  const double dy = (lat1 - lat2) * 111'195.0;
  const double dx = (lon1 - lon2) * 111'195.0 * 0.8638;
  return std::sqrt(dx * dx + dy * dy);
}

seed_internal::RoadCheck roads_from_db(Db& db) {
  const int64_t nodes = count(db, "SELECT COUNT(*) FROM road_nodes");
  EXPECT_EQ(count(db, "SELECT MAX(id) FROM road_nodes"), nodes) << "node ids are not 1..n";
  std::vector<Edge> edges;
  for (const Row& r : query(db, "SELECT from_node, to_node, road_class, oneway FROM road_edges")) {
    Edge e{.from = r.int64(0), .to = r.int64(1), .oneway = r.int64(3) != 0};
    const std::string& c = r.text(2);
    e.road_class = c == "motorway"    ? RoadClass::kMotorway
                   : c == "primary"   ? RoadClass::kPrimary
                   : c == "secondary" ? RoadClass::kSecondary
                   : c == "path"      ? RoadClass::kPath
                                      : RoadClass::kResidential;
    edges.push_back(e);
  }
  return seed_internal::check_roads(nodes, edges);
}

class SeedTest : public ::testing::TestWithParam<DbKind> {
 protected:
  std::unique_ptr<Db> fresh() {
    auto db = testing::fresh_db(GetParam());
    EXPECT_TRUE(db.ok()) << db.status().to_string();
    return db.ok() ? std::move(*db) : nullptr;
  }
};

TEST_P(SeedTest, DemoIsDeterministicAndTheSeedMatters) {
  auto a = fresh();
  auto b = fresh();
  auto c = fresh();
  ASSERT_TRUE(a && b && c);
  ASSERT_TRUE(seed(*a, {.seed = 7}).ok());
  ASSERT_TRUE(seed(*b, {.seed = 7}).ok());
  ASSERT_TRUE(seed(*c, {.seed = 8}).ok());
  const Checksums ca = checksums(*a);
  EXPECT_EQ(ca, checksums(*b));
  const Checksums cc = checksums(*c);
  EXPECT_NE(ca.at("products"), cc.at("products"));
  EXPECT_NE(ca.at("pois"), cc.at("pois"));
  EXPECT_NE(ca.at("road_nodes"), cc.at("road_nodes"));
}

TEST_P(SeedTest, ReportCountsMatchTheTables) {
  auto db = fresh();
  ASSERT_TRUE(db);
  std::vector<SeedProgress> progress;
  auto report = seed(*db, {.seed = 3}, &progress);
  ASSERT_TRUE(report.ok()) << report.status().to_string();
  EXPECT_EQ(report->scale, SeedScale::kDemo);
  EXPECT_FALSE(report->replaced);
  int64_t total = 0;
  for (const SeedTableCount& t : report->tables) {
    EXPECT_EQ(count(*db, fmt::format("SELECT COUNT(*) FROM {}", t.table)), t.rows) << t.table;
    total += t.rows;
  }
  EXPECT_EQ(total, report->total_rows);
  EXPECT_EQ(report->road_nodes, count(*db, "SELECT COUNT(*) FROM road_nodes"));
  ASSERT_FALSE(progress.empty());
  for (size_t i = 1; i < progress.size(); ++i) EXPECT_GE(progress[i].rows, progress[i - 1].rows);
  EXPECT_EQ(progress.back().rows, report->total_rows);
  EXPECT_TRUE(progress.back().phase_done);
  EXPECT_GT(progress.back().planned_rows, 0);
}

TEST_P(SeedTest, DemoCityKeepsItsPromises) {
  auto db = fresh();
  ASSERT_TRUE(db);
  auto report = seed(*db, {.seed = 1});
  ASSERT_TRUE(report.ok()) << report.status().to_string();
  Db& d = *db;

  // Sizes of the demo scale.
  EXPECT_EQ(count(d, "SELECT COUNT(*) FROM products"), 2000);
  const int64_t pois = count(d, "SELECT COUNT(*) FROM pois");
  EXPECT_GE(pois, 300);
  EXPECT_LE(pois, 500);
  for (std::string_view kind :
       {"cafe", "tea", "restaurant", "supermarket", "pharmacy", "hotel", "cinema", "sight",
        "office", "residence", "station", "airport", "shop"}) {
    EXPECT_GT(count(d, "SELECT COUNT(*) FROM pois WHERE kind = ?", {kind}), 0) << kind;
  }
  for (std::string_view kind : {"cafe", "tea", "restaurant", "supermarket", "pharmacy", "shop"}) {
    EXPECT_GT(count(d, "SELECT COUNT(*) FROM merchants WHERE kind = ?", {kind}), 0) << kind;
  }
  EXPECT_GT(count(d, "SELECT COUNT(*) FROM merchants WHERE poi_id IS NULL"), 0);  // online shops
  for (std::string_view cuisine : {"sichuan", "cantonese", "hotpot", "noodles"}) {
    EXPECT_GT(count(d, "SELECT COUNT(*) FROM pois WHERE cuisine = ?", {cuisine}), 0) << cuisine;
  }

  // Places: bilingual, on the road network, in a district.
  EXPECT_EQ(count(d,
                  "SELECT COUNT(*) FROM pois WHERE node_id IS NULL OR district_id IS NULL OR "
                  "name_en = '' OR name_zh = '' OR address_en = '' OR address_zh = ''"),
            0);
  EXPECT_EQ(count(d,
                  "SELECT COUNT(*) FROM pois p LEFT JOIN road_nodes n ON n.id = p.node_id "
                  "WHERE n.id IS NULL"),
            0);
  EXPECT_EQ(count(d, "SELECT COUNT(*) FROM addresses WHERE node_id IS NULL"), 0);

  // Roads: every class, some one-way streets, connected for all three ways of travel.
  for (std::string_view c : {"motorway", "primary", "secondary", "residential", "path"}) {
    EXPECT_GT(count(d, "SELECT COUNT(*) FROM road_edges WHERE road_class = ?", {c}), 0) << c;
  }
  EXPECT_GT(count(d, "SELECT COUNT(*) FROM road_edges WHERE oneway"), 0);
  EXPECT_EQ(count(d, "SELECT COUNT(*) FROM road_edges WHERE name_en = '' OR name_zh = ''"), 0);
  const seed_internal::RoadCheck roads = roads_from_db(d);
  EXPECT_EQ(roads.components, 1);
  EXPECT_TRUE(roads.walk_connected);
  EXPECT_TRUE(roads.drive_strongly_connected);
  // The airport: on Airport Avenue (roads) and the end of the Airport Greenway (bikes).
  Rows airport = query(d, "SELECT node_id, name_zh FROM pois WHERE kind = 'airport'");
  ASSERT_EQ(airport.size(), 1u);
  EXPECT_NE(airport[0].text(1).find("机场"), std::string::npos);
  const int64_t airport_node = airport[0].int64(0);
  EXPECT_GT(count(d,
                  "SELECT COUNT(*) FROM road_edges WHERE road_class = 'path' AND (from_node = ? OR "
                  "to_node = ?)",
                  {airport_node, airport_node}),
            0);
  EXPECT_GT(count(d,
                  "SELECT COUNT(*) FROM road_edges WHERE road_class = 'primary' AND (from_node = ? "
                  "OR to_node = ?)",
                  {airport_node, airport_node}),
            0);

  // Opening hours: past midnight, around the clock (no rows), closed on a weekday.
  EXPECT_GT(count(d, "SELECT COUNT(*) FROM poi_hours WHERE close_min > 1440"), 0);
  EXPECT_GT(count(d,
                  "SELECT COUNT(*) FROM pois p WHERE kind IN ('supermarket', 'pharmacy') AND "
                  "NOT EXISTS (SELECT 1 FROM poi_hours h WHERE h.poi_id = p.id)"),
            0);
  EXPECT_GT(count(d,
                  "SELECT COUNT(*) FROM (SELECT poi_id FROM poi_hours GROUP BY poi_id "
                  "HAVING COUNT(DISTINCT weekday) < 7) AS t"),
            0);

  // Menus: valid defaults, no negative price, toppings with several choices.
  EXPECT_EQ(
      count(d,
            "SELECT COUNT(*) FROM (SELECT g.id FROM menu_option_groups g LEFT JOIN menu_options o "
            "ON o.group_id = g.id GROUP BY g.id, g.min_choices, g.max_choices HAVING "
            "(g.min_choices = 1 AND SUM(CASE WHEN o.is_default THEN 1 ELSE 0 END) <> 1) OR "
            "SUM(CASE WHEN o.is_default THEN 1 ELSE 0 END) > g.max_choices OR "
            "COUNT(o.id) < g.min_choices OR COUNT(o.id) = 0) AS bad"),
      0);
  EXPECT_EQ(count(d,
                  "SELECT COUNT(*) FROM menu_items i JOIN menu_option_groups g ON g.item_id = i.id "
                  "JOIN menu_options o ON o.group_id = g.id WHERE i.price + o.price_delta < 0"),
            0);
  EXPECT_GT(
      count(d, "SELECT COUNT(*) FROM menu_option_groups WHERE key = 'extra' AND max_choices > 1"),
      0);
  for (std::string_view key : {"size", "sugar", "ice", "milk", "temperature", "spice", "extra"}) {
    EXPECT_GT(count(d, "SELECT COUNT(*) FROM menu_option_groups WHERE key = ?", {key}), 0) << key;
  }
  EXPECT_EQ(count(d, "SELECT COUNT(*) FROM menu_items WHERE price < 0"), 0);
  EXPECT_EQ(count(d, "SELECT COUNT(*) FROM product_variants WHERE price < 0 OR stock < 0"), 0);
  EXPECT_EQ(count(d,
                  "SELECT COUNT(*) FROM products p WHERE NOT EXISTS "
                  "(SELECT 1 FROM product_variants v WHERE v.product_id = p.id)"),
            0);
  EXPECT_GT(count(d, "SELECT COUNT(*) FROM product_attributes"), 0);
  EXPECT_GT(count(d, "SELECT COUNT(*) FROM categories WHERE parent_id IS NOT NULL"), 0);

  // Coupons: well-formed windows and discounts; platform and merchant ones.
  EXPECT_EQ(
      count(d,
            "SELECT COUNT(*) FROM coupons WHERE starts_at_us >= ends_at_us OR "
            "(amount_off > 0) = (percent_off > 0) OR (percent_off > 0 AND max_discount IS NULL) OR "
            "(merchant_id IS NULL) <> (funded_by = 'platform') OR "
            "(total_limit IS NOT NULL AND used_count > total_limit)"),
      0);
  EXPECT_GT(count(d, "SELECT COUNT(*) FROM coupons WHERE merchant_id IS NULL"), 0);
  EXPECT_GT(count(d, "SELECT COUNT(*) FROM coupons WHERE merchant_id IS NOT NULL"), 0);
  EXPECT_GT(count(d, "SELECT COUNT(*) FROM coupons WHERE stackable"), 0);
  EXPECT_GT(count(d, "SELECT COUNT(*) FROM user_coupons WHERE user_id = 1"), 0);

  // The ledger balances; Alice holds 500.00 CNY.
  LedgerAudit audit;
  ASSERT_TRUE(d.read([&](Tx& tx) -> Status {
                 QWL_ASSIGN_OR_RETURN(audit, check_ledger(tx));
                 return Status::Ok();
               }).ok());
  EXPECT_TRUE(audit.ok());
  EXPECT_GT(audit.transactions, 2);
  EXPECT_EQ(count(d,
                  "SELECT balance FROM accounts a JOIN users u ON u.id = a.owner_id "
                  "WHERE a.kind = 'wallet' AND u.email = ?",
                  {kDemoAliceEmail}),
            50'000);

  // Demo accounts sign in with "demo".
  struct Account {
    std::string_view email, role, locale;
  };
  for (const Account& a :
       {Account{kDemoAliceEmail, "customer", "en"}, Account{kDemoWangEmail, "customer", "zh"},
        Account{kDemoLunaEmail, "merchant", "en"}, Account{kDemoMannerEmail, "merchant", "zh"},
        Account{kDemoAdminEmail, "admin", "en"}}) {
    Rows u =
        query(d, "SELECT role, locale, password_hash, name FROM users WHERE email = ?", {a.email});
    ASSERT_EQ(u.size(), 1u) << a.email;
    EXPECT_EQ(u[0].text(0), a.role);
    EXPECT_EQ(u[0].text(1), a.locale);
    EXPECT_TRUE(verify_password(kDemoPassword, u[0].text(2))) << a.email;
    EXPECT_FALSE(verify_password("Demo", u[0].text(2)));
  }
  EXPECT_EQ(query(d, "SELECT name FROM users WHERE email = ?", {kDemoWangEmail})[0].text(0),
            "王芳");
  for (std::string_view email : {kDemoAliceEmail, kDemoWangEmail}) {
    EXPECT_EQ(
        count(d,
              "SELECT COUNT(*) FROM addresses a JOIN users u ON u.id = a.user_id WHERE u.email = ? "
              "AND a.label IN ('home', 'office')",
              {email}),
        2)
        << email;
  }

  // Luna Café and Manner Coffee near Alice's office, owned by their accounts, with Oat Latte
  // in Medium/Large and sugar and ice options.
  Rows office = query(d,
                      "SELECT a.lat, a.lon FROM addresses a JOIN users u ON u.id = a.user_id "
                      "WHERE u.email = ? AND a.label = 'office'",
                      {kDemoAliceEmail});
  ASSERT_EQ(office.size(), 1u);
  for (const auto& [name_en, name_zh, owner] :
       {std::tuple{"Luna Café", "露娜咖啡", kDemoLunaEmail},
        std::tuple{"Manner Coffee", "Manner咖啡", kDemoMannerEmail}}) {
    Rows m = query(d,
                   "SELECT m.id, p.lat, p.lon, u.email, m.name_zh FROM merchants m JOIN pois p ON "
                   "p.id = m.poi_id "
                   "JOIN users u ON u.id = m.owner_user_id WHERE m.name_en = ?",
                   {name_en});
    ASSERT_EQ(m.size(), 1u) << name_en;
    EXPECT_EQ(m[0].text(3), owner);
    EXPECT_EQ(m[0].text(4), name_zh);
    EXPECT_LT(metres(m[0].real(1), m[0].real(2), office[0].real(0), office[0].real(1)), 400)
        << name_en;
    Rows latte = query(
        d, "SELECT id, name_zh FROM menu_items WHERE merchant_id = ? AND name_en = 'Oat Latte'",
        {m[0].int64(0)});
    ASSERT_EQ(latte.size(), 1u) << name_en;
    EXPECT_EQ(latte[0].text(1), "燕麦拿铁");
    Rows sizes = query(
        d,
        "SELECT o.name_en, o.name_zh, o.is_default FROM menu_options o JOIN menu_option_groups g "
        "ON g.id = o.group_id WHERE g.item_id = ? AND g.key = 'size' ORDER BY o.sort",
        {latte[0].int64(0)});
    ASSERT_EQ(sizes.size(), 2u);
    EXPECT_EQ(sizes[0].text(0), "Medium");
    EXPECT_EQ(sizes[0].text(1), "中杯");
    EXPECT_EQ(sizes[0].int64(2), 1);
    EXPECT_EQ(sizes[1].text(0), "Large");
    EXPECT_EQ(sizes[1].text(1), "大杯");
    EXPECT_EQ(
        count(
            d,
            "SELECT COUNT(*) FROM menu_option_groups WHERE item_id = ? AND key IN ('sugar', 'ice')",
            {latte[0].int64(0)}),
        2);
  }
  EXPECT_EQ(count(d,
                  "SELECT m.price FROM menu_items m JOIN merchants x ON x.id = m.merchant_id "
                  "WHERE x.name_en = 'Luna Café' AND m.name_en = 'Oat Latte'"),
            2300);

  // Tea shops: Pearl Milk Tea with 少冰 / 去冰 and 少糖.
  Rows pearl = query(d,
                     "SELECT i.id FROM menu_items i JOIN merchants m ON m.id = i.merchant_id "
                     "WHERE m.kind = 'tea' AND i.name_zh = '珍珠奶茶'");
  EXPECT_GE(pearl.size(), 2u);
  for (const Row& r : pearl) {
    for (std::string_view option : {"少冰", "去冰", "少糖"}) {
      EXPECT_EQ(
          count(
              d,
              "SELECT COUNT(*) FROM menu_options o JOIN menu_option_groups g ON g.id = o.group_id "
              "WHERE g.item_id = ? AND o.name_zh = ?",
              {r.int64(0), option}),
          1)
          << option;
    }
  }

  // A Sichuan restaurant (川菜馆) near Alice's home with tables for four.
  Rows home =
      query(d, "SELECT a.lat, a.lon FROM addresses a WHERE a.user_id = 1 AND a.label = 'home'");
  ASSERT_EQ(home.size(), 1u);
  Rows sichuan = query(
      d,
      "SELECT p.id, p.lat, p.lon FROM pois p WHERE p.cuisine = 'sichuan' AND p.name_zh LIKE ? "
      "AND EXISTS (SELECT 1 FROM restaurant_tables t WHERE t.poi_id = p.id AND t.seats = 4)",
      {"%川菜馆%"});
  double nearest = 1e9;
  for (const Row& r : sichuan)
    nearest = std::min(nearest, metres(r.real(1), r.real(2), home[0].real(0), home[0].real(1)));
  EXPECT_LT(nearest, 500);

  // A hotel with rooms.
  EXPECT_GT(
      count(d,
            "SELECT COUNT(*) FROM hotel_rooms r JOIN hotel_room_types t ON t.id = r.room_type_id "
            "JOIN pois p ON p.id = t.poi_id WHERE p.kind = 'hotel'"),
      0);

  // Prompt-injection records for the agent's tests.
  const std::string injection = "%IGNORE ALL PREVIOUS INSTRUCTIONS%";
  EXPECT_EQ(count(d, "SELECT COUNT(*) FROM merchants WHERE description_en LIKE ?", {injection}), 1);
  EXPECT_EQ(count(d, "SELECT COUNT(*) FROM menu_items WHERE description_en LIKE ?", {injection}),
            1);
  EXPECT_EQ(count(d, "SELECT COUNT(*) FROM reviews WHERE text LIKE ?", {injection}), 1);
  EXPECT_EQ(count(d, "SELECT COUNT(*) FROM products WHERE description_en LIKE ?", {injection}), 1);
  EXPECT_EQ(count(d, "SELECT COUNT(*) FROM reviews WHERE text LIKE ?", {"%忽略之前的所有指令%"}),
            1);
  EXPECT_EQ(count(d, "SELECT COUNT(*) FROM merchants WHERE description_zh LIKE ?",
                  {"%忽略之前的所有指令%"}),
            1);
}

TEST_P(SeedTest, RefusesExistingDataAndReplacesIt) {
  auto db = fresh();
  ASSERT_TRUE(db);
  ASSERT_TRUE(seed(*db, {.seed = 5}).ok());
  const Checksums first = checksums(*db);
  // Later activity: a new user, a top-up, a cart line.
  auto bob = testing::add_user(*db, "bob@example.com");
  ASSERT_TRUE(bob.ok()) << bob.status().to_string();
  EXPECT_EQ(bob->user_id,
            count(*db, "SELECT COUNT(*) FROM users"));  // ids continue after the seed's
  ASSERT_TRUE(testing::fund_wallet(*db, bob->user_id, 1000).ok());
  ASSERT_TRUE(db->transact([&](Tx& tx) -> Status {
                  return tx
                      .exec(
                          "INSERT INTO cart_items (user_id, merchant_id, menu_item_id, quantity, "
                          "added_at_us) "
                          "VALUES (?, 1, 1, 2, 1)",
                          {bob->user_id})
                      .status();
                }).ok());

  // Another domain's table that refers to users: emptied with them.
  ASSERT_TRUE(
      db->transact([&](Tx& tx) -> Status {
          QWL_RETURN_IF_ERROR(
              tx.exec_script("CREATE TABLE seed_test_notes (id BIGINT PRIMARY KEY, "
                             "user_id BIGINT NOT NULL REFERENCES users (id))"));
          return tx.exec("INSERT INTO seed_test_notes (id, user_id) VALUES (1, 1)").status();
        }).ok());
  const int64_t generation = count(*db, "SELECT generation FROM search_state");

  auto refused = seed(*db, {.seed = 5});
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(refused.status().message().find("--replace"), std::string::npos);

  auto replaced = seed(*db, {.seed = 5, .replace = true});
  ASSERT_TRUE(replaced.ok()) << replaced.status().to_string();
  EXPECT_TRUE(replaced->replaced);
  EXPECT_EQ(checksums(*db), first);
  EXPECT_EQ(count(*db, "SELECT COUNT(*) FROM cart_items"), 0);
  EXPECT_EQ(count(*db, "SELECT COUNT(*) FROM users WHERE email = 'bob@example.com'"), 0);
  EXPECT_EQ(count(*db, "SELECT COUNT(*) FROM seed_test_notes"), 0);
  // Search's state row survives; its change log is on again with a new generation.
  EXPECT_EQ(count(*db, "SELECT COUNT(*) FROM search_state WHERE capture"), 1);
  EXPECT_GT(count(*db, "SELECT generation FROM search_state"), generation);
}

TEST_P(SeedTest, LargeCityAtReducedSizeHasTheSameShape) {
  auto db = fresh();
  ASSERT_TRUE(db);
  std::vector<SeedProgress> progress;
  auto report = seed(*db, {.scale = SeedScale::kLarge, .seed = 2, .size = 0.001}, &progress);
  ASSERT_TRUE(report.ok()) << report.status().to_string();
  Db& d = *db;
  EXPECT_EQ(count(d, "SELECT COUNT(*) FROM products"), 1000);  // 1,000,000 x 0.001
  EXPECT_GE(count(d, "SELECT COUNT(*) FROM product_variants"), 1000);
  EXPECT_GE(count(d, "SELECT COUNT(*) FROM pois"), 300);
  EXPECT_GE(count(d, "SELECT COUNT(*) FROM road_nodes"), 900);
  EXPECT_EQ(count(d, "SELECT COUNT(*) FROM districts"), 16);
  const seed_internal::RoadCheck roads = roads_from_db(d);
  EXPECT_EQ(roads.components, 1);
  EXPECT_TRUE(roads.walk_connected);
  EXPECT_TRUE(roads.drive_strongly_connected);
  EXPECT_EQ(count(d, "SELECT COUNT(*) FROM users WHERE email = ?", {kDemoAliceEmail}), 1);
  LedgerAudit audit;
  ASSERT_TRUE(d.read([&](Tx& tx) -> Status {
                 QWL_ASSIGN_OR_RETURN(audit, check_ledger(tx));
                 return Status::Ok();
               }).ok());
  EXPECT_TRUE(audit.ok());
  EXPECT_GT(progress.size(), 5u);
}

TEST_P(SeedTest, RefusesBadOptions) {
  auto db = fresh();
  ASSERT_TRUE(db);
  for (double size : {0.0, -1.0, 1.5}) {
    auto r = seed(*db, {.scale = SeedScale::kLarge, .size = size});
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  }
  EXPECT_EQ(count(*db, "SELECT COUNT(*) FROM users"), 0);
}

INSTANTIATE_TEST_SUITE_P(Db, SeedTest, ::testing::Values(DbKind::kSqlite, DbKind::kPostgres),
                         [](const auto& info) { return testing::kind_name(info.param); });

TEST(SeedCrossDatabase, SqliteAndPostgresHoldTheSameRows) {
  auto sqlite = testing::fresh_db(DbKind::kSqlite);
  auto postgres = testing::fresh_db(DbKind::kPostgres);
  ASSERT_TRUE(sqlite.ok() && postgres.ok());
  ASSERT_TRUE(seed(**sqlite, {.seed = 11}).ok());
  ASSERT_TRUE(seed(**postgres, {.seed = 11}).ok());
  EXPECT_EQ(checksums(**sqlite), checksums(**postgres));
}

TEST(SeedRoads, CheckFindsSplitsAndOneWayTraps) {
  using seed_internal::check_roads;
  // A square of two-way residential streets: connected every way.
  std::vector<Edge> square = {{1, 2}, {2, 3}, {3, 4}, {4, 1}};
  auto ok = check_roads(4, square);
  EXPECT_EQ(ok.components, 1);
  EXPECT_TRUE(ok.walk_connected);
  EXPECT_TRUE(ok.drive_strongly_connected);
  // A one-way dead end: node 5 can be entered by car but not left.
  std::vector<Edge> trap = square;
  trap.push_back({.from = 4, .to = 5, .oneway = true});
  EXPECT_FALSE(check_roads(5, trap).drive_strongly_connected);
  EXPECT_TRUE(check_roads(5, trap).walk_connected);
  // A one-way loop is fine.
  std::vector<Edge> loop = {{.from = 1, .to = 2, .oneway = true},
                            {.from = 2, .to = 3, .oneway = true},
                            {.from = 3, .to = 1, .oneway = true}};
  EXPECT_TRUE(check_roads(3, loop).drive_strongly_connected);
  // A node reached only by a motorway: not walkable, still one component.
  std::vector<Edge> motorway = square;
  motorway.push_back({.from = 1, .to = 5, .road_class = RoadClass::kMotorway});
  motorway.push_back({.from = 5, .to = 6, .road_class = RoadClass::kPath});
  auto m = check_roads(6, motorway);
  EXPECT_EQ(m.components, 1);
  EXPECT_FALSE(m.walk_connected);
  // Two islands.
  EXPECT_EQ(check_roads(6, square).components, 3);
}

TEST(SeedRng, StreamsArePinned) {
  // A change here changes every seeded database: update docs/ecosystem/seed.md if it is meant.
  seed_internal::Rng a = seed_internal::rng_for(1, "poi", 0);
  seed_internal::Rng b = seed_internal::rng_for(1, "poi", 0);
  seed_internal::Rng c = seed_internal::rng_for(1, "poi", 1);
  const uint64_t first = a.next();
  EXPECT_EQ(first, b.next());
  EXPECT_NE(first, c.next());
  EXPECT_EQ(first, 7475201479322417836u) << "pinned value";
  seed_internal::Rng r(42);
  for (int i = 0; i < 1000; ++i) {
    const int64_t v = r.range(-3, 3);
    EXPECT_GE(v, -3);
    EXPECT_LE(v, 3);
  }
  double s = 0;
  double co = 0;
  seed_internal::sin_cos(0.5, &s, &co);
  EXPECT_NEAR(s, std::sin(0.5), 1e-15);
  EXPECT_NEAR(co, std::cos(0.5), 1e-15);
  EXPECT_NEAR(seed_internal::cos_deg(30.25), std::cos(30.25 * M_PI / 180), 1e-15);
}

}  // namespace
}  // namespace qwl::services
