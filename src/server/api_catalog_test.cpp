// The catalog routes over real HTTP on 127.0.0.1, with a real AppApi, server, search index and
// maps, on SQLite and PostgreSQL databases seeded with the demo city (services/seed.h) at its
// "now" (Monday 10:30 in the city): search in English and Chinese ("oat latte", 珍珠奶茶),
// filters (category, brand, price, attributes, open now, rating, distance), sorts and pages, a
// product with its variants, a merchant with its hours, a menu with its options, a delisted
// product per role, a product added after start-up found after a refresh, authentication (401
// without a key), and bad input named by its parameter.
#include "server/api_catalog.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <vector>

#include "server/api_maps.h"
#include "server/http_server.h"
#include "services/identity.h"
#include "services/maps.h"
#include "services/search.h"
#include "services/seed.h"
#include "services/services_testing.h"

namespace qwl::app {
namespace {

using nlohmann::json;

// The seeded city's users and records (seed.h, seed_internal.h: fixed ids).
constexpr int64_t kAlice = 1;
constexpr int64_t kLunaOwner = 3;
constexpr int64_t kAdmin = 5;
constexpr int64_t kLunaCafe = 1;  // merchant 1 at place 1
// Monday 2026-01-05, 10:30 in the city: cafés and tea shops open, Sichuan lunch not yet.
constexpr int64_t kNowUs = services::kSeedEpochUs + (10 * 60 + 30) * 60'000'000LL;

struct Reply {
  int status = 0;
  std::string www_authenticate;
  std::string body;

  json json_body() const { return json::parse(body, nullptr, false); }
  std::string error_field(const std::string& name) const {
    const json j = json_body();
    if (!j.is_object() || !j.contains("error") || !j["error"][name].is_string()) return "";
    return j["error"][name].get<std::string>();
  }
};

// One request on its own connection (Connection: close), read to the end.
Reply http_request(uint16_t port, std::string_view method, std::string_view target,
                   std::string_view body, const std::string& key) {
  Reply reply;
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    ::close(fd);
    return reply;
  }
  std::string out = fmt::format("{} {} HTTP/1.1\r\nHost: 127.0.0.1:{}\r\nConnection: close\r\n",
                                method, target, port);
  if (!key.empty()) out += fmt::format("Authorization: Bearer {}\r\n", key);
  if (method == "POST")
    out += fmt::format("Content-Type: application/json\r\nContent-Length: {}\r\n", body.size());
  out += "\r\n";
  out += body;
  for (std::string_view rest = out; !rest.empty();) {
    const ssize_t n = ::send(fd, rest.data(), rest.size(), MSG_NOSIGNAL);
    if (n <= 0) break;
    rest.remove_prefix(static_cast<size_t>(n));
  }
  std::string in;
  char buf[16384];
  for (ssize_t n; (n = ::recv(fd, buf, sizeof(buf), 0)) > 0;)
    in.append(buf, static_cast<size_t>(n));
  ::close(fd);
  const size_t head_end = in.find("\r\n\r\n");
  if (head_end == std::string::npos || in.size() < 12) return reply;
  reply.status = std::atoi(in.substr(9, 3).c_str());
  const std::string head = in.substr(0, head_end);
  const size_t auth = head.find("WWW-Authenticate: ");
  if (auth != std::string::npos) {
    const size_t start = auth + 18;
    reply.www_authenticate = head.substr(start, head.find("\r\n", start) - start);
  }
  reply.body = in.substr(head_end + 4);
  return reply;
}

// Percent-encodes a query value (UTF-8 bytes included).
std::string url(std::string_view text) {
  std::string out;
  for (unsigned char c : text) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~')
      out += static_cast<char>(c);
    else
      out += fmt::format("%{:02X}", c);
  }
  return out;
}

struct Client {
  uint16_t port = 0;
  std::string key;
  Reply get(std::string_view target) const { return http_request(port, "GET", target, "", key); }
};

