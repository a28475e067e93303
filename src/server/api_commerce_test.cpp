// The commerce routes over real HTTP on 127.0.0.1, on SQLite and PostgreSQL, against the commerce
// services' test world (orders_testing.h: Luna Café with an Oat Latte of four option groups, a
// shop with variants, Alice with ¥1,000, Bob with nothing, the café's owner, another merchant,
// an admin): the cart with options by id and by words in English and Chinese, the preview card,
// checkout with a replayed Idempotency-Key (one order, the same answer) and a refused other body
// under it, who sees what (another user's order is a 404, a customer on merchant routes a 403),
// bad input (negative quantity, unknown fields, huge and fractional amounts, malformed JSON),
// cancellation, the merchant's steps and refunds, after-sales, the wallet, coupons and the menu
// and product editor.
#include "server/api_commerce.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <map>
#include <memory>
#include <nlohmann/json.hpp>

#include "services/orders_testing.h"
#include "services/services_testing.h"

namespace qwl::app {
namespace {

using nlohmann::json;
using services::Role;
namespace st = services::testing;

struct Reply {
  int status = 0;
  std::multimap<std::string, std::string> headers;  // lower-case names
  std::string body;

  std::string header(const std::string& name) const {
    auto it = headers.find(name);
    return it == headers.end() ? "" : it->second;
  }
  json body_json() const { return json::parse(body, nullptr, false); }
  json error() const {
    json j = body_json();
    return j.is_object() && j.contains("error") ? j["error"] : json();
  }
  std::string param() const {
    json e = error();
    return e.is_object() && e["param"].is_string() ? e["param"].get<std::string>() : "";
  }
  std::string message() const {
    json e = error();
    return e.is_object() && e["message"].is_string() ? e["message"].get<std::string>() : "";
  }
};

std::ostream& operator<<(std::ostream& os, const Reply& r) {
  return os << r.status << " " << r.body;
}

// One request per connection (Connection: close), read to the end.
Reply request(uint16_t port, std::string_view method, std::string_view target,
              std::string_view body, const std::vector<std::string>& headers) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  Reply reply;
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    ::close(fd);
    return reply;
  }
  std::string req = fmt::format("{} {} HTTP/1.1\r\nHost: 127.0.0.1:{}\r\nConnection: close\r\n",
                                method, target, port);
  for (const std::string& h : headers) req += h + "\r\n";
  if (!body.empty() || method == "POST" || method == "PATCH" || method == "PUT")
    req += fmt::format("Content-Type: application/json\r\nContent-Length: {}\r\n", body.size());
  req += "\r\n";
  req += body;
  std::string_view out = req;
  while (!out.empty()) {
    const ssize_t n = ::send(fd, out.data(), out.size(), MSG_NOSIGNAL);
    if (n <= 0) break;
    out.remove_prefix(static_cast<size_t>(n));
  }
  std::string in;
  char buf[65536];
  for (;;) {
    const ssize_t n = ::recv(fd, buf, sizeof(buf), 0);
    if (n <= 0) break;
    in.append(buf, static_cast<size_t>(n));
  }
  ::close(fd);
  const size_t head_end = in.find("\r\n\r\n");
  if (head_end == std::string::npos || in.size() < 12) return reply;
  reply.status = std::atoi(in.substr(9, 3).c_str());
  std::string_view head = std::string_view(in).substr(0, head_end);
  head.remove_prefix(std::min(head.size(), head.find("\r\n") + 2));
  while (!head.empty()) {
    const size_t eol = head.find("\r\n");
    const std::string_view line = head.substr(0, eol);
    head = eol == std::string_view::npos ? std::string_view() : head.substr(eol + 2);
    const size_t colon = line.find(':');
    if (colon == std::string_view::npos) continue;
    std::string name(line.substr(0, colon));
    for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    std::string_view value = line.substr(colon + 1);
    while (!value.empty() && value.front() == ' ') value.remove_prefix(1);
    reply.headers.emplace(name, std::string(value));
  }
  reply.body = in.substr(head_end + 4);
  return reply;
}

class CommerceApiTest : public ::testing::TestWithParam<DbKind> {
 protected:
  void SetUp() override {
    auto db = st::fresh_db(GetParam(), DbOptions{.pool_size = 4});
    ASSERT_TRUE(db.ok()) << db.status().to_string();
    db_ = std::move(*db);
    auto world = st::build_world(*db_);
    ASSERT_TRUE(world.ok()) << world.status().to_string();
    w_ = *world;
    identity_ = std::make_unique<services::Identity>(*db_, clock_, random_);
    orders_ = std::make_unique<services::Orders>(*db_, clock_);
    api_ = std::make_unique<AppApi>(*identity_);
    ASSERT_TRUE(add_commerce_routes(*api_, *orders_).ok());
    server_ = std::make_unique<http::Server>(http::ServerOptions{.port = 0});
    ASSERT_TRUE(api_->register_routes(*server_).ok());
    ASSERT_TRUE(server_->start().ok());
    port_ = server_->port();
    alice_ = key_for(w_.alice);
    bob_ = key_for(w_.bob);
    owner_ = key_for(w_.owner);
    other_ = key_for(w_.other_merchant);
    admin_ = key_for(w_.admin);
  }
  void TearDown() override {
    if (server_) server_->stop(std::chrono::milliseconds(0));
  }

  std::string key_for(const services::Actor& who) {
    auto k = identity_->create_api_key(services::Actor::system(), who.user_id, {.name = "test"});
    EXPECT_TRUE(k.ok()) << k.status().to_string();
    return k.ok() ? "Authorization: Bearer " + k->key : "";
  }

  Reply call(std::string_view method, std::string_view target, const std::string& who,
             const json& body = json(), std::vector<std::string> headers = {}) {
    headers.push_back(who);
    return request(port_, method, target, body.is_null() ? "" : body.dump(), headers);
  }
  Reply call_raw(std::string_view method, std::string_view target, const std::string& who,
                 std::string_view body) {
    return request(port_, method, target, body, {who});
  }
  Reply get(std::string_view target, const std::string& who) { return call("GET", target, who); }
  Reply post(std::string_view target, const std::string& who, const json& body,
             std::vector<std::string> headers = {}) {
    return call("POST", target, who, body, std::move(headers));
  }

