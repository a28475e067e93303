// The ecosystem's tools on the seeded demo city (services/seed.h), on SQLite and PostgreSQL, at
// Monday 2026-01-05 09:00 in the city: every tool runs at least once with its happy path and
// its main refusals; places resolve in both languages and never to another user's address;
// prepare() changes nothing (row counts and balances equal before and after) and gives the same
// content twice and from its own arguments; commit() with one key executes once; another
// user's records are NotFound; a price changed between prepare and commit is refused by the
// services and charges nothing.
#include "agent/ecosystem_tools.h"

#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "services/maps_adapters.h"
#include "services/seed.h"
#include "services/services_testing.h"

namespace qwl::agent {
namespace {

using nlohmann::json;
using services::Actor;
using services::Role;

// The demo city's fixed ids (docs/ecosystem/seed.md).
constexpr int64_t kAlice = 1;
constexpr int64_t kWang = 2;
constexpr int64_t kLunaOwner = 3;
constexpr int64_t kAliceHome = 1;  // address ids
constexpr int64_t kAliceOffice = 2;
constexpr int64_t kWangOffice = 4;
constexpr int64_t kLunaCafe = 1;  // merchant ids
constexpr int64_t kMannerCoffee = 2;
constexpr int64_t kCloudNineTea = 4;
constexpr int64_t kSichuanPlace = 5;  // place ids
constexpr int64_t kSichuanMerchant = 3;
constexpr int64_t kHotelPlace = 11;
constexpr int64_t kAirportPlace = 13;
constexpr int64_t kAliceFunds = 50'000;  // ¥500
// Monday 2026-01-05 09:00 in the city.
constexpr int64_t kNowUs = services::kSeedEpochUs + 9 * 3600 * 1'000'000LL;

// What must not move when nothing is executed.
const char* const kCountedTables[] = {
    "orders",      "order_items",    "order_events",      "order_coupons",  "after_sales",
    "cart_items",  "user_coupons",   "ledger_txns",       "ledger_entries", "idempotency_keys",
    "user_events", "table_bookings", "table_slot_claims", "hotel_bookings", "room_nights",
    "rides",       "accounts"};

class EcosystemToolsTest : public ::testing::TestWithParam<DbKind> {
 protected:
  void SetUp() override {
    auto db =
        services::testing::fresh_db(GetParam(), DbOptions{.pool_size = 4, .max_attempts = 200});
    ASSERT_TRUE(db.ok()) << db.status().to_string();
    db_ = std::move(*db);
    auto seeded = services::seed_ecosystem(*db_, services::SeedOptions{}, clock_);
    ASSERT_TRUE(seeded.ok()) << seeded.status().to_string();
    auto maps = services::Maps::load(*db_, clock_);
    ASSERT_TRUE(maps.ok()) << maps.status().to_string();
    maps_ = std::move(*maps);
    auto search = services::SearchIndex::build(*db_, clock_);
    ASSERT_TRUE(search.ok()) << search.status().to_string();
    search_ = std::move(*search);
    estimator_ = std::make_unique<services::RoadDeliveryEstimator>(*maps_);
    orders_ = std::make_unique<services::Orders>(
        *db_, clock_, services::OrdersOptions{.estimator = estimator_.get()});
    quoter_ = services::road_route_quoter(*maps_);
    tools_ = std::make_unique<EcosystemTools>(EcosystemHandles{.db = db_.get(),
                                                               .clock = &clock_,
                                                               .search = search_.get(),
                                                               .maps = maps_.get(),
                                                               .orders = orders_.get(),
                                                               .ride_quoter = &quoter_});
  }

  static UserContext user(int64_t id, std::string language = "en", Role role = Role::kCustomer) {
    return UserContext{.actor = Actor{.user_id = id, .role = role}, .language = language};
  }

  Result<ToolResult> run(const UserContext& u, std::string_view tool, const json& args) {
    return tools_->run(u, tool, args);
  }
  Result<ActionDraft> prepare(const UserContext& u, std::string_view tool, const json& args) {
    return tools_->prepare(u, tool, args);
  }

  int64_t query(std::string_view sql, Params params = {}) {
    int64_t v = -1;
    Status s = db_->read([&](Tx& tx) -> Status {
      QWL_ASSIGN_OR_RETURN(v, tx.query_int64(sql, params));
      return Status::Ok();
    });
    EXPECT_TRUE(s.ok()) << s.to_string();
    return v;
  }
  void exec(std::string_view sql, Params params = {}) {
    Status s = db_->transact([&](Tx& tx) -> Status { return tx.exec(sql, params).status(); });
    ASSERT_TRUE(s.ok()) << s.to_string();
  }
  int64_t wallet(int64_t user_id) {
    return query(
        "SELECT COALESCE(SUM(balance), 0) FROM accounts WHERE kind = 'wallet' AND "
        "owner_id = ?",
        {user_id});
  }
  // Row counts of everything an irreversible action writes, balances and stock.
  std::map<std::string, int64_t> snapshot() {
    std::map<std::string, int64_t> out;
    for (const char* table : kCountedTables)
      out[table] = query(fmt::format("SELECT COUNT(*) FROM {}", table));
    out["balances"] = query("SELECT COALESCE(SUM(balance * id), 0) FROM accounts");
    out["coupon_uses"] = query("SELECT COALESCE(SUM(used_count), 0) FROM coupons");
    out["stock"] = query("SELECT COALESCE(SUM(stock), 0) FROM menu_items");
    return out;
  }
  int64_t menu_item(int64_t merchant, std::string_view name) {
    return query("SELECT id FROM menu_items WHERE merchant_id = ? AND name_en = ?",
                 {merchant, name});
  }
  // Two Oat Lattes (default options) from Luna Café in Alice's cart.
  void add_two_lattes(const UserContext& u) {
    auto added = run(u, "add_to_cart",
                     {{"menu_item_id", menu_item(kLunaCafe, "Oat Latte")}, {"quantity", 2}});
    ASSERT_TRUE(added.ok()) << added.status().to_string();
  }
  // Alice's two lattes ordered to her office; returns the order id.
  int64_t place_latte_order(std::string_view key) {
    const UserContext alice = user(kAlice);
    add_two_lattes(alice);
    auto draft = prepare(alice, "checkout", {{"merchant_id", kLunaCafe}, {"deliver_to", "office"}});
    EXPECT_TRUE(draft.ok()) << draft.status().to_string();
    if (!draft.ok()) return 0;
    auto done = tools_->commit(alice, *draft, key);
    EXPECT_TRUE(done.ok()) << done.status().to_string();
    return done.ok() ? done->result["order_id"].get<int64_t>() : 0;
  }