// The seeded city behind a running server, one per database kind, shared by every test of the
// suite (the tests only read, except those that change a record and put it back, or add their
// own).
struct World {
  ManualClock clock{kNowUs};
  services::SeededRandom random{11};
  std::unique_ptr<Db> db;
  std::unique_ptr<services::Identity> identity;
  std::unique_ptr<services::SearchIndex> index;
  std::unique_ptr<services::Maps> maps;
  std::unique_ptr<AppApi> api;
  std::unique_ptr<http::Server> server;

  ~World() {
    if (server) server->stop(std::chrono::milliseconds(0));
  }
  Status start(DbKind kind) {
    QWL_ASSIGN_OR_RETURN(db, services::testing::fresh_db(kind, DbOptions{.pool_size = 4}));
    QWL_RETURN_IF_ERROR(services::seed_ecosystem(*db, services::SeedOptions{}, clock).status());
    identity = std::make_unique<services::Identity>(
        *db, clock, random, services::IdentityOptions{.password_iterations = 100});
    QWL_ASSIGN_OR_RETURN(index, services::SearchIndex::build(*db, clock));
    QWL_ASSIGN_OR_RETURN(maps, services::Maps::load(*db, clock));
    api = std::make_unique<AppApi>(*identity);
    QWL_RETURN_IF_ERROR(add_catalog_routes(*api, *db, clock, *index));
    QWL_RETURN_IF_ERROR(add_map_routes(*api, *db, clock, *maps));
    server = std::make_unique<http::Server>(http::ServerOptions{.port = 0});
    QWL_RETURN_IF_ERROR(api->register_routes(*server));
    return server->start();
  }
};

std::map<DbKind, std::unique_ptr<World>>& worlds() {
  static auto* w = new std::map<DbKind, std::unique_ptr<World>>();
  return *w;
}

class ApiCatalogTest : public ::testing::TestWithParam<DbKind> {
 protected:
  void SetUp() override {
    std::unique_ptr<World>& w = worlds()[GetParam()];
    if (!w) {
      auto fresh = std::make_unique<World>();
      const Status started = fresh->start(GetParam());
      ASSERT_TRUE(started.ok()) << started.to_string();
      w = std::move(fresh);
    }
    world_ = w.get();
    db_ = world_->db.get();
    index_ = world_->index.get();
    alice_ = key_for(kAlice);
    luna_owner_ = key_for(kLunaOwner);
    admin_ = key_for(kAdmin);
  }
  static void TearDownTestSuite() { worlds().clear(); }

  std::string key_for(int64_t user_id) {
    auto key =
        world_->identity->create_api_key(services::Actor::system(), user_id, {.name = "test"});
    EXPECT_TRUE(key.ok()) << key.status().to_string();
    return key.ok() ? key->key : "";
  }
  Client as(const std::string& key) const {
    return Client{.port = world_->server->port(), .key = key};
  }
  Client alice() const { return as(alice_); }

  // A 200 JSON body (the test fails otherwise).
  static json ok_json(const Reply& r) {
    EXPECT_EQ(r.status, 200) << r.body;
    return r.json_body();
  }
  // A 400 that names `param`.
  static void expect_bad(const Reply& r, std::string_view param, std::string_view what) {
    EXPECT_EQ(r.status, 400) << what << ": " << r.body;
    EXPECT_EQ(r.error_field("code"), "invalid_argument") << what;
    EXPECT_EQ(r.error_field("param"), param) << what << ": " << r.body;
    EXPECT_TRUE(r.error_field("message").starts_with(std::string(param)))
        << what << ": " << r.error_field("message");
  }
  static std::vector<int64_t> ids(const json& list) {
    std::vector<int64_t> out;
    for (const json& o : list["data"]) out.push_back(o["id"].get<int64_t>());
    return out;
  }
  Status exec(std::string_view sql, Params params) {
    return db_->transact([&](Tx& tx) { return tx.exec(sql, params).status(); });
  }

  World* world_ = nullptr;
  Db* db_ = nullptr;
  services::SearchIndex* index_ = nullptr;
  std::string alice_, luna_owner_, admin_;
};

// ---- authentication ------------------------------------------------------------------------