  int64_t count(std::string_view sql, Params params = {}) {
    auto n = st::query_int(*db_, sql, params);
    EXPECT_TRUE(n.ok()) << n.status().to_string();
    return n.ok() ? *n : -1;
  }
  int64_t alice_balance() {
    auto b = st::balance_of(*db_, services::AccountKind::kWallet, w_.alice.user_id);
    EXPECT_TRUE(b.ok());
    return b.ok() ? *b : -1;
  }

  // Two Oat Lattes (Large, less ice) in Alice's cart; returns the line.
  json add_lattes() {
    Reply r = post(
        "/api/v1/cart/lines", alice_,
        {{"menu_item_id", w_.latte},
         {"option_words", json::array({json{{"group", "size"}, {"value", "large"}}, "less ice"})},
         {"quantity", 2}});
    EXPECT_EQ(r.status, 201) << r;
    return r.body_json();
  }
  json checkout_body(int64_t expected_total) {
    return {{"merchant_id", w_.cafe},
            {"address_id", w_.alice_home},
            {"note", "ring twice"},
            {"expected_total", expected_total}};
  }
  // Alice's lattes ordered; returns the order.
  json place_order(std::string_view key = "order-1") {
    add_lattes();
    Reply preview = post("/api/v1/checkout/preview", alice_,
                         {{"merchant_id", w_.cafe}, {"address_id", w_.alice_home}});
    EXPECT_EQ(preview.status, 200) << preview;
    Reply r = post("/api/v1/orders", alice_, checkout_body(preview.body_json()["total"]),
                   {fmt::format("Idempotency-Key: {}", key)});
    EXPECT_EQ(r.status, 201) << r;
    return r.body_json();
  }
  Reply advance(int64_t order, std::string_view to, const std::string& who) {
    return post(fmt::format("/api/v1/merchant/orders/{}/advance", order), who, {{"to", to}});
  }

  ManualClock clock_{st::kWorldTime};
  services::SeededRandom random_{7};
  std::unique_ptr<Db> db_;
  st::CommerceWorld w_;
  std::unique_ptr<services::Identity> identity_;
  std::unique_ptr<services::Orders> orders_;
  std::unique_ptr<AppApi> api_;
  std::unique_ptr<http::Server> server_;
  uint16_t port_ = 0;
  std::string alice_, bob_, owner_, other_, admin_;
};

TEST_P(CommerceApiTest, CartTakesOptionsByWordsInEnglishAndChinese) {
  const json line = add_lattes();
  EXPECT_EQ(line["object"], "cart_line");
  EXPECT_EQ(line["menu_item_id"], w_.latte);
  EXPECT_EQ(line["variant_id"], nullptr);
  EXPECT_EQ(line["unit_price"], 2600);  // ¥23 + ¥3 for Large
  EXPECT_EQ(line["quantity"], 2);
  EXPECT_EQ(line["line_total"], 5200);
  EXPECT_EQ(line["currency"], "CNY");
  std::vector<int64_t> ids;
  for (const json& o : line["options"]) ids.push_back(o["id"]);
  // Large and Less ice as asked; Regular sugar by default.
  EXPECT_EQ(ids.size(), 3u);
  EXPECT_NE(std::find(ids.begin(), ids.end(), w_.large), ids.end());
  EXPECT_NE(std::find(ids.begin(), ids.end(), w_.less_ice), ids.end());
  EXPECT_NE(std::find(ids.begin(), ids.end(), w_.regular_sugar), ids.end());

  // The same choice in Chinese is the same line: it merges.
  Reply zh =
      post("/api/v1/cart/lines", alice_,
           {{"menu_item_id", w_.latte},
            {"option_words",
             json::array({json{{"group", "规格"}, {"value", "大杯"}}, json{{"value", "少冰"}}})}});
  ASSERT_EQ(zh.status, 201) << zh;
  EXPECT_EQ(zh.body_json()["id"], line["id"]);
  EXPECT_EQ(zh.body_json()["quantity"], 3);
  EXPECT_EQ(zh.body_json()["options_zh"].get<std::string>().find("大杯") != std::string::npos,
            true);

  // By ids: a medium one is another line.
  Reply by_ids = post("/api/v1/cart/lines", alice_,
                      {{"menu_item_id", w_.latte}, {"option_ids", {w_.medium, w_.no_ice}}});
  ASSERT_EQ(by_ids.status, 201) << by_ids;
  EXPECT_NE(by_ids.body_json()["id"], line["id"]);
  EXPECT_EQ(by_ids.body_json()["unit_price"], 2300);

  Reply cart = get("/api/v1/cart", alice_);
  ASSERT_EQ(cart.status, 200) << cart;
  const json c = cart.body_json();
  EXPECT_EQ(c["object"], "cart");
  ASSERT_EQ(c["merchants"].size(), 1u);
  EXPECT_EQ(c["merchants"][0]["merchant_id"], w_.cafe);
  EXPECT_EQ(c["merchants"][0]["subtotal"], 3 * 2600 + 2300);
  EXPECT_EQ(c["line_count"], 2);
  EXPECT_EQ(c["item_count"], 4);

  // Words the item does not know: a 400 naming option_words and listing the choices.
  Reply unknown = post("/api/v1/cart/lines", alice_,
                       {{"menu_item_id", w_.latte}, {"option_words", {"extra hot"}}});
  EXPECT_EQ(unknown.status, 400) << unknown;
  EXPECT_EQ(unknown.param(), "option_words") << unknown;
  // "regular" alone is ice or sugar: ambiguous.
  Reply ambiguous = post("/api/v1/cart/lines", alice_,
                         {{"menu_item_id", w_.latte}, {"option_words", {"regular"}}});
  EXPECT_EQ(ambiguous.status, 400) << ambiguous;
  EXPECT_EQ(ambiguous.param(), "option_words");
  EXPECT_NE(ambiguous.message().find("ambiguous"), std::string::npos) << ambiguous;

  // PATCH: quantity, then options by words (Half sugar).
  const int64_t line_id = line["id"];
  Reply patched = call("PATCH", fmt::format("/api/v1/cart/lines/{}", line_id), alice_,
                       {{"quantity", 5}, {"option_words", {"size large", "less ice", "半糖"}}});
  ASSERT_EQ(patched.status, 200) << patched;
  EXPECT_EQ(patched.body_json()["quantity"], 5);
  EXPECT_NE(patched.body_json()["options_en"].get<std::string>().find("Half"), std::string::npos)
      << patched;

  // Bob cannot touch Alice's line.
  EXPECT_EQ(
      call("PATCH", fmt::format("/api/v1/cart/lines/{}", line_id), bob_, {{"quantity", 1}}).status,
      404);
  EXPECT_EQ(call("DELETE", fmt::format("/api/v1/cart/lines/{}", line_id), bob_).status, 404);
  Reply removed = call("DELETE", fmt::format("/api/v1/cart/lines/{}", line_id), alice_);
  EXPECT_EQ(removed.status, 200) << removed;
  EXPECT_EQ(removed.body_json()["deleted"], true);
  Reply cleared = call("DELETE", "/api/v1/cart", alice_);
  EXPECT_EQ(cleared.status, 200) << cleared;
  EXPECT_EQ(cleared.body_json()["deleted_lines"], 1);
  EXPECT_EQ(get("/api/v1/cart", alice_).body_json()["line_count"], 0);

  // A product variant takes no options.
  Reply variant = post("/api/v1/cart/lines", alice_, {{"variant_id", w_.bottle}, {"quantity", 2}});
  ASSERT_EQ(variant.status, 201) << variant;
  EXPECT_EQ(variant.body_json()["unit_price"], 350);
  Reply variant_options =
      post("/api/v1/cart/lines", alice_, {{"variant_id", w_.bottle}, {"option_words", {"large"}}});
  EXPECT_EQ(variant_options.status, 400);
  EXPECT_EQ(variant_options.param(), "option_words");
}