  ManualClock clock_{kNowUs};
  std::unique_ptr<Db> db_;
  std::unique_ptr<services::Maps> maps_;
  std::unique_ptr<services::SearchIndex> search_;
  std::unique_ptr<services::RoadDeliveryEstimator> estimator_;
  std::unique_ptr<services::Orders> orders_;
  services::RouteQuoter quoter_;
  std::unique_ptr<EcosystemTools> tools_;
};

#define ASSERT_OK(expr)                                      \
  do {                                                       \
    const auto& qwl_r_ = (expr);                             \
    ASSERT_TRUE(qwl_r_.ok()) << qwl_r_.status().to_string(); \
  } while (0)

// The code of a failed result and whether its message names `what`.
template <typename T>
::testing::AssertionResult fails_with(const Result<T>& r, StatusCode code, std::string_view what) {
  if (r.ok())
    return ::testing::AssertionFailure() << "succeeded, expected " << status_code_name(code);
  if (r.status().code() != code || r.status().message().find(what) == std::string::npos)
    return ::testing::AssertionFailure() << r.status().to_string() << " (expected "
                                         << status_code_name(code) << " naming '" << what << "')";
  return ::testing::AssertionSuccess();
}

bool has_card(const ToolResult& r, std::string_view type) {
  for (const Card& c : r.cards) {
    if (c.type == type) return true;
  }
  return false;
}

// ---- the executor's own checks ---------------------------------------------------------------

TEST_P(EcosystemToolsTest, ListsEveryToolAndRefusesMisuse) {
  EXPECT_EQ(tools_->tools().size(), ecosystem_tools().size());
  const UserContext alice = user(kAlice);
  EXPECT_TRUE(fails_with(run(alice, "checkout", {{"merchant_id", 1}}), StatusCode::kInvalidArgument,
                         "irreversible"));
  EXPECT_TRUE(fails_with(prepare(alice, "get_wallet", json::object()), StatusCode::kInvalidArgument,
                         "not irreversible"));
  EXPECT_TRUE(fails_with(run(alice, "launch_rocket", json::object()), StatusCode::kInvalidArgument,
                         "unknown tool"));
  EXPECT_TRUE(fails_with(run(alice, "get_wallet", {{"user_id", kWang}}),
                         StatusCode::kInvalidArgument, "user_id"));
  EXPECT_TRUE(fails_with(run(alice, "get_menu", {{"merchant_id", "one"}}),
                         StatusCode::kInvalidArgument, "merchant_id"));
  EXPECT_TRUE(fails_with(run(user(0), "get_wallet", json::object()), StatusCode::kPermissionDenied,
                         "signed-in"));
  ActionDraft bogus{.tool = "top_up_wallet", .arguments = {{"amount", 1000}}};
  EXPECT_TRUE(
      fails_with(tools_->commit(alice, bogus, "k"), StatusCode::kInvalidArgument, "content"));
}

// ---- catalog ---------------------------------------------------------------------------------

TEST_P(EcosystemToolsTest, SearchProductsGivesVariantsToBuy) {
  const UserContext alice = user(kAlice);
  auto r = run(alice, "search_products", {{"query", "jasmine rice"}, {"limit", 3}});
  ASSERT_OK(r);
  const json& products = r->result["products"];
  ASSERT_FALSE(products.empty()) << r->result.dump();
  EXPECT_LE(products.size(), 3u);
  const json& first = products[0];
  EXPECT_TRUE(first["name"].get<std::string>().find("Rice") != std::string::npos) << first.dump();
  ASSERT_FALSE(first["variants"].empty());
  EXPECT_GT(first["variants"][0]["id"].get<int64_t>(), 0);
  EXPECT_EQ(first["price_text"].get<std::string>().substr(0, 2), "¥");
  EXPECT_TRUE(has_card(*r, "product"));
  EXPECT_EQ(r->cards.size(), products.size());

  // A variant from the results goes into the cart.
  int64_t variant = 0;
  for (const json& v : first["variants"]) {
    if (v["in_stock"] == true && variant == 0) variant = v["id"];
  }
  ASSERT_GT(variant, 0) << first.dump();
  auto added = run(alice, "add_to_cart", {{"variant_id", variant}, {"quantity", 2}});
  ASSERT_OK(added);
  EXPECT_EQ(added->result["added"]["quantity"], 2);
  EXPECT_EQ(added->result["cart"]["merchant_id"], first["merchant"]["id"]);

  auto zh = run(user(kWang, "zh"), "search_products", {{"query", "香米"}});
  ASSERT_OK(zh);
  ASSERT_FALSE(zh->result["products"].empty());
  EXPECT_NE(zh->result["products"][0]["name"].get<std::string>().find("米"), std::string::npos);

  EXPECT_TRUE(
      fails_with(run(alice, "search_products", {{"query", "rice"}, {"category", "Rockets"}}),
                 StatusCode::kInvalidArgument, "category"));
  EXPECT_TRUE(fails_with(
      run(alice, "search_products", {{"query", "rice"}, {"min_price", 500}, {"max_price", 100}}),
      StatusCode::kInvalidArgument, "max_price"));
}

TEST_P(EcosystemToolsTest, SearchMerchantsNearTheOfficeFindsLunaAndManner) {
  auto r = run(user(kAlice), "search_merchants", {{"query", "oat latte"}, {"near", "office"}});
  ASSERT_OK(r);
  EXPECT_EQ(r->result["near"], "office");
  const json& m = r->result["merchants"];
  ASSERT_GE(m.size(), 2u) << r->result.dump();
  EXPECT_EQ(m[0]["id"], kLunaCafe) << r->result.dump();
  EXPECT_EQ(m[1]["id"], kMannerCoffee) << r->result.dump();
  EXPECT_LE(m[0]["distance_m"].get<int64_t>(), m[1]["distance_m"].get<int64_t>());
  EXPECT_EQ(m[0]["open_now"], true);
  bool luna_latte = false;
  for (const json& item : m[0]["items"]) {
    if (item["name"] == "Oat Latte") {
      luna_latte = true;
      EXPECT_EQ(item["price"], 2300);
      EXPECT_EQ(item["price_text"], "¥23");
    }
  }
  EXPECT_TRUE(luna_latte) << m[0].dump();
  EXPECT_TRUE(has_card(*r, "merchant"));

  // The same in Chinese: the saved place by its Chinese word, names in Chinese.
  auto zh = run(user(kAlice, "zh"), "search_merchants", {{"query", "燕麦拿铁"}, {"near", "公司"}});
  ASSERT_OK(zh);
  ASSERT_FALSE(zh->result["merchants"].empty());
  EXPECT_EQ(zh->result["merchants"][0]["name"], "露娜咖啡");

  EXPECT_TRUE(
      fails_with(run(user(kAlice), "search_merchants", {{"query", "latte"}, {"near", "zzqx"}}),
                 StatusCode::kNotFound, "near"));
}

TEST_P(EcosystemToolsTest, GetMenuShowsOptionsAndCutsLongText) {
  const UserContext alice = user(kAlice);
  auto r = run(alice, "get_menu", {{"merchant_id", kLunaCafe}});
  ASSERT_OK(r);
  EXPECT_EQ(r->result["merchant"]["name"], "Luna Café");
  const json* latte = nullptr;
  for (const json& item : r->result["items"]) {
    if (item["name"] == "Oat Latte") latte = &item;
  }
  ASSERT_NE(latte, nullptr) << r->result.dump();
  EXPECT_EQ((*latte)["price"], 2300);
  EXPECT_EQ((*latte)["options"]["Size"], "Medium* / Large +¥3") << latte->dump();
  EXPECT_EQ((*latte)["options"]["Extras (optional, up to 2)"],
            "Extra shot +¥4 / Vanilla syrup +¥3 / Caramel syrup +¥3");
  ASSERT_TRUE(has_card(*r, "menu"));

  // Injected instructions in a description are data, cut to 200 characters; reading them
  // changes nothing.
  const auto before = snapshot();
  auto tea = run(alice, "get_menu", {{"merchant_id", kCloudNineTea}});
  ASSERT_OK(tea);
  bool found = false;
  for (const json& item : tea->result["items"]) {
    if (!item.contains("description")) continue;
    const std::string d = item["description"];
    if (d.find("IGNORE ALL PREVIOUS INSTRUCTIONS") == std::string::npos) continue;
    found = true;
    size_t chars = 0;
    for (unsigned char ch : d) chars += (ch & 0xC0) != 0x80;
    EXPECT_LE(chars, 201u);
  }
  EXPECT_TRUE(found) << tea->result.dump();
  EXPECT_EQ(snapshot(), before);

  EXPECT_TRUE(fails_with(run(alice, "get_menu", {{"merchant_id", 999999}}), StatusCode::kNotFound,
                         "merchant_id"));
}

TEST_P(EcosystemToolsTest, NearbyPlacesResolveSavedPlacesInBothLanguages) {
  auto r = run(user(kAlice), "nearby_places",
               {{"near", "home"}, {"kind", "restaurant"}, {"cuisine", "sichuan"}});
  ASSERT_OK(r);
  EXPECT_EQ(r->result["near"], "home");
  ASSERT_FALSE(r->result["places"].empty());
  EXPECT_EQ(r->result["places"][0]["id"], kSichuanPlace);
  EXPECT_EQ(r->result["places"][0]["merchant_id"], kSichuanMerchant);
  EXPECT_TRUE(has_card(*r, "place"));

  // "家" is home; no place and no device position is the default address (home); a device
  // position is "current location".
  auto home = run(user(kAlice, "zh"), "nearby_places", {{"near", "家"}, {"kind", "restaurant"}});
  ASSERT_OK(home);
  EXPECT_EQ(home->result["near"], "home");
  ASSERT_FALSE(home->result["places"].empty());
  EXPECT_EQ(home->result["places"][0]["name"], "蜀味川菜馆");
  EXPECT_TRUE(fails_with(run(user(kAlice), "nearby_places", {{"kind", "spaceport"}}),
                         StatusCode::kInvalidArgument, "kind"));
  auto fallback = run(user(kAlice), "nearby_places", {{"kind", "cafe"}});
  ASSERT_OK(fallback);
  EXPECT_EQ(fallback->result["near"], "home");
  UserContext located = user(kAlice);
  located.location = services::LatLon{30.2554, 120.1631};
  auto here = run(located, "nearby_places", {{"kind", "cafe"}, {"radius_m", 2000}});
  ASSERT_OK(here);
  EXPECT_EQ(here->result["near"], "current location");

  // Wang's "office" is his own; Alice's address by id is not his.
  auto wang = run(user(kWang), "get_route", {{"to", "office"}, {"mode", "walking"}});
  ASSERT_OK(wang);
  const json& to = wang->cards[0].data["to"];
  EXPECT_EQ(to["address_id"], kWangOffice);
  EXPECT_TRUE(fails_with(
      run(user(kWang), "nearby_places", {{"near", fmt::format("address:{}", kAliceHome)}}),
      StatusCode::kNotFound, "near"));
}

TEST_P(EcosystemToolsTest, GetRouteBetweenSavedPlacesAndNamedPlaces) {
  const UserContext alice = user(kAlice);
  auto r = run(alice, "get_route", {{"from", "home"}, {"to", "office"}, {"mode", "cycling"}});
  ASSERT_OK(r);
  EXPECT_EQ(r->result["from"], "home");
  EXPECT_EQ(r->result["to"], "office");
  EXPECT_GT(r->result["distance_m"].get<int64_t>(), 1000);
  EXPECT_FALSE(r->result["steps"].empty());
  EXPECT_LE(r->result["steps"].size(), 15u);
  ASSERT_TRUE(has_card(*r, "route"));
  EXPECT_FALSE(r->cards[0].data["polyline"].get<std::string>().empty());

  auto airport =
      run(alice, "get_route", {{"to", "Eastlake International Airport"}, {"mode", "driving"}});
  ASSERT_OK(airport);
  EXPECT_EQ(airport->result["to"], "Eastlake International Airport");

  EXPECT_TRUE(fails_with(run(alice, "get_route", {{"to", "qqqxxzz"}, {"mode", "walking"}}),
                         StatusCode::kNotFound, "to"));
  EXPECT_TRUE(fails_with(run(alice, "get_route", {{"to", "office"}, {"mode", "flying"}}),
                         StatusCode::kInvalidArgument, "mode"));
}

// ---- cart, coupons, wallet -------------------------------------------------------------------

TEST_P(EcosystemToolsTest, CartAddRefineViewAndClear) {
  const UserContext alice = user(kAlice);
  const int64_t latte = menu_item(kLunaCafe, "Oat Latte");
  auto added = run(alice, "add_to_cart",
                   {{"menu_item_id", latte}, {"quantity", 2}, {"options", {"large", "less ice"}}});
  ASSERT_OK(added);
  const json& line = added->result["added"];
  EXPECT_EQ(line["unit_price"], 2600) << line.dump();
  EXPECT_EQ(line["quantity"], 2);
  EXPECT_EQ(added->result["cart"]["subtotal"], 5200);
  EXPECT_TRUE(has_card(*added, "cart"));
  const int64_t line_id = line["line_id"];

  // "Add vanilla syrup": the size and the ice stay.
  auto refined =
      run(alice, "update_cart_line", {{"line_id", line_id}, {"options", {"vanilla syrup"}}});
  ASSERT_OK(refined);
  const std::string options = refined->result["line"]["options"];
  EXPECT_NE(options.find("Large"), std::string::npos) << options;
  EXPECT_NE(options.find("Less ice"), std::string::npos) << options;
  EXPECT_NE(options.find("Vanilla syrup"), std::string::npos) << options;
  EXPECT_EQ(refined->result["line"]["unit_price"], 2900);
  const int64_t refined_id = refined->result["line"]["line_id"];

  auto more = run(alice, "update_cart_line", {{"line_id", refined_id}, {"quantity", 3}});
  ASSERT_OK(more);
  EXPECT_EQ(more->result["line"]["line_total"], 8700);

  auto view = run(alice, "view_cart", json::object());
  ASSERT_OK(view);
  ASSERT_EQ(view->result["merchants"].size(), 1u);
  EXPECT_EQ(view->result["merchants"][0]["merchant"], "Luna Café");
  EXPECT_EQ(view->result["item_count"], 3);

  // Refusals: an unknown option, an item and a variant at once, options on a variant, another
  // user's line.
  EXPECT_TRUE(
      fails_with(run(alice, "add_to_cart",
                     {{"menu_item_id", latte}, {"quantity", 1}, {"options", {"extra hot"}}}),
                 StatusCode::kInvalidArgument, "options"));
  EXPECT_TRUE(fails_with(
      run(alice, "add_to_cart", {{"menu_item_id", latte}, {"variant_id", 1}, {"quantity", 1}}),
      StatusCode::kInvalidArgument, "variant_id"));
  EXPECT_TRUE(fails_with(run(alice, "add_to_cart", {{"quantity", 1}}), StatusCode::kInvalidArgument,
                         "menu_item_id"));
  EXPECT_TRUE(fails_with(
      run(alice, "add_to_cart", {{"variant_id", 1}, {"quantity", 1}, {"options", {"large"}}}),
      StatusCode::kInvalidArgument, "options"));
  EXPECT_TRUE(fails_with(run(alice, "add_to_cart", {{"menu_item_id", 99999999}, {"quantity", 1}}),
                         StatusCode::kNotFound, "menu_item_id"));
  EXPECT_TRUE(
      fails_with(run(user(kWang), "update_cart_line", {{"line_id", refined_id}, {"quantity", 1}}),
                 StatusCode::kNotFound, "line_id"));
  EXPECT_TRUE(fails_with(run(alice, "update_cart_line", {{"line_id", refined_id}}),
                         StatusCode::kInvalidArgument, "nothing to change"));

  auto removed = run(alice, "update_cart_line", {{"line_id", refined_id}, {"quantity", 0}});
  ASSERT_OK(removed);
  EXPECT_EQ(removed->result["cart"]["item_count"], 0);
  ASSERT_OK(run(alice, "add_to_cart", {{"menu_item_id", latte}, {"quantity", 1}}));
  auto cleared = run(alice, "clear_cart", {{"merchant_id", kLunaCafe}});
  ASSERT_OK(cleared);
  EXPECT_EQ(cleared->result["removed_lines"], 1);
  EXPECT_EQ(query("SELECT COUNT(*) FROM cart_items WHERE user_id = ?", {kAlice}), 0);
}

TEST_P(EcosystemToolsTest, CouponsListedAndClaimed) {
  const UserContext alice = user(kAlice);
  auto r = run(alice, "list_coupons", {{"merchant_id", kLunaCafe}});
  ASSERT_OK(r);
  std::vector<std::string> mine, claimable;
  for (const json& c : r->result["mine"]) mine.push_back(c["code"]);
  for (const json& c : r->result["claimable"]) claimable.push_back(c["code"]);
  EXPECT_NE(std::find(mine.begin(), mine.end(), "LUNA5"), mine.end()) << r->result.dump();
  EXPECT_NE(std::find(mine.begin(), mine.end(), "WELCOME10"), mine.end());
  EXPECT_NE(std::find(claimable.begin(), claimable.end(), "NIGHT8"), claimable.end());
  EXPECT_EQ(std::find(claimable.begin(), claimable.end(), "LUNA5"), claimable.end());
  EXPECT_EQ(std::find(claimable.begin(), claimable.end(), "EXPIRED20"), claimable.end());
  EXPECT_TRUE(has_card(*r, "coupon"));

  auto claimed = run(alice, "claim_coupon", {{"code", "NIGHT8"}});
  ASSERT_OK(claimed);
  EXPECT_EQ(claimed->result["claimed"]["code"], "NIGHT8");
  EXPECT_TRUE(fails_with(run(alice, "claim_coupon", {{"code", "NIGHT8"}}),
                         StatusCode::kFailedPrecondition, "code"));
  EXPECT_TRUE(fails_with(run(alice, "claim_coupon", {{"code", "ADMIN100"}}), StatusCode::kNotFound,
                         "code"));
}

TEST_P(EcosystemToolsTest, WalletAndTopUpOnce) {
  const UserContext alice = user(kAlice);
  auto w = run(alice, "get_wallet", json::object());
  ASSERT_OK(w);
  EXPECT_EQ(w->result["balance"], kAliceFunds);
  EXPECT_EQ(w->result["balance_text"], "¥500");
  EXPECT_TRUE(has_card(*w, "wallet"));

  const auto before = snapshot();
  auto draft = prepare(alice, "top_up_wallet", {{"amount", 10'000}});
  ASSERT_OK(draft);
  EXPECT_EQ(snapshot(), before);
  EXPECT_EQ(draft->content, json({{"amount", 10'000}, {"currency", "CNY"}}));
  EXPECT_EQ(draft->summary, "Top up the wallet with ¥100 (balance ¥500 -> ¥600)");
  auto done = tools_->commit(alice, *draft, "topup-1");
  ASSERT_OK(done);
  EXPECT_EQ(done->result["balance"], kAliceFunds + 10'000);
  auto again = tools_->commit(alice, *draft, "topup-1");
  ASSERT_OK(again);
  EXPECT_EQ(again->result["replayed"], true);
  EXPECT_EQ(wallet(kAlice), kAliceFunds + 10'000);
  EXPECT_TRUE(fails_with(prepare(alice, "top_up_wallet", {{"amount", 50}}),
                         StatusCode::kInvalidArgument, "amount"));
}

// ---- checkout --------------------------------------------------------------------------------

TEST_P(EcosystemToolsTest, TwoOatLattesToTheOfficeArePreparedThenPlacedOnce) {
  const UserContext alice = user(kAlice);
  add_two_lattes(alice);
  auto preview =
      run(alice, "preview_order", {{"merchant_id", kLunaCafe}, {"deliver_to", "office"}});
  ASSERT_OK(preview);
  EXPECT_EQ(preview->result["subtotal"], 4600);
  EXPECT_EQ(preview->result["total"], 4100) << preview->result.dump();
  EXPECT_EQ(preview->result["total_text"], "¥41");
  ASSERT_EQ(preview->result["coupons"].size(), 1u);
  EXPECT_EQ(preview->result["coupons"][0]["code"], "LUNA5");
  EXPECT_EQ(preview->result["deliver_to"], "office");
  EXPECT_TRUE(preview->result.contains("eta"));
  EXPECT_TRUE(has_card(*preview, "order"));

  const auto before = snapshot();
  const int64_t wallet_before = wallet(kAlice);
  auto draft = prepare(alice, "checkout", {{"merchant_id", kLunaCafe}, {"deliver_to", "office"}});
  ASSERT_OK(draft);
  EXPECT_EQ(snapshot(), before) << "prepare() wrote something";
  EXPECT_EQ(draft->tool, "checkout");
  EXPECT_EQ(draft->arguments, json({{"merchant_id", kLunaCafe},
                                    {"deliver_to", fmt::format("address:{}", kAliceOffice)}}));
  const json& content = draft->content;
  EXPECT_EQ(content["total"], 4100);
  EXPECT_EQ(content["subtotal"], 4600);
  EXPECT_EQ(content["discount"], 500);
  EXPECT_EQ(content["merchant"]["name_zh"], "露娜咖啡");
  EXPECT_EQ(content["address"]["address_id"], kAliceOffice);
  ASSERT_EQ(content["items"].size(), 1u);
  EXPECT_EQ(content["items"][0]["name_en"], "Oat Latte");
  EXPECT_EQ(content["items"][0]["quantity"], 2);
  ASSERT_EQ(content["coupons"].size(), 1u);
  EXPECT_EQ(content["coupons"][0]["code"], "LUNA5");
  EXPECT_FALSE(content.contains("eta"));  // moves with the clock: info, not content
  EXPECT_TRUE(draft->info.contains("eta"));
  EXPECT_NE(draft->summary.find("2 x Oat Latte"), std::string::npos) << draft->summary;
  EXPECT_NE(draft->summary.find("Luna Café -> office"), std::string::npos) << draft->summary;
  EXPECT_NE(draft->summary.find("¥46 - coupon ¥5 = ¥41"), std::string::npos) << draft->summary;

  // Deterministic: again, from its own arguments, in the other language, a minute later.
  clock_.advance_us(60'000'000);
  auto again = prepare(alice, "checkout", {{"merchant_id", kLunaCafe}, {"deliver_to", "office"}});
  ASSERT_OK(again);
  EXPECT_EQ(again->content, draft->content);
  auto from_args = prepare(user(kAlice, "zh"), "checkout", draft->arguments);
  ASSERT_OK(from_args);
  EXPECT_EQ(from_args->content, draft->content);
  EXPECT_EQ(from_args->arguments, draft->arguments);
  EXPECT_NE(from_args->summary.find("燕麦拿铁"), std::string::npos) << from_args->summary;
  EXPECT_NE(from_args->summary.find("露娜咖啡"), std::string::npos) << from_args->summary;

  auto placed = tools_->commit(alice, *draft, "agent-action-1");
  ASSERT_OK(placed);
  const int64_t order_id = placed->result["order_id"];
  EXPECT_GT(order_id, 0);
  EXPECT_EQ(placed->result["total"], 4100);
  EXPECT_EQ(placed->result["status"], "placed");
  EXPECT_TRUE(has_card(*placed, "order"));
  EXPECT_EQ(wallet(kAlice), wallet_before - 4100);

  // A second commit with the key executes nothing and answers with the same order.
  const auto after = snapshot();
  auto replay = tools_->commit(alice, *draft, "agent-action-1");
  ASSERT_OK(replay);
  EXPECT_EQ(replay->result["order_id"], order_id);
  EXPECT_EQ(replay->result["replayed"], true);
  EXPECT_EQ(snapshot(), after);
  EXPECT_EQ(wallet(kAlice), wallet_before - 4100);
  EXPECT_EQ(query("SELECT COUNT(*) FROM orders WHERE user_id = ?", {kAlice}), 1);
}

TEST_P(EcosystemToolsTest, APriceChangeBetweenPrepareAndCommitIsRefused) {
  const UserContext alice = user(kAlice);
  add_two_lattes(alice);
  auto draft = prepare(alice, "checkout", {{"merchant_id", kLunaCafe}, {"deliver_to", "office"}});
  ASSERT_OK(draft);
  exec("UPDATE menu_items SET price = price + 100 WHERE id = ?",
       {menu_item(kLunaCafe, "Oat Latte")});
  // The action store's re-prepare sees another content ...
  auto fresh = prepare(alice, "checkout", draft->arguments);
  ASSERT_OK(fresh);
  EXPECT_NE(fresh->content, draft->content);
  EXPECT_EQ(fresh->content["total"], 4300);
  // ... and a commit of the old draft is refused by the orders service: nothing is charged.
  const auto before = snapshot();
  EXPECT_TRUE(fails_with(tools_->commit(alice, *draft, "k-price"), StatusCode::kFailedPrecondition,
                         "total"));
  EXPECT_EQ(snapshot(), before);
  EXPECT_EQ(wallet(kAlice), kAliceFunds);
}

TEST_P(EcosystemToolsTest, CheckoutRefusals) {
  const UserContext alice = user(kAlice);
  EXPECT_TRUE(fails_with(prepare(alice, "checkout", {{"merchant_id", kLunaCafe}}),
                         StatusCode::kFailedPrecondition, "cart"));
  add_two_lattes(alice);
  EXPECT_TRUE(fails_with(
      prepare(alice, "checkout", {{"merchant_id", kLunaCafe}, {"deliver_to", "Manner Coffee"}}),
      StatusCode::kInvalidArgument, "deliver_to"));
  EXPECT_TRUE(
      fails_with(prepare(alice, "checkout",
                         {{"merchant_id", kLunaCafe}, {"deliver_to", "office"}, {"pickup", true}}),
                 StatusCode::kInvalidArgument, "deliver_to"));
  EXPECT_TRUE(fails_with(prepare(alice, "checkout", {{"merchant_id", 999999}}),
                         StatusCode::kNotFound, "merchant_id"));
  EXPECT_TRUE(fails_with(
      prepare(alice, "checkout",
              {{"merchant_id", kLunaCafe}, {"deliver_to", fmt::format("address:{}", kWangOffice)}}),
      StatusCode::kNotFound, "deliver_to"));

  // Pickup: no address, no delivery fee, the default address never asked for.
  auto pickup = prepare(alice, "checkout", {{"merchant_id", kLunaCafe}, {"pickup", true}});
  ASSERT_OK(pickup);
  EXPECT_TRUE(pickup->content["address"].is_null());
  EXPECT_EQ(pickup->content["fulfilment"], "pickup");
  EXPECT_EQ(pickup->arguments, json({{"merchant_id", kLunaCafe}, {"pickup", true}}));

  // No deliver_to: the default address (home).
  auto home = prepare(alice, "checkout", {{"merchant_id", kLunaCafe}});
  if (home.ok()) {
    EXPECT_EQ(home->content["address"]["address_id"], kAliceHome);
  } else {
    EXPECT_EQ(home.status().code(), StatusCode::kFailedPrecondition) << home.status().to_string();
  }

  // A key used for another draft is refused.
  auto office = prepare(alice, "checkout", {{"merchant_id", kLunaCafe}, {"deliver_to", "office"}});
  ASSERT_OK(office);
  ASSERT_OK(tools_->commit(alice, *office, "k-used"));
  add_two_lattes(alice);
  auto second = prepare(alice, "checkout", {{"merchant_id", kLunaCafe}, {"pickup", true}});
  ASSERT_OK(second);
  EXPECT_TRUE(fails_with(tools_->commit(alice, *second, "k-used"), StatusCode::kInvalidArgument,
                         "idempotency key"));
}

// ---- orders ----------------------------------------------------------------------------------

TEST_P(EcosystemToolsTest, OrdersAreListedAndCancelledOnce) {
  const int64_t order_id = place_latte_order("k-order");
  ASSERT_GT(order_id, 0);
  const UserContext alice = user(kAlice);
  auto list = run(alice, "list_orders", json::object());
  ASSERT_OK(list);
  ASSERT_EQ(list->result["orders"].size(), 1u);
  EXPECT_EQ(list->result["orders"][0]["order_id"], order_id);
  EXPECT_TRUE(
      list->result["orders"][0]["items"][0].get<std::string>().starts_with("2 x Oat Latte (Medium"))
      << list->result.dump();
  auto got = run(alice, "get_order", {{"order_id", order_id}});
  ASSERT_OK(got);
  EXPECT_EQ(got->result["coupons"], json::array({"LUNA5"}));
  EXPECT_FALSE(got->result["timeline"].empty());

  // Another user's order is as unknown as a missing one.
  const UserContext wang = user(kWang);
  EXPECT_TRUE(fails_with(run(wang, "get_order", {{"order_id", order_id}}), StatusCode::kNotFound,
                         "order_id"));
  EXPECT_TRUE(fails_with(prepare(wang, "cancel_order", {{"order_id", order_id}}),
                         StatusCode::kNotFound, "order_id"));
  auto wang_list = run(wang, "list_orders", json::object());
  ASSERT_OK(wang_list);
  EXPECT_TRUE(wang_list->result["orders"].empty());

  const auto before = snapshot();
  auto draft =
      prepare(alice, "cancel_order", {{"order_id", order_id}, {"reason", "changed my mind"}});
  ASSERT_OK(draft);
  EXPECT_EQ(snapshot(), before);
  EXPECT_EQ(draft->content["refund"], 4100);
  EXPECT_EQ(draft->summary,
            fmt::format("Cancel order {} at Luna Café; ¥41 back to the wallet", order_id));
  auto done = tools_->commit(alice, *draft, "k-cancel");
  ASSERT_OK(done);
  EXPECT_EQ(done->result["status"], "cancelled");
  EXPECT_EQ(wallet(kAlice), kAliceFunds);
  const auto after = snapshot();
  auto replay = tools_->commit(alice, *draft, "k-cancel");
  ASSERT_OK(replay);
  EXPECT_EQ(replay->result["replayed"], true);
  EXPECT_EQ(replay->result["order_id"], order_id);
  EXPECT_EQ(replay->result["status"], "cancelled");
  EXPECT_EQ(snapshot()["ledger_txns"], after.at("ledger_txns"));
  EXPECT_EQ(snapshot()["order_events"], after.at("order_events"));
  EXPECT_TRUE(fails_with(prepare(alice, "cancel_order", {{"order_id", order_id}}),
                         StatusCode::kFailedPrecondition, "already cancelled"));
}

TEST_P(EcosystemToolsTest, RefundIsRequestedAfterDeliveryOnce) {
  const int64_t order_id = place_latte_order("k-order");
  ASSERT_GT(order_id, 0);
  const UserContext alice = user(kAlice);
  EXPECT_TRUE(fails_with(prepare(alice, "request_refund",
                                 {{"order_id", order_id}, {"amount", 1000}, {"reason", "cold"}}),
                         StatusCode::kFailedPrecondition, "after delivery"));
  const Actor luna{.user_id = kLunaOwner, .role = Role::kMerchant};
  for (services::OrderStatus s :
       {services::OrderStatus::kAccepted, services::OrderStatus::kPreparing,
        services::OrderStatus::kOnTheWay, services::OrderStatus::kDelivered}) {
    auto moved = orders_->advance(luna, order_id, s);
    ASSERT_OK(moved);
  }
  EXPECT_TRUE(fails_with(prepare(alice, "request_refund",
                                 {{"order_id", order_id}, {"amount", 5000}, {"reason", "cold"}}),
                         StatusCode::kFailedPrecondition, "amount"));
  EXPECT_TRUE(fails_with(prepare(user(kWang), "request_refund",
                                 {{"order_id", order_id}, {"amount", 1000}, {"reason", "cold"}}),
                         StatusCode::kNotFound, "order_id"));
  const auto before = snapshot();
  auto draft =
      prepare(alice, "request_refund",
              {{"order_id", order_id}, {"amount", 1000}, {"reason", "the coffee was cold"}});
  ASSERT_OK(draft);
  EXPECT_EQ(snapshot(), before);
  EXPECT_EQ(draft->content["amount"], 1000);
  EXPECT_EQ(draft->content["paid"], 4100);
  auto done = tools_->commit(alice, *draft, "k-refund");
  ASSERT_OK(done);
  EXPECT_EQ(done->result["status"], "open");
  auto replay = tools_->commit(alice, *draft, "k-refund");
  ASSERT_OK(replay);
  EXPECT_EQ(replay->result["after_sale_id"], done->result["after_sale_id"]);
  EXPECT_EQ(replay->result["replayed"], true);
  EXPECT_EQ(query("SELECT COUNT(*) FROM after_sales WHERE order_id = ?", {order_id}), 1);
  EXPECT_TRUE(fails_with(prepare(alice, "request_refund",
                                 {{"order_id", order_id}, {"amount", 500}, {"reason", "again"}}),
                         StatusCode::kFailedPrecondition, "open after-sales"));
}

// ---- bookings --------------------------------------------------------------------------------

TEST_P(EcosystemToolsTest, TableIsFoundBookedAndCancelledOnce) {
  const UserContext alice = user(kAlice);
  const json dinner = {
      {"place_id", kSichuanPlace}, {"date", "2026-01-05"}, {"time", "19:00"}, {"party_size", 4}};
  auto free = run(alice, "table_availability", dinner);
  ASSERT_OK(free);
  EXPECT_EQ(free->result["available"], true) << free->result.dump();
  EXPECT_EQ(free->result["place"]["name"], "Shu Flavour Sichuan Kitchen");
  EXPECT_TRUE(has_card(*free, "availability"));

  EXPECT_TRUE(fails_with(prepare(alice, "book_table",
                                 {{"place_id", kSichuanPlace},
                                  {"date", "2026-01-05"},
                                  {"time", "19:15"},
                                  {"party_size", 4}}),
                         StatusCode::kInvalidArgument, "time"));
  EXPECT_TRUE(fails_with(prepare(alice, "book_table",
                                 {{"place_id", kSichuanPlace},
                                  {"date", "2026-02-30"},
                                  {"time", "19:00"},
                                  {"party_size", 4}}),
                         StatusCode::kInvalidArgument, "date"));
  EXPECT_TRUE(fails_with(prepare(alice, "book_table",
                                 {{"place_id", kSichuanPlace},
                                  {"date", "2026-01-05"},
                                  {"time", "08:00"},
                                  {"party_size", 4}}),
                         StatusCode::kInvalidArgument, "not in the future"));
  // Closed between lunch and dinner.
  EXPECT_TRUE(fails_with(prepare(alice, "book_table",
                                 {{"place_id", kSichuanPlace},
                                  {"date", "2026-01-05"},
                                  {"time", "15:00"},
                                  {"party_size", 4}}),
                         StatusCode::kFailedPrecondition, "time"));
  EXPECT_TRUE(fails_with(
      prepare(alice, "book_table",
              {{"place_id", 999999}, {"date", "2026-01-05"}, {"time", "19:00"}, {"party_size", 4}}),
      StatusCode::kNotFound, "place_id"));

  const auto before = snapshot();
  auto draft = prepare(alice, "book_table", dinner);
  ASSERT_OK(draft);
  EXPECT_EQ(snapshot(), before);
  EXPECT_EQ(draft->content["party_size"], 4);
  EXPECT_EQ(draft->content["time"], "19:00");
  EXPECT_EQ(draft->summary, "Table for 4 at Shu Flavour Sichuan Kitchen, 2026-01-05 19:00");
  auto zh = prepare(user(kAlice, "zh"), "book_table", draft->arguments);
  ASSERT_OK(zh);
  EXPECT_EQ(zh->content, draft->content);
  EXPECT_EQ(zh->summary, "预订蜀味川菜馆，2026-01-05 19:00，4位");

  auto booked = tools_->commit(alice, *draft, "k-table");
  ASSERT_OK(booked);
  EXPECT_EQ(booked->result["status"], "booked");
  ASSERT_OK(tools_->commit(alice, *draft, "k-table"));
  EXPECT_EQ(query("SELECT COUNT(*) FROM table_bookings WHERE user_id = ?", {kAlice}), 1);
  const int64_t booking = booked->result["booking_id"];

  auto listed = run(alice, "list_bookings", {{"kind", "table"}});
  ASSERT_OK(listed);
  ASSERT_EQ(listed->result["tables"].size(), 1u);
  EXPECT_FALSE(listed->result.contains("rides"));
  auto wang_list = run(user(kWang), "list_bookings", json::object());
  ASSERT_OK(wang_list);
  EXPECT_TRUE(wang_list->result["tables"].empty());

  EXPECT_TRUE(fails_with(
      prepare(user(kWang), "cancel_booking", {{"kind", "table"}, {"booking_id", booking}}),
      StatusCode::kNotFound, "booking_id"));
  auto cancel = prepare(alice, "cancel_booking", {{"kind", "table"}, {"booking_id", booking}});
  ASSERT_OK(cancel);
  EXPECT_EQ(cancel->content["refund"], 0);
  auto cancelled = tools_->commit(alice, *cancel, "k-cancel-table");
  ASSERT_OK(cancelled);
  EXPECT_EQ(cancelled->result["status"], "cancelled");
  auto replay = tools_->commit(alice, *cancel, "k-cancel-table");
  ASSERT_OK(replay);
  EXPECT_EQ(replay->result["replayed"], true);
  EXPECT_EQ(replay->result["status"], "cancelled");
}

TEST_P(EcosystemToolsTest, HotelIsBookedAtTheQuotedPriceOnly) {
  const UserContext alice = user(kAlice);
  ASSERT_TRUE(services::testing::fund_wallet(*db_, kAlice, 500'000, kNowUs).ok());
  const int64_t funds = wallet(kAlice);
  const json stay = {{"place_id", kHotelPlace},
                     {"check_in", "2026-01-10"},
                     {"check_out", "2026-01-12"},
                     {"guests", 2}};
  auto rooms = run(alice, "hotel_availability", stay);
  ASSERT_OK(rooms);
  ASSERT_FALSE(rooms->result["room_types"].empty()) << rooms->result.dump();
  const json& room = rooms->result["room_types"][0];
  EXPECT_EQ(rooms->result["nights"], 2);
  EXPECT_EQ(room["total"].get<int64_t>(), 2 * room["price_per_night"].get<int64_t>());
  EXPECT_TRUE(fails_with(run(alice, "hotel_availability",
                             {{"place_id", kHotelPlace},
                              {"check_in", "2026-01-12"},
                              {"check_out", "2026-01-10"},
                              {"guests", 2}}),
                         StatusCode::kInvalidArgument, "check_out"));

  const json booking_args = {{"room_type_id", room["room_type_id"]},
                             {"check_in", "2026-01-10"},
                             {"check_out", "2026-01-12"},
                             {"guests", 2}};
  const auto before = snapshot();
  auto draft = prepare(alice, "book_hotel", booking_args);
  ASSERT_OK(draft);
  EXPECT_EQ(snapshot(), before);
  EXPECT_EQ(draft->content["total"], room["total"]);
  EXPECT_EQ(draft->content["hotel"]["name_en"], "Lakeview Hotel");

  // A price change between prepare and commit: the hotel service refuses the old total.
  auto second = prepare(alice, "book_hotel", booking_args);
  ASSERT_OK(second);
  exec("UPDATE hotel_room_types SET price_per_night = price_per_night + 1000 WHERE id = ?",
       {room["room_type_id"].get<int64_t>()});
  EXPECT_TRUE(fails_with(tools_->commit(alice, *second, "k-hotel-old"),
                         StatusCode::kFailedPrecondition, ""));
  EXPECT_EQ(wallet(kAlice), funds);
  exec("UPDATE hotel_room_types SET price_per_night = price_per_night - 1000 WHERE id = ?",
       {room["room_type_id"].get<int64_t>()});

  auto booked = tools_->commit(alice, *draft, "k-hotel");
  ASSERT_OK(booked);
  EXPECT_EQ(booked->result["status"], "booked");
  const int64_t total = room["total"];
  EXPECT_EQ(wallet(kAlice), funds - total);
  auto replay = tools_->commit(alice, *draft, "k-hotel");
  ASSERT_OK(replay);
  EXPECT_EQ(replay->result["replayed"], true);
  EXPECT_EQ(wallet(kAlice), funds - total);

  // Cancelled before the check-in day: all of it back.
  const int64_t id = booked->result["booking_id"];
  auto cancel = prepare(alice, "cancel_booking", {{"kind", "hotel"}, {"booking_id", id}});
  ASSERT_OK(cancel);
  EXPECT_EQ(cancel->content["refund"], total);
  ASSERT_OK(tools_->commit(alice, *cancel, "k-hotel-cancel"));
  EXPECT_EQ(wallet(kAlice), funds);
}

TEST_P(EcosystemToolsTest, RideIsQuotedRequestedAndCancelledOnce) {
  const UserContext alice = user(kAlice);
  auto quote =
      run(alice, "ride_quote", {{"from", "office"}, {"to", "Eastlake International Airport"}});
  ASSERT_OK(quote);
  ASSERT_EQ(quote->result["options"].size(), 3u);
  EXPECT_EQ(quote->result["options"][0]["vehicle"], "economy");
  EXPECT_TRUE(has_card(*quote, "ride_quote"));

  const auto before = snapshot();
  auto draft = prepare(
      alice, "request_ride",
      {{"from", "office"}, {"to", "Eastlake International Airport"}, {"vehicle", "economy"}});
  ASSERT_OK(draft);
  EXPECT_EQ(snapshot(), before);
  EXPECT_EQ(draft->arguments["from"], fmt::format("address:{}", kAliceOffice));
  EXPECT_EQ(draft->arguments["to"], fmt::format("place:{}", kAirportPlace));
  const int64_t price = draft->content["price"];
  EXPECT_EQ(price, quote->result["options"][0]["price"].get<int64_t>());

  auto ride = tools_->commit(alice, *draft, "k-ride");
  ASSERT_OK(ride);
  EXPECT_EQ(ride->result["status"], "requested");
  EXPECT_EQ(wallet(kAlice), kAliceFunds - price);
  auto replay = tools_->commit(alice, *draft, "k-ride");
  ASSERT_OK(replay);
  EXPECT_EQ(replay->result["replayed"], true);
  EXPECT_EQ(query("SELECT COUNT(*) FROM rides WHERE user_id = ?", {kAlice}), 1);

  // Free to cancel while no driver is assigned.
  const int64_t id = ride->result["booking_id"];
  const auto before_cancel = snapshot();
  auto cancel = prepare(alice, "cancel_booking", {{"kind", "ride"}, {"booking_id", id}});
  ASSERT_OK(cancel);
  EXPECT_EQ(snapshot(), before_cancel);
  EXPECT_EQ(cancel->content["fee"], 0);
  EXPECT_EQ(cancel->content["refund"], price);
  ASSERT_OK(tools_->commit(alice, *cancel, "k-ride-cancel"));
  EXPECT_EQ(wallet(kAlice), kAliceFunds);
  EXPECT_TRUE(fails_with(prepare(alice, "cancel_booking", {{"kind", "ride"}, {"booking_id", id}}),
                         StatusCode::kFailedPrecondition, "cancelled"));
}

TEST_P(EcosystemToolsTest, ARideFromTheDevicePositionBindsThatPosition) {
  UserContext alice = user(kAlice);
  alice.location = services::LatLon{30.2554321, 120.1631234};
  auto draft = prepare(alice, "request_ride", {{"to", "home"}, {"vehicle", "comfort"}});
  ASSERT_OK(draft);
  EXPECT_EQ(draft->arguments["from"], "30.255432,120.163123");
  EXPECT_EQ(draft->content["from"]["lat"], 30.255432);
  EXPECT_NE(draft->summary.find("current location -> home"), std::string::npos) << draft->summary;
  // The action store re-prepares from the arguments, wherever the phone is by then.
  alice.location = services::LatLon{30.26, 120.17};
  auto again = prepare(alice, "request_ride", draft->arguments);
  ASSERT_OK(again);
  EXPECT_EQ(again->content, draft->content);
  EXPECT_TRUE(fails_with(prepare(alice, "request_ride", {{"to", "home"}, {"vehicle", "rocket"}}),
                         StatusCode::kInvalidArgument, "vehicle"));
}

// Confirms racing on several threads (or nodes) with one key: one order, one cancellation, and
// every caller gets the same answer.
TEST_P(EcosystemToolsTest, ConcurrentCommitsWithOneKeyExecuteOnce) {
  const UserContext alice = user(kAlice);
  add_two_lattes(alice);
  auto draft = prepare(alice, "checkout", {{"merchant_id", kLunaCafe}, {"deliver_to", "office"}});
  ASSERT_OK(draft);
  constexpr int kThreads = 4;
  std::vector<Result<ToolResult>> placed(kThreads, Status(StatusCode::kInternal, "not run"));
  {
    std::vector<std::thread> threads;
    for (int i = 0; i < kThreads; ++i)
      threads.emplace_back([&, i] { placed[i] = tools_->commit(alice, *draft, "k-race"); });
    for (std::thread& t : threads) t.join();
  }
  ASSERT_OK(placed[0]);
  const int64_t order_id = placed[0]->result["order_id"];
  for (const auto& r : placed) {
    ASSERT_OK(r);
    EXPECT_EQ(r->result["order_id"], order_id);
  }
  EXPECT_EQ(query("SELECT COUNT(*) FROM orders WHERE user_id = ?", {kAlice}), 1);
  EXPECT_EQ(wallet(kAlice), kAliceFunds - 4100);

  auto cancel = prepare(alice, "cancel_order", {{"order_id", order_id}});
  ASSERT_OK(cancel);
  std::vector<Result<ToolResult>> cancelled(kThreads, Status(StatusCode::kInternal, "not run"));
  {
    std::vector<std::thread> threads;
    for (int i = 0; i < kThreads; ++i)
      threads.emplace_back(
          [&, i] { cancelled[i] = tools_->commit(alice, *cancel, "k-race-cancel"); });
    for (std::thread& t : threads) t.join();
  }
  int replayed = 0;
  for (const auto& r : cancelled) {
    ASSERT_OK(r);
    EXPECT_EQ(r->result["status"], "cancelled");
    replayed += r->result.value("replayed", false) ? 1 : 0;
  }
  EXPECT_EQ(replayed, kThreads - 1);
  EXPECT_EQ(query("SELECT COUNT(*) FROM order_events WHERE order_id = ? AND status = 'cancelled'",
                  {order_id}),
            1);
  EXPECT_EQ(wallet(kAlice), kAliceFunds);
}

INSTANTIATE_TEST_SUITE_P(Db, EcosystemToolsTest,
                         ::testing::Values(DbKind::kSqlite, DbKind::kPostgres),
                         [](const ::testing::TestParamInfo<DbKind>& info) {
                           return services::testing::kind_name(info.param);
                         });

}  // namespace
}  // namespace qwl::agent