TEST_P(ApiCatalogTest, EveryRouteNeedsAKey) {
  for (const std::string target : {"/api/v1/search?q=latte", "/api/v1/products/1",
                                   "/api/v1/merchants/1", "/api/v1/merchants/1/menu"}) {
    Reply none = as("").get(target);
    EXPECT_EQ(none.status, 401) << target << ": " << none.body;
    EXPECT_EQ(none.error_field("code"), "unauthenticated") << target;
    EXPECT_EQ(none.www_authenticate, "Bearer") << target;
    EXPECT_EQ(as("qwl-not-a-real-key-0123456789").get(target).status, 401) << target;
  }
}

// ---- search --------------------------------------------------------------------------------

TEST_P(ApiCatalogTest, OatLatteFindsTheCafesThatSellItWithTheMatchedItem) {
  json j = ok_json(alice().get("/api/v1/search?type=merchants&q=" + url("oat latte")));
  EXPECT_EQ(j["object"], "list");
  ASSERT_FALSE(j["data"].empty()) << j.dump();
  EXPECT_GE(j["total"].get<int64_t>(), static_cast<int64_t>(j["data"].size()));
  EXPECT_EQ(j["has_more"].get<bool>(),
            j["total"].get<int64_t>() > static_cast<int64_t>(j["data"].size()));
  std::set<std::string> names;
  for (const json& m : j["data"]) {
    EXPECT_EQ(m["object"], "merchant");
    EXPECT_EQ(m["currency"], "CNY");
    names.insert(m["name_en"].get<std::string>());
    ASSERT_FALSE(m["matched_items"].empty()) << m.dump();
    const json& item = m["matched_items"][0];
    EXPECT_EQ(item["object"], "menu_item");
    EXPECT_EQ(item["name_en"], "Oat Latte") << m.dump();
    EXPECT_EQ(item["name_zh"], "燕麦拿铁");
    EXPECT_TRUE(item["price"].is_number_integer());
    if (m["id"] == kLunaCafe) {
      EXPECT_EQ(m["name_zh"], "露娜咖啡");
      EXPECT_EQ(item["price"], 2300);  // 23.00 CNY in fen
      EXPECT_DOUBLE_EQ(m["rating"].get<double>(), 4.7);
      EXPECT_EQ(m["open_now"], true);
    }
  }
  EXPECT_TRUE(names.count("Luna Café")) << j.dump();
  EXPECT_TRUE(names.count("Manner Coffee")) << j.dump();

  // The same in Chinese.
  json zh = ok_json(alice().get("/api/v1/search?type=merchants&q=" + url("燕麦拿铁")));
  std::set<int64_t> zh_ids;
  for (int64_t id : ids(zh)) zh_ids.insert(id);
  EXPECT_TRUE(zh_ids.count(kLunaCafe)) << zh.dump();
}

TEST_P(ApiCatalogTest, PearlMilkTeaInChineseFindsTheTeaShops) {
  json j = ok_json(alice().get("/api/v1/search?type=merchants&q=" + url("珍珠奶茶")));
  ASSERT_FALSE(j["data"].empty()) << j.dump();
  bool cloud_nine = false;
  for (const json& m : j["data"]) {
    EXPECT_EQ(m["kind"], "tea") << m.dump();
    ASSERT_FALSE(m["matched_items"].empty());
    EXPECT_EQ(m["matched_items"][0]["name_zh"], "珍珠奶茶") << m.dump();
    EXPECT_EQ(m["matched_items"][0]["name_en"], "Pearl Milk Tea");
    if (m["name_en"] == "Cloud Nine Tea") cloud_nine = true;
  }
  EXPECT_TRUE(cloud_nine) << j.dump();
  // English finds the same shops.
  json en =
      ok_json(alice().get("/api/v1/search?type=merchants&limit=100&q=" + url("pearl milk tea")));
  std::set<int64_t> en_ids;
  for (int64_t id : ids(en)) en_ids.insert(id);
  for (int64_t id : ids(j)) EXPECT_TRUE(en_ids.count(id)) << id;
}