TEST_P(CommerceApiTest, PreviewThenCheckoutOnceUnderAReplayedKey) {
  add_lattes();
  Reply preview = post("/api/v1/checkout/preview", alice_,
                       {{"merchant_id", w_.cafe}, {"address_id", w_.alice_home}});
  ASSERT_EQ(preview.status, 200) << preview;
  const json card = preview.body_json();
  EXPECT_EQ(card["object"], "checkout_preview");
  EXPECT_EQ(card["subtotal"], 5200);
  EXPECT_EQ(card["delivery_fee"], 300);
  EXPECT_EQ(card["total"], 5500);
  EXPECT_EQ(card["lines"].size(), 1u);
  EXPECT_EQ(card["coupons"]["object"], "coupon_quote");
  EXPECT_GT(card["distance_m"].get<int64_t>(), 0);
  EXPECT_GT(card["eta_at"].get<int64_t>(), st::kWorldTime / 1'000'000);
  EXPECT_EQ(card["wallet_balance"], st::kAliceFunds);
  EXPECT_EQ(count("SELECT COUNT(*) FROM orders"), 0);  // a preview writes nothing

  const json body = checkout_body(5500);
  // No key, no expected total: refused before anything happens.
  Reply no_key = post("/api/v1/orders", alice_, body);
  EXPECT_EQ(no_key.status, 400) << no_key;
  EXPECT_EQ(no_key.param(), "Idempotency-Key");
  json no_total = body;
  no_total.erase("expected_total");
  Reply missing_total = post("/api/v1/orders", alice_, no_total, {"Idempotency-Key: k-1"});
  EXPECT_EQ(missing_total.status, 400) << missing_total;
  EXPECT_EQ(missing_total.param(), "expected_total");
  // A total the user did not see: 409, nothing charged, and the key stays free.
  Reply changed = post("/api/v1/orders", alice_, checkout_body(5400), {"Idempotency-Key: k-1"});
  EXPECT_EQ(changed.status, 409) << changed;
  EXPECT_EQ(count("SELECT COUNT(*) FROM orders"), 0);

  Reply first = post("/api/v1/orders", alice_, body, {"Idempotency-Key: k-1"});
  ASSERT_EQ(first.status, 201) << first;
  EXPECT_EQ(first.header("idempotent-replayed"), "");
  const json order = first.body_json();
  EXPECT_EQ(order["object"], "order");
  EXPECT_EQ(order["status"], "placed");
  EXPECT_EQ(order["total"], 5500);
  EXPECT_EQ(order["currency"], "CNY");
  EXPECT_EQ(order["note"], "ring twice");
  ASSERT_EQ(order["items"].size(), 1u);
  EXPECT_EQ(order["items"][0]["quantity"], 2);
  ASSERT_EQ(order["timeline"].size(), 1u);
  EXPECT_EQ(order["timeline"][0]["status"], "placed");
  EXPECT_EQ(order["placed_at"], st::kWorldTime / 1'000'000);
  EXPECT_TRUE(order["delivery_location"].contains("lat"));
  EXPECT_EQ(alice_balance(), st::kAliceFunds - 5500);

  // The same request again (a lost reply): the same answer, one order, one payment.
  Reply again = post("/api/v1/orders", alice_, body, {"Idempotency-Key: k-1"});
  ASSERT_EQ(again.status, 201) << again;
  EXPECT_EQ(again.header("idempotent-replayed"), "true");
  EXPECT_EQ(again.body_json(), order);
  EXPECT_EQ(count("SELECT COUNT(*) FROM orders"), 1);
  EXPECT_EQ(count("SELECT COUNT(*) FROM ledger_txns WHERE kind = 'payment'"), 1);
  EXPECT_EQ(alice_balance(), st::kAliceFunds - 5500);

  // Another body under the same key: refused as the service says (400), nothing placed.
  json other = body;
  other["note"] = "leave at the door";
  Reply conflict = post("/api/v1/orders", alice_, other, {"Idempotency-Key: k-1"});
  EXPECT_EQ(conflict.status, 400) << conflict;
  EXPECT_EQ(conflict.param(), "Idempotency-Key");
  EXPECT_EQ(count("SELECT COUNT(*) FROM orders"), 1);

  // The cart is empty now: a new key finds nothing to order.
  Reply empty = post("/api/v1/orders", alice_, body, {"Idempotency-Key: k-2"});
  EXPECT_EQ(empty.status / 100, 4) << empty;
  EXPECT_EQ(count("SELECT COUNT(*) FROM orders"), 1);

  // Lists and detail.
  Reply list = get("/api/v1/orders", alice_);
  ASSERT_EQ(list.status, 200) << list;
  EXPECT_EQ(list.body_json()["object"], "list");
  EXPECT_EQ(list.body_json()["has_more"], false);
  ASSERT_EQ(list.body_json()["data"].size(), 1u);
  EXPECT_FALSE(list.body_json()["data"][0].contains("timeline"));
  Reply detail = get(fmt::format("/api/v1/orders/{}", order["id"].get<int64_t>()), alice_);
  ASSERT_EQ(detail.status, 200) << detail;
  EXPECT_EQ(detail.body_json()["timeline"].size(), 1u);
  EXPECT_EQ(get("/api/v1/orders?status=cancelled", alice_).body_json()["data"].size(), 0u);
}