TEST_P(ApiCatalogTest, ProductsSortByPriceAndPagesAddUp) {
  json all = ok_json(alice().get("/api/v1/search?sort=price_asc&limit=30"));
  ASSERT_EQ(all["data"].size(), 30u) << all.dump();
  EXPECT_TRUE(all["has_more"].get<bool>());
  EXPECT_GT(all["total"].get<int64_t>(), 30);
  int64_t last = -1;
  for (const json& p : all["data"]) {
    EXPECT_EQ(p["object"], "product");
    EXPECT_EQ(p["currency"], "CNY");
    EXPECT_EQ(p["merchant"]["object"], "merchant");
    ASSERT_TRUE(p["price"].is_number_integer()) << p.dump();
    EXPECT_GE(p["price"].get<int64_t>(), last);
    last = p["price"].get<int64_t>();
  }
  // Three pages of ten are the first thirty.
  std::vector<int64_t> paged;
  for (int offset = 0; offset < 30; offset += 10) {
    json page = ok_json(
        alice().get(fmt::format("/api/v1/search?sort=price_asc&limit=10&offset={}", offset)));
    EXPECT_EQ(page["total"], all["total"]);
    for (int64_t id : ids(page)) paged.push_back(id);
  }
  EXPECT_EQ(paged, ids(all));
  // The last page says there is no more.
  const int64_t total = all["total"].get<int64_t>();
  json tail = ok_json(alice().get(fmt::format("/api/v1/search?limit=5&offset={}", total - 3)));
  EXPECT_EQ(tail["data"].size(), 3u);
  EXPECT_FALSE(tail["has_more"].get<bool>());
}

TEST_P(ApiCatalogTest, ProductFiltersHoldForEveryHit) {
  // Price range, in fen.
  json priced = ok_json(alice().get("/api/v1/search?min_price=1000&max_price=5000&limit=100"));
  ASSERT_FALSE(priced["data"].empty());
  for (const json& p : priced["data"]) {
    EXPECT_GE(p["price"].get<int64_t>(), 1000);
    EXPECT_LE(p["price"].get<int64_t>(), 5000);
  }
  // Rating.
  json rated = ok_json(alice().get("/api/v1/search?min_rating=4.5&sort=rating&limit=50"));
  ASSERT_FALSE(rated["data"].empty());
  for (const json& p : rated["data"]) EXPECT_GE(p["rating"].get<double>(), 4.5) << p.dump();

  // A product's own category (by id and by name) and attribute find it again.
  const json first = ok_json(alice().get("/api/v1/search?limit=1"))["data"][0];
  const json product =
      ok_json(alice().get(fmt::format("/api/v1/products/{}", first["id"].get<int64_t>())));
  const int64_t category = product["category"]["id"].get<int64_t>();
  for (const std::string& c :
       {std::to_string(category), url(product["category"]["name_en"].get<std::string>()),
        url(product["category"]["name_zh"].get<std::string>())}) {
    json in_category = ok_json(alice().get("/api/v1/search?limit=100&category=" + c));
    ASSERT_FALSE(in_category["data"].empty()) << c;
    for (const json& p : in_category["data"]) {
      // The category itself or one below it: compare with each hit's category path.
      if (p["category_id"] == category) continue;
      const json detail =
          ok_json(alice().get(fmt::format("/api/v1/products/{}", p["id"].get<int64_t>())));
      bool below = false;
      for (const json& c2 : detail["category_path"]) below = below || c2["id"] == category;
      EXPECT_TRUE(below) << c << ": " << detail.dump();
    }
  }
  ASSERT_FALSE(product["attributes"].empty()) << product.dump();
  const std::string name = product["attributes"].begin().key();
  const std::string value = product["attributes"].begin().value().get<std::string>();
  json with_attr = ok_json(
      alice().get(fmt::format("/api/v1/search?limit=20&attr.{}={}", url(name), url(value))));
  ASSERT_FALSE(with_attr["data"].empty());
  bool found_first = false;
  for (const json& p : with_attr["data"]) {
    found_first = found_first || p["id"] == first["id"];
    const json detail =
        ok_json(alice().get(fmt::format("/api/v1/products/{}", p["id"].get<int64_t>())));
    EXPECT_EQ(detail["attributes"][name], value) << detail.dump();
  }
  EXPECT_TRUE(with_attr["total"].get<int64_t>() > 20 || found_first);

  // A brand by id.
  json branded = ok_json(alice().get("/api/v1/search?limit=100&brand=1"));
  for (const json& p : branded["data"]) EXPECT_EQ(p["brand_id"], 1);
}