TEST_P(CommerceApiTest, ListsPageWithHasMore) {
  for (int i = 0; i < 3; ++i) {
    ASSERT_EQ(post("/api/v1/cart/lines", alice_, {{"menu_item_id", w_.croissant}}).status, 201);
    Reply r = post("/api/v1/orders", alice_,
                   {{"merchant_id", w_.cafe}, {"fulfilment", "pickup"}, {"expected_total", 1500}},
                   {fmt::format("Idempotency-Key: pickup-{}", i)});
    ASSERT_EQ(r.status, 201) << r;
  }
  Reply page = get("/api/v1/orders?limit=2", alice_);
  ASSERT_EQ(page.status, 200) << page;
  ASSERT_EQ(page.body_json()["data"].size(), 2u);
  EXPECT_EQ(page.body_json()["has_more"], true);
  const int64_t last = page.body_json()["data"][1]["id"];
  Reply rest = get(fmt::format("/api/v1/orders?limit=2&before={}", last), alice_);
  ASSERT_EQ(rest.body_json()["data"].size(), 1u);
  EXPECT_EQ(rest.body_json()["has_more"], false);

  Reply merchant = get(
      fmt::format("/api/v1/merchant/orders?merchant_id={}&status=placed&limit=5", w_.cafe), owner_);
  ASSERT_EQ(merchant.status, 200) << merchant;
  EXPECT_EQ(merchant.body_json()["data"].size(), 3u);
  Reply no_merchant = get("/api/v1/merchant/orders", owner_);
  EXPECT_EQ(no_merchant.status, 400);
  EXPECT_EQ(no_merchant.param(), "merchant_id");
  // Another merchant's store: as if it did not exist.
  EXPECT_EQ(get(fmt::format("/api/v1/merchant/orders?merchant_id={}", w_.cafe), other_).status,
            404);
}

TEST_P(CommerceApiTest, OtherUsersOrdersAreNotFoundAndCustomersMayNotActAsMerchants) {
  const json order = place_order();
  const int64_t id = order["id"];
  // Bob and the other merchant see nothing; the café's owner and the admin do.
  EXPECT_EQ(get(fmt::format("/api/v1/orders/{}", id), bob_).status, 404);
  EXPECT_EQ(post(fmt::format("/api/v1/orders/{}/cancel", id), bob_, json::object()).status, 404);
  EXPECT_EQ(get(fmt::format("/api/v1/orders/{}/after-sales", id), bob_).status, 404);
  EXPECT_EQ(get(fmt::format("/api/v1/orders/{}", id), other_).status, 404);
  EXPECT_EQ(advance(id, "accepted", other_).status, 404);
  EXPECT_EQ(get(fmt::format("/api/v1/orders/{}", id), owner_).status, 200);
  EXPECT_EQ(get(fmt::format("/api/v1/orders/{}", id), admin_).status, 200);
  EXPECT_EQ(get("/api/v1/orders/999999", alice_).status, 404);

  // A customer on merchant routes: 403, whatever the record.
  for (const Reply& r :
       {get("/api/v1/merchant/stores", alice_),
        get(fmt::format("/api/v1/merchant/orders?merchant_id={}", w_.cafe), alice_),
        advance(id, "accepted", alice_),
        post(fmt::format("/api/v1/orders/{}/refund", id), alice_, {{"amount", 100}}),
        post("/api/v1/after-sales/1/resolve", alice_, {{"decision", "approve"}}),
        call("PATCH", fmt::format("/api/v1/merchant/menu-items/{}", w_.latte), alice_,
             {{"price", 1}}),
        get(fmt::format("/api/v1/merchant/stores/{}/menu", w_.cafe), alice_)}) {
    EXPECT_EQ(r.status, 403) << r;
    EXPECT_EQ(r.error()["code"], "permission_denied") << r;
  }
  EXPECT_EQ(get(fmt::format("/api/v1/orders/{}", id), alice_).body_json()["status"], "placed");
  // No credentials at all.
  EXPECT_EQ(request(port_, "GET", "/api/v1/cart", "", {}).status, 401);
}

TEST_P(CommerceApiTest, BadInputIsA400NamingTheParameter) {
  struct Case {
    std::string method, target, body, param;
  };
  const std::string item = std::to_string(w_.latte);
  const std::vector<Case> cases = {
      {"POST", "/api/v1/cart/lines", R"({"menu_item_id":)" + item + R"(,"quantity":-1})",
       "quantity"},
      {"POST", "/api/v1/cart/lines", R"({"menu_item_id":)" + item + R"(,"quantity":0})",
       "quantity"},
      {"POST", "/api/v1/cart/lines", R"({"menu_item_id":)" + item + R"(,"quantity":100})",
       "quantity"},
      {"POST", "/api/v1/cart/lines", R"({"menu_item_id":)" + item + R"(,"quantity":"2"})",
       "quantity"},
      {"POST", "/api/v1/cart/lines", R"({"menu_item_id":)" + item + R"(,"colour":"red"})",
       "colour"},
      {"POST", "/api/v1/cart/lines", R"({"quantity":1})", "menu_item_id"},
      {"POST", "/api/v1/cart/lines", R"({"menu_item_id":-5})", "menu_item_id"},
      {"POST", "/api/v1/cart/lines",
       R"({"menu_item_id":)" + item + R"(,"option_ids":[)" + std::to_string(w_.large) + "," +
           std::to_string(w_.large) + "]}",
       "option_ids[1]"},
      {"POST", "/api/v1/cart/lines",
       R"({"menu_item_id":)" + item + R"(,"option_ids":[)" + std::to_string(w_.large) + "," +
           std::to_string(w_.medium) + "]}",
       "option_ids"},
      {"POST", "/api/v1/cart/lines",
       R"({"menu_item_id":)" + item + R"(,"option_words":[{"group":"size","valu":"large"}]})",
       "option_words[0].valu"},
      {"POST", "/api/v1/cart/lines", R"({"menu_item_id":)" + item + ",", ""},
      {"POST", "/api/v1/cart/lines", "[1,2]", ""},
      {"POST", "/api/v1/cart/lines", "", ""},
      {"POST", "/api/v1/wallet/top-up", R"({"amount":1000000000000000})", "amount"},
      {"POST", "/api/v1/wallet/top-up", R"({"amount":18446744073709551615})", "amount"},
      {"POST", "/api/v1/wallet/top-up", R"({"amount":1e30})", "amount"},
      {"POST", "/api/v1/wallet/top-up", R"({"amount":12.5})", "amount"},
      {"POST", "/api/v1/wallet/top-up", R"({"amount":-100})", "amount"},
      {"POST", "/api/v1/wallet/top-up", R"({})", "amount"},
      {"PUT", "/api/v1/wallet/limit", R"({"daily_spend_limit":-1})", "daily_spend_limit"},
      {"PUT", "/api/v1/wallet/limit", R"({"limit":5})", "limit"},
      {"POST", "/api/v1/checkout/preview", R"({"merchant_id":1,"fulfilment":"drone"})",
       "fulfilment"},
      {"POST", "/api/v1/checkout/preview", R"({"merchant_id":1})", "address_id"},
      {"POST", "/api/v1/checkout/preview",
       R"({"merchant_id":1,"fulfilment":"pickup","user_coupon_ids":"all"})", "user_coupon_ids"},
      {"POST", "/api/v1/checkout/preview",
       R"({"merchant_id":1,"fulfilment":"pickup","note":")" + std::string(600, 'x') + "\"}",
       "note"},
      {"GET", "/api/v1/orders?limit=0", "", "limit"},
      {"GET", "/api/v1/orders?limit=abc", "", "limit"},
      {"GET", "/api/v1/orders?status=lost", "", "status"},
      {"GET", "/api/v1/orders?sort=new", "", "sort"},
      {"GET", "/api/v1/orders?limit=1&limit=2", "", "limit"},
      {"GET", "/api/v1/orders/abc", "", "id"},
      {"GET", "/api/v1/orders/-3", "", "id"},
      {"GET", "/api/v1/cart?merchant=1", "", "merchant"},
      {"GET", "/api/v1/wallet/history?limit=1000", "", "limit"},
      {"GET", "/api/v1/after-sales", "", "order_id"},
      {"GET", "/api/v1/coupons?include_used=maybe", "", "include_used"},
  };
  for (const Case& c : cases) {
    Reply r = call_raw(c.method, c.target, alice_, c.body);
    EXPECT_EQ(r.status, 400) << c.method << " " << c.target << " " << c.body << " -> " << r;
    EXPECT_EQ(r.error()["type"], "invalid_request_error") << r;
    if (!c.param.empty()) {
      EXPECT_EQ(r.param(), c.param) << c.method << " " << c.target << " " << c.body << " -> " << r;
    }
  }
  // Nothing of it reached the database.
  EXPECT_EQ(count("SELECT COUNT(*) FROM cart_items"), 0);
  EXPECT_EQ(alice_balance(), st::kAliceFunds);
  // A body larger than the route's limit is refused before it is read.
  Reply huge = call_raw("POST", "/api/v1/cart/lines", alice_,
                        R"({"note":")" + std::string(20 * 1024, 'x') + "\"}");
  EXPECT_EQ(huge.status, 413) << huge.status;
}

TEST_P(CommerceApiTest, CustomerCancelsAPlacedOrderAndGetsTheMoneyBack) {
  const json order = place_order();
  const int64_t id = order["id"];
  EXPECT_EQ(alice_balance(), st::kAliceFunds - 5500);
  Reply cancelled =
      post(fmt::format("/api/v1/orders/{}/cancel", id), alice_, {{"reason", "changed my mind"}});
  ASSERT_EQ(cancelled.status, 200) << cancelled;
  EXPECT_EQ(cancelled.body_json()["status"], "cancelled");
  EXPECT_EQ(cancelled.body_json()["refunded"], 5500);
  EXPECT_EQ(cancelled.body_json()["timeline"].back()["status"], "cancelled");
  EXPECT_EQ(alice_balance(), st::kAliceFunds);
  // Twice: the state refuses it.
  Reply again = post(fmt::format("/api/v1/orders/{}/cancel", id), alice_, json::object());
  EXPECT_EQ(again.status, 409) << again;
  EXPECT_EQ(again.error()["code"], "failed_precondition");
  // An empty body is fine for cancel (the reason is optional).
  const json second = place_order("order-2");
  ASSERT_EQ(advance(second["id"], "accepted", owner_).status, 200);
  // Accepted: the customer may no longer cancel; the merchant may reject.
  Reply late = call_raw(
      "POST", fmt::format("/api/v1/orders/{}/cancel", second["id"].get<int64_t>()), alice_, "");
  EXPECT_EQ(late.status, 409) << late;
  Reply rejected =
      post(fmt::format("/api/v1/merchant/orders/{}/advance", second["id"].get<int64_t>()), owner_,
           {{"to", "rejected"}, {"note", "out of oat milk"}});
  ASSERT_EQ(rejected.status, 200) << rejected;
  EXPECT_EQ(rejected.body_json()["status"], "cancelled");
  EXPECT_EQ(alice_balance(), st::kAliceFunds);
}