TEST_P(ApiCatalogTest, MerchantsOpenNowNearestFirstWithinARadius) {
  // Shu Flavour Sichuan Kitchen opens at 11:00: found, but closed at 10:30.
  json sichuan = ok_json(alice().get("/api/v1/search?type=merchants&q=" + url("Shu Flavour")));
  ASSERT_FALSE(sichuan["data"].empty()) << sichuan.dump();
  const json& shu = sichuan["data"][0];
  EXPECT_EQ(shu["name_zh"], "蜀味川菜馆");
  EXPECT_EQ(shu["open_now"], false);
  json open = ok_json(
      alice().get("/api/v1/search?type=merchants&open_now=true&limit=100&q=" + url("Shu Flavour")));
  for (int64_t id : ids(open)) EXPECT_NE(id, shu["id"].get<int64_t>());
  json open_restaurants =
      ok_json(alice().get("/api/v1/search?type=merchants&kind=restaurant&open_now=true&limit=100"));
  for (const json& m : open_restaurants["data"]) {
    EXPECT_EQ(m["open_now"], true) << m.dump();
    EXPECT_EQ(m["kind"], "restaurant");
  }

  // Around Luna Café (place 1): nearest first, within the radius.
  const json luna = ok_json(alice().get("/api/v1/merchants/1"));
  const double lat = luna["location"]["lat"].get<double>();
  const double lon = luna["location"]["lon"].get<double>();
  json near = ok_json(alice().get(fmt::format(
      "/api/v1/search?type=merchants&sort=distance&lat={}&lon={}&radius=800&limit=50", lat, lon)));
  ASSERT_FALSE(near["data"].empty());
  EXPECT_EQ(near["data"][0]["id"], kLunaCafe);
  EXPECT_EQ(near["data"][0]["distance_m"], 0);
  int64_t last = 0;
  for (const json& m : near["data"]) {
    const int64_t d = m["distance_m"].get<int64_t>();
    EXPECT_GE(d, last);
    EXPECT_LE(d, 800);
    last = d;
  }
}

TEST_P(ApiCatalogTest, SearchRefusesBadInputNamingTheParameter) {
  const Client c = alice();
  expect_bad(c.get("/api/v1/search?q=latte&colour=red"), "colour", "unknown parameter");
  expect_bad(c.get("/api/v1/search?q=latte&q=tea"), "q", "repeated parameter");
  expect_bad(c.get("/api/v1/search?sort=cheapest"), "sort", "unknown sort");
  expect_bad(c.get("/api/v1/search?sort=distance"), "sort", "distance without a point");
  expect_bad(c.get("/api/v1/search?type=shops"), "type", "unknown type");
  expect_bad(c.get("/api/v1/search?lat=91&lon=120"), "lat", "latitude out of range");
  expect_bad(c.get("/api/v1/search?lat=north&lon=120"), "lat", "latitude not a number");
  expect_bad(c.get("/api/v1/search?lat=30.2"), "lon", "lat without lon");
  expect_bad(c.get("/api/v1/search?radius=500"), "radius", "radius without a point");
  expect_bad(c.get("/api/v1/search?lat=30.2&lon=120.1&radius=999999"), "radius", "radius too big");
  expect_bad(c.get("/api/v1/search?limit=1000"), "limit", "limit above the cap");
  expect_bad(c.get("/api/v1/search?limit=0"), "limit", "limit zero");
  expect_bad(c.get("/api/v1/search?offset=-1"), "offset", "negative offset");
  expect_bad(c.get("/api/v1/search?min_rating=4.55"), "min_rating", "two decimals");
  expect_bad(c.get("/api/v1/search?min_rating=6"), "min_rating", "above five");
  expect_bad(c.get("/api/v1/search?min_price=-5"), "min_price", "negative price");
  expect_bad(c.get("/api/v1/search?min_price=500&max_price=100"), "max_price", "empty range");
  expect_bad(c.get("/api/v1/search?open_now=maybe"), "open_now", "not a boolean");
  expect_bad(c.get("/api/v1/search?type=merchants&category=1"), "category", "products only");
  expect_bad(c.get("/api/v1/search?kind=cafe"), "kind", "merchants only");
  expect_bad(c.get("/api/v1/search?type=merchants&kind=bakery"), "kind", "unknown kind");
  expect_bad(c.get("/api/v1/search?category=" + url("Spaceships")), "category", "unknown name");
  expect_bad(c.get("/api/v1/search?category=999999"), "category", "unknown id");
  expect_bad(c.get("/api/v1/search?brand=999999"), "brand", "unknown brand");
  expect_bad(c.get("/api/v1/search?attr.=red"), "attr.", "attribute without a name");
  expect_bad(c.get("/api/v1/search?q=" + std::string(600, 'a')), "q", "text too long");
}