TEST_P(CommerceApiTest, MerchantStepsRefundsAndAfterSales) {
  const json order = place_order();
  const int64_t id = order["id"];
  // Skipping a step is refused; each step in turn works; a retried click is a no-op.
  EXPECT_EQ(advance(id, "delivered", owner_).status, 409);
  EXPECT_EQ(advance(id, "shipped", owner_).param(), "to");
  for (const char* to : {"accepted", "accepted", "preparing", "on_the_way", "delivered"}) {
    Reply r = advance(id, to, owner_);
    ASSERT_EQ(r.status, 200) << to << " " << r;
    EXPECT_EQ(r.body_json()["status"], to);
  }
  Reply detail = get(fmt::format("/api/v1/orders/{}", id), alice_);
  EXPECT_EQ(detail.body_json()["timeline"].size(), 5u);  // placed + four steps
  EXPECT_EQ(detail.body_json()["next_step_at"], nullptr);

  // A partial refund under a key, replayed; more than is left is refused.
  const std::string refund_path = fmt::format("/api/v1/orders/{}/refund", id);
  Reply refund = post(refund_path, owner_, {{"amount", 1000}, {"reason", "cold coffee"}},
                      {"Idempotency-Key: refund-1"});
  ASSERT_EQ(refund.status, 201) << refund;
  EXPECT_EQ(refund.body_json()["object"], "refund");
  EXPECT_EQ(refund.body_json()["order"]["refunded"], 1000);
  Reply replay = post(refund_path, owner_, {{"amount", 1000}, {"reason", "cold coffee"}},
                      {"Idempotency-Key: refund-1"});
  EXPECT_EQ(replay.status, 201);
  EXPECT_EQ(replay.header("idempotent-replayed"), "true");
  EXPECT_EQ(alice_balance(), st::kAliceFunds - 5500 + 1000);
  EXPECT_EQ(post(refund_path, owner_, {{"amount", 5000}}).status, 409);
  EXPECT_EQ(post(refund_path, owner_, {{"amount", 0}}).param(), "amount");
  EXPECT_EQ(post(refund_path, owner_, {{"amount", 1'000'000'000'000'000}}).param(), "amount");

  // After-sales: the customer asks, the merchant approves (a refund of the rest).
  Reply bad_kind = post(fmt::format("/api/v1/orders/{}/after-sales", id), alice_,
                        {{"kind", "return"}, {"reason", "x"}});
  EXPECT_EQ(bad_kind.param(), "kind");
  Reply opened = post(fmt::format("/api/v1/orders/{}/after-sales", id), alice_,
                      {{"kind", "refund"}, {"reason", "spilled"}, {"amount", 4500}});
  ASSERT_EQ(opened.status, 201) << opened;
  const int64_t sale = opened.body_json()["id"];
  EXPECT_EQ(opened.body_json()["status"], "open");
  // The merchant may not open one; the customer may not resolve one.
  EXPECT_EQ(post(fmt::format("/api/v1/orders/{}/after-sales", id), owner_,
                 {{"kind", "complaint"}, {"reason", "rude"}})
                .status,
            403);
  Reply listed = get(fmt::format("/api/v1/after-sales?order_id={}", id), owner_);
  ASSERT_EQ(listed.status, 200) << listed;
  EXPECT_EQ(listed.body_json()["data"].size(), 1u);
  Reply reject_without_reason =
      post(fmt::format("/api/v1/after-sales/{}/resolve", sale), owner_, {{"decision", "reject"}});
  EXPECT_EQ(reject_without_reason.param(), "resolution");
  Reply approved =
      post(fmt::format("/api/v1/after-sales/{}/resolve", sale), owner_, {{"decision", "approve"}});
  ASSERT_EQ(approved.status, 200) << approved;
  EXPECT_EQ(approved.body_json()["status"], "approved");
  EXPECT_EQ(get(fmt::format("/api/v1/orders/{}", id), alice_).body_json()["status"], "refunded");
  EXPECT_EQ(alice_balance(), st::kAliceFunds);
  auto audit = st::audit(*db_);
  ASSERT_TRUE(audit.ok()) << audit.status().to_string();
}

TEST_P(CommerceApiTest, WalletTopUpHistoryAndLimit) {
  Reply wallet = get("/api/v1/wallet", bob_);
  ASSERT_EQ(wallet.status, 200) << wallet;
  EXPECT_EQ(wallet.body_json()["balance"], 0);
  EXPECT_EQ(wallet.body_json()["daily_spend_limit"], nullptr);

  Reply top = post("/api/v1/wallet/top-up", bob_, {{"amount", 5000}}, {"Idempotency-Key: t-1"});
  ASSERT_EQ(top.status, 201) << top;
  EXPECT_EQ(top.body_json()["balance"], 5000);
  Reply again = post("/api/v1/wallet/top-up", bob_, {{"amount", 5000}}, {"Idempotency-Key: t-1"});
  EXPECT_EQ(again.status, 201);
  EXPECT_EQ(again.header("idempotent-replayed"), "true");
  EXPECT_EQ(again.body_json(), top.body_json());
  Reply other = post("/api/v1/wallet/top-up", bob_, {{"amount", 6000}}, {"Idempotency-Key: t-1"});
  EXPECT_EQ(other.status, 400);
  EXPECT_EQ(other.param(), "Idempotency-Key");
  EXPECT_EQ(get("/api/v1/wallet", bob_).body_json()["balance"], 5000);

  ASSERT_EQ(post("/api/v1/wallet/top-up", bob_, {{"amount", 100}}).status, 201);
  Reply history = get("/api/v1/wallet/history?limit=1", bob_);
  ASSERT_EQ(history.status, 200) << history;
  ASSERT_EQ(history.body_json()["data"].size(), 1u);
  EXPECT_EQ(history.body_json()["has_more"], true);
  EXPECT_EQ(history.body_json()["data"][0]["object"], "wallet_entry");
  EXPECT_EQ(history.body_json()["data"][0]["amount"], 100);
  EXPECT_EQ(history.body_json()["data"][0]["balance_after"], 5100);

  Reply limit = call("PUT", "/api/v1/wallet/limit", bob_, {{"daily_spend_limit", 2000}});
  ASSERT_EQ(limit.status, 200) << limit;
  EXPECT_EQ(limit.body_json()["daily_spend_limit"], 2000);
  EXPECT_EQ(limit.body_json()["left_today"], 2000);
  Reply cleared = call("PUT", "/api/v1/wallet/limit", bob_, {{"daily_spend_limit", nullptr}});
  EXPECT_EQ(cleared.body_json()["daily_spend_limit"], nullptr);
  EXPECT_EQ(call("PUT", "/api/v1/wallet/limit", bob_, json::object()).param(), "daily_spend_limit");

  // Another user's wallet: only an admin may look.
  EXPECT_EQ(get(fmt::format("/api/v1/wallet?user_id={}", w_.bob.user_id), alice_).status, 404);
  EXPECT_EQ(
      get(fmt::format("/api/v1/wallet?user_id={}", w_.bob.user_id), admin_).body_json()["balance"],
      5100);
}

TEST_P(CommerceApiTest, CouponsListedClaimedAndChosen) {
  auto luna5 = st::add_coupon(
      *db_, {.code = "LUNA5", .merchant_id = w_.cafe, .min_subtotal = 3000, .amount_off = 500});
  auto plat = st::add_coupon(
      *db_, {.code = "PLAT10", .funded_by = "platform", .min_subtotal = 100000, .percent_off = 10});
  ASSERT_TRUE(luna5.ok() && plat.ok());
  Reply list = get(fmt::format("/api/v1/coupons?merchant_id={}", w_.cafe), alice_);
  ASSERT_EQ(list.status, 200) << list;
  ASSERT_EQ(list.body_json()["data"].size(), 2u);
  for (const json& c : list.body_json()["data"]) {
    EXPECT_EQ(c["claimable"], true);
    EXPECT_EQ(c["user_coupon_id"], nullptr);
  }
  Reply by_id = post(fmt::format("/api/v1/coupons/{}/claim", *luna5), alice_, json());
  ASSERT_EQ(by_id.status, 201) << by_id;
  EXPECT_EQ(by_id.body_json()["code"], "LUNA5");
  EXPECT_EQ(by_id.body_json()["claimed"], true);
  EXPECT_EQ(post(fmt::format("/api/v1/coupons/{}/claim", *luna5), alice_, json()).status, 409);
  Reply by_code = post("/api/v1/coupons/PLAT10/claim", alice_, json());
  EXPECT_EQ(by_code.status, 201) << by_code;
  EXPECT_EQ(post("/api/v1/coupons/NOPE/claim", alice_, json()).status, 404);
  EXPECT_EQ(post("/api/v1/coupons/999999/claim", alice_, json()).status, 404);

  Reply mine = get("/api/v1/coupons", alice_);
  ASSERT_EQ(mine.body_json()["data"].size(), 2u);
  EXPECT_EQ(mine.body_json()["data"][0]["claimed"], true);

  // The preview applies LUNA5 and says why PLAT10 was not used.
  add_lattes();
  Reply card = post("/api/v1/checkout/preview", alice_,
                    {{"merchant_id", w_.cafe}, {"address_id", w_.alice_home}});
  ASSERT_EQ(card.status, 200) << card;
  const json quote = card.body_json()["coupons"];
  ASSERT_EQ(quote["applied"].size(), 1u);
  EXPECT_EQ(quote["applied"][0]["coupon"]["code"], "LUNA5");
  EXPECT_EQ(quote["applied"][0]["amount"], 500);
  ASSERT_EQ(quote["skipped"].size(), 1u);
  EXPECT_EQ(quote["skipped"][0]["reason"], "below_threshold");
  EXPECT_FALSE(quote["skipped"][0]["reason_zh"].get<std::string>().empty());
  EXPECT_EQ(card.body_json()["total"], 5200 - 500 + 300);
  // Choosing no coupon is the user's right.
  Reply none = post("/api/v1/checkout/preview", alice_,
                    {{"merchant_id", w_.cafe},
                     {"address_id", w_.alice_home},
                     {"user_coupon_ids", json::array()}});
  EXPECT_EQ(none.body_json()["total"], 5500);
  Reply foreign = post(
      "/api/v1/checkout/preview", alice_,
      {{"merchant_id", w_.cafe}, {"address_id", w_.alice_home}, {"user_coupon_ids", {999999}}});
  EXPECT_EQ(foreign.status, 400) << foreign;
  EXPECT_EQ(foreign.param(), "user_coupon_ids");
}

TEST_P(CommerceApiTest, MerchantsEditMenusAndProducts) {
  Reply stores = get("/api/v1/merchant/stores", owner_);
  ASSERT_EQ(stores.status, 200) << stores;
  EXPECT_EQ(stores.body_json()["data"].size(), 2u);  // the café and the shop

  Reply created = post(fmt::format("/api/v1/merchant/stores/{}/menu-items", w_.cafe), owner_,
                       {{"name_en", "Mocha"},
                        {"name_zh", "摩卡"},
                        {"category_en", "Coffee"},
                        {"price", 2800},
                        {"stock", 10}});
  ASSERT_EQ(created.status, 201) << created;
  const int64_t mocha = created.body_json()["id"];
  EXPECT_EQ(created.body_json()["stock"], 10);
  Reply group = post(fmt::format("/api/v1/merchant/menu-items/{}/option-groups", mocha), owner_,
                     {{"key", "milk"},
                      {"name_en", "Milk"},
                      {"name_zh", "奶"},
                      {"min_choices", 1},
                      {"options",
                       {{{"name_en", "Whole"}, {"name_zh", "全脂"}, {"is_default", true}},
                        {{"name_en", "Oat"}, {"name_zh", "燕麦奶"}, {"price_delta", 400}}}}});
  ASSERT_EQ(group.status, 201) << group;
  const json group_item = group.body_json();
  ASSERT_EQ(group_item["option_groups"].size(), 1u) << group;
  const json& options = group_item["option_groups"][0]["options"];
  ASSERT_EQ(options.size(), 2u) << group;
  const int64_t oat = options[1]["id"];
  Reply patched = call("PATCH", fmt::format("/api/v1/merchant/options/{}", oat), owner_,
                       {{"price_delta", 500}});
  ASSERT_EQ(patched.status, 200) << patched;
  Reply made_to_order = call("PATCH", fmt::format("/api/v1/merchant/menu-items/{}", mocha), owner_,
                             {{"stock", nullptr}, {"price", 3000}});
  ASSERT_EQ(made_to_order.status, 200) << made_to_order;
  EXPECT_EQ(made_to_order.body_json()["stock"], nullptr);
  EXPECT_EQ(made_to_order.body_json()["price"], 3000);
  // The customer orders it by words at once.
  Reply line =
      post("/api/v1/cart/lines", alice_, {{"menu_item_id", mocha}, {"option_words", {"燕麦奶"}}});
  ASSERT_EQ(line.status, 201) << line;
  EXPECT_EQ(line.body_json()["unit_price"], 3500);
  // Bad edits name their field; another merchant gets 404.
  EXPECT_EQ(post(fmt::format("/api/v1/merchant/menu-items/{}/option-groups", mocha), owner_,
                 {{"key", "Bad Key"}, {"name_en", "x"}, {"name_zh", "x"}})
                .param(),
            "key");
  EXPECT_EQ(post(fmt::format("/api/v1/merchant/stores/{}/menu-items", w_.cafe), owner_,
                 {{"name_en", ""}, {"name_zh", "x"}, {"price", 1}})
                .param(),
            "name_en");
  EXPECT_EQ(
      call("PATCH", fmt::format("/api/v1/merchant/menu-items/{}", mocha), owner_, {{"price", -1}})
          .param(),
      "price");
  EXPECT_EQ(
      call("PATCH", fmt::format("/api/v1/merchant/menu-items/{}", mocha), other_, {{"price", 1}})
          .status,
      404);
  EXPECT_EQ(get(fmt::format("/api/v1/merchant/stores/{}/menu", w_.cafe), other_).status, 404);
  Reply menu = get(fmt::format("/api/v1/merchant/stores/{}/menu", w_.cafe), owner_);
  ASSERT_EQ(menu.status, 200) << menu;
  EXPECT_GE(menu.body_json()["data"].size(), 3u);
  Reply removed = call("DELETE", fmt::format("/api/v1/merchant/options/{}", oat), owner_);
  ASSERT_EQ(removed.status, 200) << removed;
  EXPECT_EQ(removed.body_json()["option_groups"][0]["options"].size(), 1u);

  // Products and variants.
  const int64_t category = *st::query_int(*db_, "SELECT MIN(id) FROM categories");
  Reply product = post(fmt::format("/api/v1/merchant/stores/{}/products", w_.shop), owner_,
                       {{"category_id", category},
                        {"name_en", "Oolong"},
                        {"name_zh", "乌龙茶"},
                        {"variants", {{{"sku", "OO-500"}, {"price", 400}, {"stock", 20}}}}});
  ASSERT_EQ(product.status, 201) << product;
  const int64_t pid = product.body_json()["id"];
  Reply variant = post(fmt::format("/api/v1/merchant/products/{}/variants", pid), owner_,
                       {{"sku", "OO-1000"}, {"name_en", "1 L"}, {"price", 700}});
  ASSERT_EQ(variant.status, 201) << variant;
  EXPECT_EQ(variant.body_json()["variants"].size(), 2u);
  const int64_t vid = variant.body_json()["variants"][1]["id"];
  EXPECT_EQ(call("PATCH", fmt::format("/api/v1/merchant/variants/{}", vid), owner_, {{"stock", 3}})
                .body_json()["variants"][1]["stock"],
            3);
  EXPECT_EQ(post(fmt::format("/api/v1/merchant/products/{}/variants", pid), owner_,
                 {{"sku", "OO-1000"}, {"price", 700}})
                .status,
            409);  // a duplicate SKU
  EXPECT_EQ(
      call("PATCH", fmt::format("/api/v1/merchant/products/{}", pid), owner_, {{"listed", false}})
          .body_json()["listed"],
      false);
  Reply products = get(fmt::format("/api/v1/merchant/stores/{}/products?limit=1", w_.shop), owner_);
  ASSERT_EQ(products.status, 200) << products;
  EXPECT_EQ(products.body_json()["data"].size(), 1u);
  EXPECT_EQ(products.body_json()["has_more"], true);
  EXPECT_EQ(post(fmt::format("/api/v1/merchant/stores/{}/products", w_.shop), owner_,
                 {{"category_id", category}, {"name_en", "x"}, {"name_zh", "x"}})
                .param(),
            "variants");
}

INSTANTIATE_TEST_SUITE_P(Db, CommerceApiTest, ::testing::Values(DbKind::kSqlite, DbKind::kPostgres),
                         [](const auto& info) { return st::kind_name(info.param); });

}  // namespace
}  // namespace qwl::app