TEST_P(ApiCatalogTest, RefreshMakesANewProductSearchable) {
  const std::string name = "Zanzibar Vanilla Pods";
  json before = ok_json(alice().get("/api/v1/search?q=" + url("zanzibar vanilla")));
  EXPECT_EQ(before["total"], 0) << before.dump();
  ASSERT_TRUE(
      exec("INSERT INTO products (merchant_id, category_id, name_en, name_zh, "
           "created_at_us, updated_at_us) SELECT merchant_id, category_id, CAST(? AS TEXT), "
           "CAST(? AS TEXT), 1, 1 "
           "FROM products WHERE id = 1",
           {name, "桑给巴尔香草荚"})
          .ok());
  ASSERT_TRUE(exec("INSERT INTO product_variants (product_id, sku, price, stock) SELECT MAX(id), "
                   "'ZANZ-1', 4200, 7 FROM products",
                   {})
                  .ok());
  // Not searchable until the server's refresh runs...
  EXPECT_EQ(ok_json(alice().get("/api/v1/search?q=" + url("zanzibar vanilla")))["total"], 0);
  ASSERT_TRUE(index_->refresh().ok());
  for (const std::string q : {"zanzibar vanilla", "香草荚"}) {
    json after = ok_json(alice().get("/api/v1/search?q=" + url(q)));
    ASSERT_EQ(after["total"], 1) << q << ": " << after.dump();
    EXPECT_EQ(after["data"][0]["name_en"], name);
    EXPECT_EQ(after["data"][0]["price"], 4200);
    EXPECT_EQ(after["data"][0]["in_stock"], true);
  }
}

// ---- products ------------------------------------------------------------------------------

TEST_P(ApiCatalogTest, ProductWithVariantsAttributesAndMerchant) {
  const json hit = ok_json(alice().get("/api/v1/search?limit=1&sort=sales"))["data"][0];
  const int64_t id = hit["id"].get<int64_t>();
  json p = ok_json(alice().get(fmt::format("/api/v1/products/{}", id)));
  EXPECT_EQ(p["object"], "product");
  EXPECT_EQ(p["id"], id);
  EXPECT_EQ(p["name_en"], hit["name_en"]);
  EXPECT_EQ(p["name_zh"], hit["name_zh"]);
  EXPECT_FALSE(p["name_zh"].get<std::string>().empty());
  EXPECT_EQ(p["currency"], "CNY");
  EXPECT_EQ(p["listed"], true);
  EXPECT_EQ(p["rating"], hit["rating"]);
  EXPECT_EQ(p["merchant"]["id"], hit["merchant"]["id"]);
  EXPECT_EQ(p["merchant"]["object"], "merchant");
  ASSERT_FALSE(p["variants"].empty());
  int64_t cheapest = INT64_MAX;
  bool in_stock = false;
  for (const json& v : p["variants"]) {
    EXPECT_EQ(v["object"], "product_variant");
    EXPECT_FALSE(v["sku"].get<std::string>().empty());
    EXPECT_EQ(v["currency"], "CNY");
    cheapest = std::min(cheapest, v["price"].get<int64_t>());
    in_stock = in_stock || v["stock"].get<int64_t>() > 0;
    EXPECT_EQ(v["in_stock"], v["stock"].get<int64_t>() > 0);
  }
  EXPECT_EQ(p["price"], cheapest);
  EXPECT_EQ(p["price"], hit["price"]);  // search and the page agree
  EXPECT_EQ(p["in_stock"], in_stock);
  EXPECT_TRUE(p["attributes"].is_object());
  ASSERT_FALSE(p["category_path"].empty());
  EXPECT_EQ(p["category_path"].back(), p["category"]);
  EXPECT_EQ(p["category"]["id"], hit["category_id"]);
  EXPECT_TRUE(p["created_at"].is_number_integer());
  EXPECT_LT(p["created_at"].get<int64_t>(), kNowUs / 1'000'000);

  Reply missing = alice().get("/api/v1/products/99999999");
  EXPECT_EQ(missing.status, 404) << missing.body;
  EXPECT_EQ(missing.error_field("code"), "not_found");
  expect_bad(alice().get("/api/v1/products/abc"), "id", "a bad id");
  expect_bad(alice().get("/api/v1/products/1?expand=all"), "expand", "unknown parameter");
}

TEST_P(ApiCatalogTest, ADelistedProductIsHiddenButItsOwnerAndAdminsSeeIt) {
  // Product 2's store gets Luna Café's owner for the test.
  int64_t merchant = 0;
  Value owner;  // put back afterwards
  ASSERT_TRUE(db_->read([&](Tx& tx) -> Status {
                   QWL_ASSIGN_OR_RETURN(Row r, tx.query_row("SELECT m.id, m.owner_user_id FROM "
                                                            "products p JOIN merchants m ON m.id "
                                                            "= p.merchant_id WHERE p.id = 2"));
                   merchant = r.int64(0);
                   owner = r[1];
                   return Status::Ok();
                 })
                  .ok());
  ASSERT_TRUE(
      exec("UPDATE merchants SET owner_user_id = ? WHERE id = ?", {kLunaOwner, merchant}).ok());
  ASSERT_TRUE(exec("UPDATE products SET listed = FALSE WHERE id = 2", {}).ok());
  const std::string target = "/api/v1/products/2";
  Reply hidden = alice().get(target);
  EXPECT_EQ(hidden.status, 404) << hidden.body;
  EXPECT_EQ(ok_json(as(admin_).get(target))["listed"], false);
  EXPECT_EQ(ok_json(as(luna_owner_).get(target))["listed"], false);
  ASSERT_TRUE(exec("UPDATE products SET listed = TRUE WHERE id = 2", {}).ok());
  ASSERT_TRUE(exec("UPDATE merchants SET owner_user_id = ? WHERE id = ?", {owner, merchant}).ok());
  EXPECT_EQ(ok_json(alice().get(target))["listed"], true);
}

// ---- merchants and menus -------------------------------------------------------------------

TEST_P(ApiCatalogTest, MerchantWithHoursOpenNowAndDeliveryTerms) {
  json m = ok_json(alice().get("/api/v1/merchants/1"));
  EXPECT_EQ(m["object"], "merchant");
  EXPECT_EQ(m["id"], kLunaCafe);
  EXPECT_EQ(m["name_en"], "Luna Café");
  EXPECT_EQ(m["name_zh"], "露娜咖啡");
  EXPECT_EQ(m["kind"], "cafe");
  EXPECT_DOUBLE_EQ(m["rating"].get<double>(), 4.7);
  EXPECT_EQ(m["place_id"], 1);
  EXPECT_TRUE(m["location"]["lat"].is_number());
  EXPECT_EQ(m["open_now"], true);
  EXPECT_EQ(m["accepting_orders"], true);
  EXPECT_EQ(m["currency"], "CNY");
  EXPECT_EQ(m["delivery_fee"], 0);
  EXPECT_GT(m["menu_item_count"].get<int64_t>(), 0);
  ASSERT_EQ(m["opening_hours"].size(), 7u) << m.dump();
  EXPECT_EQ(m["opening_hours"][0]["weekday"], "monday");
  EXPECT_EQ(m["opening_hours"][0]["open"], "07:30");
  EXPECT_EQ(m["opening_hours"][0]["close"], "21:00");
  EXPECT_EQ(m["opening_hours"][0]["closes_next_day"], false);

  // Jade Leaf Tea House closes at 01:00, the next day.
  json jade = ok_json(alice().get("/api/v1/search?type=merchants&q=" + url("玉叶茶馆")));
  ASSERT_FALSE(jade["data"].empty());
  json tea = ok_json(
      alice().get(fmt::format("/api/v1/merchants/{}", jade["data"][0]["id"].get<int64_t>())));
  ASSERT_FALSE(tea["opening_hours"].empty());
  EXPECT_EQ(tea["opening_hours"][0]["close"], "01:00");
  EXPECT_EQ(tea["opening_hours"][0]["closes_next_day"], true);

  // Closed by the owner: not open now, whatever the hours say.
  ASSERT_TRUE(exec("UPDATE merchants SET accepting = FALSE WHERE id = ?", {kLunaCafe}).ok());
  json closed = ok_json(alice().get("/api/v1/merchants/1"));
  EXPECT_EQ(closed["open_now"], false);
  EXPECT_EQ(closed["accepting_orders"], false);
  ASSERT_TRUE(exec("UPDATE merchants SET accepting = TRUE WHERE id = ?", {kLunaCafe}).ok());

  EXPECT_EQ(alice().get("/api/v1/merchants/99999").status, 404);
}

TEST_P(ApiCatalogTest, MenuItemsWithOptionGroupsOptionsAndPrices) {
  json menu = ok_json(alice().get("/api/v1/merchants/1/menu"));
  EXPECT_EQ(menu["object"], "menu");
  EXPECT_EQ(menu["merchant_id"], kLunaCafe);
  EXPECT_EQ(menu["currency"], "CNY");
  ASSERT_FALSE(menu["items"].empty());
  ASSERT_FALSE(menu["categories"].empty());
  const json* oat = nullptr;
  for (const json& item : menu["items"]) {
    EXPECT_EQ(item["object"], "menu_item");
    EXPECT_EQ(item["merchant_id"], kLunaCafe);
    EXPECT_TRUE(item["price"].is_number_integer());
    if (item["name_en"] == "Oat Latte") oat = &item;
  }
  ASSERT_NE(oat, nullptr) << menu.dump();
  EXPECT_EQ((*oat)["name_zh"], "燕麦拿铁");
  EXPECT_EQ((*oat)["price"], 2300);
  ASSERT_FALSE((*oat)["option_groups"].empty());
  std::set<std::string> keys;
  for (const json& g : (*oat)["option_groups"]) {
    EXPECT_EQ(g["object"], "menu_option_group");
    keys.insert(g["key"].get<std::string>());
    EXPECT_EQ(g["required"], g["min_choices"].get<int64_t>() > 0);
    ASSERT_FALSE(g["options"].empty()) << g.dump();
    int defaults = 0;
    for (const json& o : g["options"]) {
      EXPECT_EQ(o["object"], "menu_option");
      EXPECT_TRUE(o["price_delta"].is_number_integer());
      EXPECT_FALSE(o["name_zh"].get<std::string>().empty());
      defaults += o["is_default"].get<bool>() ? 1 : 0;
    }
    if (g["required"].get<bool>()) {
      EXPECT_GE(defaults, 1) << g.dump();
    }
  }
  EXPECT_TRUE(keys.count("size")) << (*oat)["option_groups"].dump();

  EXPECT_EQ(alice().get("/api/v1/merchants/99999/menu").status, 404);
  expect_bad(alice().get("/api/v1/merchants/0/menu"), "id", "id zero");
}

INSTANTIATE_TEST_SUITE_P(Db, ApiCatalogTest, ::testing::Values(DbKind::kSqlite, DbKind::kPostgres),
                         [](const auto& info) { return services::testing::kind_name(info.param); });

}  // namespace
}  // namespace qwl::app
