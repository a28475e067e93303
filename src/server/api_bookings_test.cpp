// The bookings routes over real HTTP on 127.0.0.1, with a real AppApi and server, on SQLite and
// PostgreSQL: every route's success, authentication and visibility (401 without a key, another
// user's booking 404, a customer on a place's list 403), bad input named by its parameter
// (dates, times, party sizes, unknown fields, huge numbers) writing nothing, idempotent replays
// through the Idempotency-Key header (one booking, one charge, the same response), and the
// worker's changes seen through the API.
#include "server/api_bookings.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "server/http_server.h"
#include "services/bookings.h"
#include "services/bookings_testing.h"
#include "services/identity.h"
#include "services/services_testing.h"

namespace qwl::app {
namespace {

using nlohmann::json;
using services::Role;
using services::bookings_testing::at;
using services::bookings_testing::kMonday;

constexpr int64_t kFunds = 10'000'00;  // ¥10,000 in fen
// The fixed route of the test quoter: 8.2 km in 20 minutes (economy 2876 fen).
constexpr int64_t kRouteM = 8200;
constexpr int64_t kRouteS = 1200;

struct Reply {
  int status = 0;
  std::multimap<std::string, std::string> headers;  // lower-case names
  std::string body;

  std::string header(const std::string& name) const {
    auto it = headers.find(name);
    return it == headers.end() ? "" : it->second;
  }
  json json_body() const { return json::parse(body, nullptr, false); }
  std::string error_code() const { return error_field("code"); }
  std::string param() const { return error_field("param"); }
  std::string message() const { return error_field("message"); }

 private:
  std::string error_field(const std::string& name) const {
    const json j = json_body();
    if (!j.is_object() || !j.contains("error") || !j["error"][name].is_string()) return "";
    return j["error"][name].get<std::string>();
  }
};

// One request on its own connection (Connection: close), read to the end.
Reply http_request(uint16_t port, std::string_view method, std::string_view target,
                   std::string_view body, const std::vector<std::string>& headers) {
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
  for (const std::string& h : headers) out += h + "\r\n";
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
    reply.headers.emplace(std::move(name), std::string(value));
  }
  reply.body = in.substr(head_end + 4);
  return reply;
}

// A caller of the API: its bearer key ("" = none).
struct Client {
  uint16_t port = 0;
  std::string key;

  std::vector<std::string> headers(const std::string& idempotency_key = "") const {
    std::vector<std::string> h;
    if (!key.empty()) h.push_back("Authorization: Bearer " + key);
    if (!idempotency_key.empty()) h.push_back("Idempotency-Key: " + idempotency_key);
    return h;
  }
  Reply get(std::string_view target) const {
    return http_request(port, "GET", target, "", headers());
  }
  Reply post(std::string_view target, const json& body,
             const std::string& idempotency_key = "") const {
    return http_request(port, "POST", target, body.dump(), headers(idempotency_key));
  }
  Reply post_raw(std::string_view target, std::string_view body) const {
    return http_request(port, "POST", target, body, headers());
  }
};

class ApiBookingsTest : public ::testing::TestWithParam<DbKind> {
 protected:
  void SetUp() override {
    // Retries generous enough for the concurrent test's contention on one idempotency key.
    auto db =
        services::testing::fresh_db(GetParam(), DbOptions{.pool_size = 8, .max_attempts = 200});
    ASSERT_TRUE(db.ok()) << db.status().to_string();
    db_ = std::move(*db);
    identity_ = std::make_unique<services::Identity>(
        *db_, clock_, random_, services::IdentityOptions{.password_iterations = 100});
    api_ = std::make_unique<AppApi>(*identity_);
    ASSERT_TRUE(api_->set_operator_key(kOperatorKey).ok());
    services::RouteQuoter quoter =
        [this](const services::GeoPosition&,
               const services::GeoPosition& to) -> Result<services::DrivingEstimate> {
      ++quotes_;
      if (to.lat == kNoRoad.lat && to.lon == kNoRoad.lon)
        return NotFoundError("no road joins the two places");
      return services::DrivingEstimate{.distance_m = kRouteM, .duration_s = kRouteS};
    };
    ASSERT_TRUE(add_booking_routes(*api_, *db_, clock_, std::move(quoter)).ok());
    server_ = std::make_unique<http::Server>(http::ServerOptions{.port = 0});
    ASSERT_TRUE(api_->register_routes(*server_).ok());
    ASSERT_TRUE(server_->start().ok());
    const uint16_t port = server_->port();

    alice_ = make_user("alice@example.com", Role::kCustomer, port, &alice_id_);
    bob_ = make_user("bob@example.com", Role::kCustomer, port);
    owner_ = make_user("owner@example.com", Role::kMerchant, port, &owner_id_);
    other_merchant_ = make_user("other@example.com", Role::kMerchant, port);
    admin_ = make_user("admin@example.com", Role::kAdmin, port);
    anonymous_ = Client{.port = port};
    operator_ = Client{.port = port, .key = std::string(kOperatorKey)};
    ASSERT_TRUE(services::testing::fund_wallet(*db_, alice_id_, kFunds).ok());

    // Lunch 11:00-14:00 and dinner 17:00-22:00 every day; tables for 2, 4, 4 and 6.
    std::vector<services::bookings_testing::Hours> hours;
    for (int d = 0; d < 7; ++d) {
      hours.push_back({d, 11 * 60, 14 * 60});
      hours.push_back({d, 17 * 60, 22 * 60});
    }
    auto sichuan = services::bookings_testing::add_restaurant(*db_, "Spicy Sichuan", owner_id_,
                                                              {2, 4, 4, 6}, hours);
    ASSERT_TRUE(sichuan.ok()) << sichuan.status().to_string();
    restaurant_ = sichuan->poi_id;
    auto lake = services::bookings_testing::add_hotel(
        *db_, "Lakeview Hotel",
        {{.name = "Standard", .beds = 1, .max_guests = 2, .price_per_night = 40'000, .rooms = 2},
         {.name = "Family", .beds = 2, .max_guests = 4, .price_per_night = 70'000, .rooms = 1}},
        /*with_merchant=*/true, owner_id_);
    ASSERT_TRUE(lake.ok()) << lake.status().to_string();
    hotel_ = lake->poi_id;
    standard_ = lake->room_type_ids[0];
    family_ = lake->room_type_ids[1];
    ASSERT_TRUE(exec("UPDATE pois SET name_zh = ? WHERE id = ?", {"麻辣川菜", restaurant_}).ok());
    ASSERT_TRUE(exec("UPDATE pois SET name_zh = ? WHERE id = ?", {"湖景酒店", hotel_}).ok());
  }
  void TearDown() override {
    if (server_) server_->stop(std::chrono::milliseconds(0));
  }

  // A user with an API key; `id` receives the user's id.
  Client make_user(std::string_view email, Role role, uint16_t port, int64_t* id = nullptr) {
    auto user = identity_->create_user(services::Actor::system(),
                                       {.email = std::string(email), .role = role});
    EXPECT_TRUE(user.ok()) << user.status().to_string();
    if (!user.ok()) return Client{.port = port};
    auto key = identity_->create_api_key(services::Actor::system(), user->id, {.name = "test"});
    EXPECT_TRUE(key.ok()) << key.status().to_string();
    if (id != nullptr) *id = user->id;
    return Client{.port = port, .key = key.ok() ? key->key : ""};
  }
  Status exec(std::string_view sql, Params params) {
    return db_->transact([&](Tx& tx) { return tx.exec(sql, params).status(); });
  }
  int64_t count(std::string_view table) {
    auto n =
        services::bookings_testing::query_int(*db_, fmt::format("SELECT COUNT(*) FROM {}", table));
    EXPECT_TRUE(n.ok()) << n.status().to_string();
    return n.ok() ? *n : -1;
  }
  int64_t wallet(int64_t user_id) {
    auto b = services::bookings_testing::balance(*db_, services::AccountKind::kWallet, user_id);
    EXPECT_TRUE(b.ok());
    return b.ok() ? *b : -1;
  }

  std::string tables_url(std::string_view query) const {
    return fmt::format("/api/v1/places/{}/tables?{}", restaurant_, query);
  }
  json table_booking(std::string_view date = "2026-11-23", std::string_view time = "19:00",
                     int64_t party = 4) const {
    return json{{"place_id", restaurant_}, {"date", date}, {"time", time}, {"party_size", party}};
  }
  std::string rooms_url(std::string_view query) const {
    return fmt::format("/api/v1/places/{}/rooms?{}", hotel_, query);
  }
  // Tuesday to Thursday in a Standard room: 2 nights x 40,000.
  json hotel_booking(int64_t expected_total = 80'000) const {
    return json{{"room_type_id", standard_},
                {"check_in", "2026-11-24"},
                {"check_out", "2026-11-26"},
                {"guests", 2},
                {"expected_total", expected_total}};
  }
  static json ride_body(int64_t expected_price = 2876, std::string_view vehicle = "economy") {
    return json{{"from", {{"lat", 30.2590}, {"lon", 120.1300}, {"label", "Home 家"}}},
                {"to", {{"lat", 30.2460}, {"lon", 120.2100}, {"label", "West Lake Station"}}},
                {"vehicle", vehicle},
                {"expected_price", expected_price}};
  }

  // Expects a 400 naming `param`.
  static void expect_bad(const Reply& r, std::string_view param, std::string_view what) {
    EXPECT_EQ(r.status, 400) << what << ": " << r.body;
    EXPECT_EQ(r.error_code(), "invalid_argument") << what;
    EXPECT_EQ(r.param(), param) << what << ": " << r.body;
    // The message starts with the parameter too ("party_size: ...").
    if (!param.empty()) {
      EXPECT_TRUE(r.message().starts_with(std::string(param) + ": "))
          << what << ": " << r.message();
    }
  }

  static constexpr std::string_view kOperatorKey = "operator-key-0123456789";
  static constexpr services::GeoPosition kNoRoad{.lat = 31.0, .lon = 121.0};

  ManualClock clock_{at(kMonday, 10)};  // Monday 2026-11-23, 10:00 in the city
  services::SeededRandom random_{7};
  std::unique_ptr<Db> db_;
  std::unique_ptr<services::Identity> identity_;
  std::unique_ptr<AppApi> api_;
  std::unique_ptr<http::Server> server_;
  std::atomic<int> quotes_{0};
  int64_t alice_id_ = 0, owner_id_ = 0;
  Client alice_, bob_, owner_, other_merchant_, admin_, anonymous_, operator_;
  int64_t restaurant_ = 0, hotel_ = 0, standard_ = 0, family_ = 0;
};

// ---- tables --------------------------------------------------------------------------------

TEST_P(ApiBookingsTest, TableAvailabilityThenBookingTonightAtSevenForFour) {
  Reply a = alice_.get(tables_url("date=2026-11-23&time=19:00&party_size=4"));
  ASSERT_EQ(a.status, 200) << a.body;
  json j = a.json_body();
  EXPECT_EQ(j["object"], "availability");
  EXPECT_EQ(j["type"], "table");
  EXPECT_EQ(j["place_id"], restaurant_);
  EXPECT_EQ(j["name_en"], "Spicy Sichuan");
  EXPECT_EQ(j["name_zh"], "麻辣川菜");
  EXPECT_EQ(j["party_size"], 4);
  EXPECT_EQ(j["largest_table"], 6);
  const json& requested = j["requested"];
  EXPECT_EQ(requested["state"], "available");
  EXPECT_EQ(requested["date"], "2026-11-23");
  EXPECT_EQ(requested["time"], "19:00");
  EXPECT_EQ(requested["starts_at"], at(kMonday, 19) / 1'000'000);
  EXPECT_EQ(requested["ends_at"], at(kMonday, 21) / 1'000'000);
  EXPECT_EQ(requested["seats"], 4);  // the smallest table that fits
  EXPECT_EQ(requested["free_tables"], 3);
  // 17:00 .. 20:00 within +-2 h (21:00 would end after closing), none closed.
  ASSERT_EQ(j["slots"].size(), 7u);
  EXPECT_EQ(j["slots"][0]["time"], "17:00");
  EXPECT_EQ(j["slots"][6]["time"], "20:00");
  EXPECT_TRUE(j["alternatives"].empty());

  Reply b = alice_.post("/api/v1/bookings/tables", json{{"place_id", restaurant_},
                                                        {"date", "2026-11-23"},
                                                        {"time", "19:00"},
                                                        {"party_size", 4},
                                                        {"contact_name", "Alice 王"},
                                                        {"note", "window seat, \"quiet\" please"}});
  ASSERT_EQ(b.status, 201) << b.body;
  EXPECT_EQ(b.header("idempotent-replayed"), "");
  json booking = b.json_body();
  EXPECT_EQ(booking["object"], "table_booking");
  const int64_t id = booking["id"].get<int64_t>();
  EXPECT_GT(id, 0);
  EXPECT_EQ(booking["user_id"], alice_id_);
  EXPECT_EQ(booking["place_id"], restaurant_);
  EXPECT_EQ(booking["place_name_zh"], "麻辣川菜");
  EXPECT_EQ(booking["seats"], 4);
  EXPECT_EQ(booking["party_size"], 4);
  EXPECT_EQ(booking["starts_at"], at(kMonday, 19) / 1'000'000);
  EXPECT_EQ(booking["ends_at"], at(kMonday, 21) / 1'000'000);
  EXPECT_EQ(booking["date"], "2026-11-23");
  EXPECT_EQ(booking["time"], "19:00");
  EXPECT_EQ(booking["status"], "booked");
  EXPECT_EQ(booking["contact_name"], "Alice 王");
  EXPECT_EQ(booking["note"], "window seat, \"quiet\" please");
  EXPECT_EQ(booking["created_at"], at(kMonday, 10) / 1'000'000);
  EXPECT_FALSE(booking.contains("currency"));  // no money moves for a table

  Reply one = alice_.get(fmt::format("/api/v1/bookings/tables/{}", id));
  ASSERT_EQ(one.status, 200) << one.body;
  EXPECT_EQ(one.json_body(), booking);
  Reply list = alice_.get("/api/v1/bookings/tables");
  ASSERT_EQ(list.status, 200) << list.body;
  EXPECT_EQ(list.json_body()["object"], "list");
  EXPECT_EQ(list.json_body()["has_more"], false);
  ASSERT_EQ(list.json_body()["data"].size(), 1u);
  EXPECT_EQ(list.json_body()["data"][0], booking);

  // The table is taken now: one fitting table fewer at 19:00.
  Reply after = bob_.get(tables_url("date=2026-11-23&time=19:00&party_size=4"));
  ASSERT_EQ(after.status, 200) << after.body;
  EXPECT_EQ(after.json_body()["requested"]["free_tables"], 2);
}

TEST_P(ApiBookingsTest, TableBookingAtAnAvailableSlotsStartsAt) {
  // The only 6-seat table is taken from 18:00 to 20:00: asked for about 19:00, the availability
  // offers 20:00 instead, and its starts_at books directly.
  ASSERT_EQ(bob_.post("/api/v1/bookings/tables", table_booking("2026-11-23", "18:00", 6)).status,
            201);
  Reply a =
      alice_.get(tables_url("date=2026-11-23&time=18:40&party_size=5&window=60&alternatives=2"));
  ASSERT_EQ(a.status, 200) << a.body;
  json j = a.json_body();
  EXPECT_EQ(j["requested"]["time"], "19:00");  // rounded up to the grid
  EXPECT_EQ(j["requested"]["state"], "full");
  EXPECT_TRUE(j["requested"]["table_id"].is_null());
  ASSERT_EQ(j["alternatives"].size(), 1u);  // 18:00 .. 19:30 overlap Bob's table
  EXPECT_EQ(j["alternatives"][0]["time"], "20:00") << j.dump();
  const int64_t starts_at = j["alternatives"][0]["starts_at"].get<int64_t>();
  Reply b =
      alice_.post("/api/v1/bookings/tables",
                  json{{"place_id", restaurant_}, {"starts_at", starts_at}, {"party_size", 5}});
  ASSERT_EQ(b.status, 201) << b.body;
  EXPECT_EQ(b.json_body()["time"], "20:00");
  EXPECT_EQ(b.json_body()["seats"], 6);
}

TEST_P(ApiBookingsTest, TableCancellationByTheUserThenAgainIsAConflict) {
  Reply b = alice_.post("/api/v1/bookings/tables", table_booking());
  ASSERT_EQ(b.status, 201) << b.body;
  const int64_t id = b.json_body()["id"].get<int64_t>();
  const std::string cancel = fmt::format("/api/v1/bookings/tables/{}/cancel", id);
  Reply c = alice_.post_raw(cancel, "");
  ASSERT_EQ(c.status, 200) << c.body;
  EXPECT_EQ(c.json_body()["object"], "table_booking");
  EXPECT_EQ(c.json_body()["status"], "cancelled");
  EXPECT_EQ(count("table_slot_claims"), 0);
  Reply again = alice_.post(cancel, json::object());
  EXPECT_EQ(again.status, 409) << again.body;
  EXPECT_EQ(again.error_code(), "failed_precondition");
  expect_bad(alice_.post(cancel, json{{"reason", "rain"}}), "reason", "a field on cancel");
}

TEST_P(ApiBookingsTest, PlaceTableBookingsAreForItsOwnerAndAdmins) {
  ASSERT_EQ(alice_.post("/api/v1/bookings/tables", table_booking()).status, 201);
  ASSERT_EQ(bob_.post("/api/v1/bookings/tables", table_booking("2026-11-24", "12:00", 2)).status,
            201);
  const std::string url = fmt::format("/api/v1/places/{}/table-bookings", restaurant_);
  Reply today = owner_.get(url);  // default: today only
  ASSERT_EQ(today.status, 200) << today.body;
  ASSERT_EQ(today.json_body()["data"].size(), 1u);
  EXPECT_EQ(today.json_body()["data"][0]["user_id"], alice_id_);
  Reply both = owner_.get(url + "?from=2026-11-23&to=2026-11-24");
  ASSERT_EQ(both.status, 200) << both.body;
  EXPECT_EQ(both.json_body()["data"].size(), 2u);
  EXPECT_EQ(both.json_body()["has_more"], false);
  EXPECT_EQ(admin_.get(url + "?from=2026-11-24").json_body()["data"].size(), 1u);

  Reply customer = alice_.get(url);
  EXPECT_EQ(customer.status, 403) << customer.body;
  EXPECT_EQ(customer.error_code(), "permission_denied");
  EXPECT_EQ(other_merchant_.get(url).status, 404);
  expect_bad(owner_.get(url + "?from=2026-11-24&to=2026-11-23"), "to", "to before from");
  expect_bad(owner_.get(url + "?from=2026-11-01&to=2026-12-31"), "to", "two months");
  expect_bad(owner_.get(url + "?from=23/11/2026"), "from", "a date in another format");

  // The owner may cancel a guest's booking (a no-show); the guest sees it cancelled.
  const int64_t id = today.json_body()["data"][0]["id"].get<int64_t>();
  ASSERT_EQ(owner_.get(fmt::format("/api/v1/bookings/tables/{}", id)).status, 200);
  Reply c = owner_.post(fmt::format("/api/v1/bookings/tables/{}/cancel", id), json::object());
  ASSERT_EQ(c.status, 200) << c.body;
  EXPECT_EQ(alice_.get(fmt::format("/api/v1/bookings/tables/{}", id)).json_body()["status"],
            "cancelled");
}

TEST_P(ApiBookingsTest, TableBadInputIsA400NamingItsParamAndBooksNothing) {
  const std::string booking = "/api/v1/bookings/tables";
  // Availability.
  expect_bad(alice_.get(tables_url("date=2026-02-30&time=19:00&party_size=4")), "date",
             "February 30");
  expect_bad(alice_.get(tables_url("date=2026-11-23T19:00&time=19:00&party_size=4")), "date",
             "an ISO instant");
  expect_bad(alice_.get(tables_url("time=19:00&party_size=4")), "date", "no date");
  expect_bad(alice_.get(tables_url("date=2026-11-23&time=7pm&party_size=4")), "time", "7pm");
  expect_bad(alice_.get(tables_url("date=2026-11-23&time=24:00&party_size=4")), "time", "24:00");
  expect_bad(alice_.get(tables_url("date=2026-11-23&time=19:00&party_size=-4")), "party_size",
             "a negative party");
  expect_bad(alice_.get(tables_url("date=2026-11-23&time=19:00&party_size=0")), "party_size",
             "no party");
  expect_bad(alice_.get(tables_url("date=2026-11-23&time=19:00&party_size=99999999999999999999")),
             "party_size", "an integer beyond int64");
  expect_bad(alice_.get(tables_url("date=2026-11-23&time=19:00&party_size=9223372036854775807")),
             "party_size", "INT64_MAX guests (the service's bound)");
  expect_bad(alice_.get(tables_url("date=2026-11-23&time=19:00&party_size=4&window=721")), "window",
             "a window over 12 hours");
  expect_bad(alice_.get(tables_url("date=2026-11-23&time=19:00&party_size=4&colour=red")), "colour",
             "an unknown query parameter");
  expect_bad(alice_.get(tables_url("date=2026-11-23&time=09:00&party_size=4")), "time",
             "earlier today");
  expect_bad(alice_.get(tables_url("date=2026-11-22&time=19:00&party_size=4")), "date",
             "yesterday");
  expect_bad(alice_.get(tables_url("date=2027-01-23&time=19:00&party_size=4")), "date",
             "61 days ahead");
  expect_bad(alice_.get("/api/v1/places/abc/tables?date=2026-11-23&time=19:00&party_size=4"), "id",
             "a place id that is not a number");
  EXPECT_EQ(
      alice_.get("/api/v1/places/999999/tables?date=2026-11-23&time=19:00&party_size=4").status,
      404);

  // Booking.
  json unknown = table_booking();
  unknown["colour"] = "red";
  expect_bad(alice_.post(booking, unknown), "colour", "an unknown field");
  unknown.erase("colour");
  unknown["table colour"] = "red";
  expect_bad(alice_.post(booking, unknown), "table colour", "an unknown field with a space");
  json negative = table_booking();
  negative["party_size"] = -4;
  expect_bad(alice_.post(booking, negative), "party_size", "a negative party");
  json huge = table_booking();
  huge["party_size"] = std::numeric_limits<int64_t>::max();
  expect_bad(alice_.post(booking, huge), "party_size", "INT64_MAX guests");
  expect_bad(alice_.post_raw(booking, R"({"place_id":1,"date":"2026-11-23","time":"19:00",)"
                                      R"("party_size":18446744073709551615})"),
             "party_size", "a uint64 party");
  expect_bad(alice_.post_raw(booking, R"({"place_id":1,"date":"2026-11-23","time":"19:00",)"
                                      R"("party_size":1e300})"),
             "party_size", "a float party");
  json text_party = table_booking();
  text_party["party_size"] = "4";
  expect_bad(alice_.post(booking, text_party), "party_size", "a party as text");
  json off_grid = table_booking("2026-11-23", "19:10");
  expect_bad(alice_.post(booking, off_grid), "time", "19:10");
  json both = table_booking();
  both["starts_at"] = at(kMonday, 19) / 1'000'000;
  expect_bad(alice_.post(booking, both), "starts_at", "starts_at and date");
  json no_time = table_booking();
  no_time.erase("time");
  expect_bad(alice_.post(booking, no_time), "time", "no time");
  json far = json{{"place_id", restaurant_},
                  {"starts_at", std::numeric_limits<int64_t>::max()},
                  {"party_size", 4}};
  expect_bad(alice_.post(booking, far), "starts_at", "INT64_MAX seconds");
  json past = far;
  past["starts_at"] = std::numeric_limits<int64_t>::min();
  expect_bad(alice_.post(booking, past), "starts_at", "INT64_MIN seconds");
  json bad_place = table_booking();
  bad_place["place_id"] = -1;
  expect_bad(alice_.post(booking, bad_place), "place_id", "a negative place id");
  json long_note = table_booking();
  long_note["note"] = std::string(501, 'x');
  expect_bad(alice_.post(booking, long_note), "note", "a 501-byte note");
  expect_bad(alice_.post_raw(booking, "[1, 2]"), "", "an array body");
  expect_bad(alice_.post_raw(booking, "{\"place_id\":"), "", "broken JSON");
  EXPECT_EQ(count("table_bookings"), 0);
  EXPECT_EQ(count("table_slot_claims"), 0);
  EXPECT_EQ(count("user_events"), 0);
}

TEST_P(ApiBookingsTest, TableIdempotencyKeyReplaysTheFirstBooking) {
  const std::string booking = "/api/v1/bookings/tables";
  Reply first = alice_.post(booking, table_booking(), "dinner-2026-11-23");
  ASSERT_EQ(first.status, 201) << first.body;
  Reply second = alice_.post(booking, table_booking(), "dinner-2026-11-23");
  ASSERT_EQ(second.status, 201) << second.body;
  EXPECT_EQ(second.header("idempotent-replayed"), "true");
  EXPECT_EQ(second.body, first.body);
  EXPECT_EQ(count("table_bookings"), 1);
  // The key belongs to that request: another body with it is refused, naming the header.
  expect_bad(alice_.post(booking, table_booking("2026-11-23", "18:00"), "dinner-2026-11-23"),
             "Idempotency-Key", "a reused key");
  // Another user's identical key is theirs alone.
  Reply bobs = bob_.post(booking, table_booking(), "dinner-2026-11-23");
  ASSERT_EQ(bobs.status, 201) << bobs.body;
  EXPECT_NE(bobs.json_body()["id"], first.json_body()["id"]);
  // Without a key a retry is a second booking attempt, refused as an overlap.
  Reply retry = alice_.post(booking, table_booking());
  EXPECT_EQ(retry.status, 409) << retry.body;
  EXPECT_EQ(count("table_bookings"), 2);
  // A malformed key is refused by the app API before anything runs.
  Reply bad_key = http_request(alice_.port, "POST", booking, table_booking("2026-11-24").dump(),
                               {"Authorization: Bearer " + alice_.key, "Idempotency-Key: "});
  EXPECT_EQ(bad_key.status, 400) << bad_key.body;
  EXPECT_EQ(count("table_bookings"), 2);
}

// ---- who may call --------------------------------------------------------------------------

TEST_P(ApiBookingsTest, EveryRouteNeedsAKey) {
  const std::vector<std::pair<std::string, std::string>> routes = {
      {"GET", tables_url("date=2026-11-23&time=19:00&party_size=4")},
      {"POST", "/api/v1/bookings/tables"},
      {"GET", "/api/v1/bookings/tables"},
      {"GET", "/api/v1/bookings/tables/1"},
      {"POST", "/api/v1/bookings/tables/1/cancel"},
      {"GET", fmt::format("/api/v1/places/{}/table-bookings", restaurant_)},
      {"GET", rooms_url("check_in=2026-11-24&check_out=2026-11-26&guests=2")},
      {"POST", "/api/v1/bookings/hotels"},
      {"GET", "/api/v1/bookings/hotels"},
      {"GET", "/api/v1/bookings/hotels/1"},
      {"POST", "/api/v1/bookings/hotels/1/cancel"},
      {"GET", fmt::format("/api/v1/places/{}/hotel-bookings", hotel_)},
      {"POST", "/api/v1/rides/quote"},
      {"POST", "/api/v1/rides"},
      {"GET", "/api/v1/rides"},
      {"GET", "/api/v1/rides/1"},
      {"POST", "/api/v1/rides/1/cancel"},
  };
  for (const auto& [method, target] : routes) {
    const std::string body = method == "POST" ? table_booking().dump() : "";
    Reply none = http_request(anonymous_.port, method, target, body, {});
    EXPECT_EQ(none.status, 401) << method << " " << target << ": " << none.body;
    EXPECT_EQ(none.header("www-authenticate"), "Bearer") << target;
    Reply wrong = http_request(anonymous_.port, method, target, body,
                               {"Authorization: Bearer qwl-not-a-real-key-0000000000"});
    EXPECT_EQ(wrong.status, 401) << method << " " << target << ": " << wrong.body;
  }
  EXPECT_EQ(count("table_bookings") + count("hotel_bookings") + count("rides"), 0);
  EXPECT_EQ(quotes_.load(), 0);
}

TEST_P(ApiBookingsTest, OtherUsersBookingsAreNotFound) {
  Reply t = alice_.post("/api/v1/bookings/tables", table_booking());
  Reply h = alice_.post("/api/v1/bookings/hotels", hotel_booking());
  Reply r = alice_.post("/api/v1/rides", ride_body());
  ASSERT_EQ(t.status, 201) << t.body;
  ASSERT_EQ(h.status, 201) << h.body;
  ASSERT_EQ(r.status, 201) << r.body;
  const std::vector<std::string> paths = {
      fmt::format("/api/v1/bookings/tables/{}", t.json_body()["id"].get<int64_t>()),
      fmt::format("/api/v1/bookings/hotels/{}", h.json_body()["id"].get<int64_t>()),
      fmt::format("/api/v1/rides/{}", r.json_body()["id"].get<int64_t>()),
  };
  for (const std::string& path : paths) {
    Reply get = bob_.get(path);
    EXPECT_EQ(get.status, 404) << path << ": " << get.body;
    EXPECT_EQ(get.error_code(), "not_found");
    Reply cancel = bob_.post(path + "/cancel", json::object());
    EXPECT_EQ(cancel.status, 404) << path << ": " << cancel.body;
    // Exactly like an id that does not exist.
    EXPECT_EQ(bob_.get(path + "0000").status, 404);
    EXPECT_EQ(alice_.get(path).status, 200);
    EXPECT_EQ(admin_.get(path).status, 200);
  }
  // Lists hold one's own only.
  EXPECT_TRUE(bob_.get("/api/v1/bookings/tables").json_body()["data"].empty());
  EXPECT_TRUE(bob_.get("/api/v1/bookings/hotels").json_body()["data"].empty());
  EXPECT_TRUE(bob_.get("/api/v1/rides").json_body()["data"].empty());
  // Nothing of Alice's changed.
  EXPECT_EQ(alice_.get(paths[0]).json_body()["status"], "booked");
  EXPECT_EQ(alice_.get(paths[2]).json_body()["status"], "requested");
}

TEST_P(ApiBookingsTest, TheOperatorKeyBooksNothingForItself) {
  Reply t = operator_.post("/api/v1/bookings/tables", table_booking());
  EXPECT_EQ(t.status, 403) << t.body;
  EXPECT_EQ(t.error_code(), "permission_denied");
  EXPECT_EQ(operator_.post("/api/v1/rides", ride_body()).status, 403);
  // Reading is fine: availability is public to any signed-in caller.
  EXPECT_EQ(operator_.get(tables_url("date=2026-11-23&time=19:00&party_size=4")).status, 200);
}

// ---- hotels --------------------------------------------------------------------------------

TEST_P(ApiBookingsTest, HotelAvailabilityBookingAndCancellationWithRefund) {
  Reply a = alice_.get(rooms_url("check_in=2026-11-24&check_out=2026-11-26&guests=2"));
  ASSERT_EQ(a.status, 200) << a.body;
  json j = a.json_body();
  EXPECT_EQ(j["object"], "availability");
  EXPECT_EQ(j["type"], "hotel");
  EXPECT_EQ(j["place_id"], hotel_);
  EXPECT_EQ(j["name_zh"], "湖景酒店");
  EXPECT_EQ(j["check_in"], "2026-11-24");
  EXPECT_EQ(j["check_out"], "2026-11-26");
  EXPECT_EQ(j["nights"], 2);
  ASSERT_EQ(j["room_types"].size(), 2u);
  const json& standard = j["room_types"][0];  // cheapest first
  EXPECT_EQ(standard["object"], "room_type");
  EXPECT_EQ(standard["id"], standard_);
  EXPECT_EQ(standard["price_per_night"], 40'000);
  EXPECT_EQ(standard["total"], 80'000);
  EXPECT_EQ(standard["currency"], "CNY");
  EXPECT_EQ(standard["free_rooms"], 2);
  EXPECT_EQ(j["room_types"][1]["id"], family_);
  // Three guests fit only the family room.
  Reply three = alice_.get(rooms_url("check_in=2026-11-24&check_out=2026-11-26&guests=3"));
  ASSERT_EQ(three.status, 200);
  EXPECT_EQ(three.json_body()["room_types"].size(), 1u);

  Reply b = alice_.post("/api/v1/bookings/hotels", hotel_booking(standard["total"].get<int64_t>()));
  ASSERT_EQ(b.status, 201) << b.body;
  json booking = b.json_body();
  EXPECT_EQ(booking["object"], "hotel_booking");
  EXPECT_EQ(booking["user_id"], alice_id_);
  EXPECT_EQ(booking["place_id"], hotel_);
  EXPECT_EQ(booking["place_name_zh"], "湖景酒店");
  EXPECT_EQ(booking["room_type_id"], standard_);
  EXPECT_EQ(booking["room_type_name_en"], "Standard");
  EXPECT_EQ(booking["room_number"], "101");
  EXPECT_EQ(booking["check_in"], "2026-11-24");
  EXPECT_EQ(booking["check_out"], "2026-11-26");
  EXPECT_EQ(booking["nights"], 2);
  EXPECT_EQ(booking["guests"], 2);
  EXPECT_EQ(booking["total"], 80'000);
  EXPECT_EQ(booking["refunded"], 0);
  EXPECT_EQ(booking["currency"], "CNY");
  EXPECT_EQ(booking["status"], "booked");
  EXPECT_EQ(wallet(alice_id_), kFunds - 80'000);

  const int64_t id = booking["id"].get<int64_t>();
  EXPECT_EQ(alice_.get(fmt::format("/api/v1/bookings/hotels/{}", id)).json_body(), booking);
  Reply list = alice_.get("/api/v1/bookings/hotels?limit=1");
  ASSERT_EQ(list.status, 200) << list.body;
  EXPECT_EQ(list.json_body()["data"][0], booking);
  EXPECT_EQ(list.json_body()["has_more"], false);
  Reply rooms = alice_.get(rooms_url("check_in=2026-11-25&check_out=2026-11-27&guests=1"));
  EXPECT_EQ(rooms.json_body()["room_types"][0]["free_rooms"], 1);

  const std::string place_list = fmt::format("/api/v1/places/{}/hotel-bookings", hotel_);
  Reply owners = owner_.get(place_list + "?from=2026-11-25&to=2026-11-25");  // stays overlapping
  ASSERT_EQ(owners.status, 200) << owners.body;
  ASSERT_EQ(owners.json_body()["data"].size(), 1u);
  EXPECT_EQ(owners.json_body()["data"][0]["id"], id);
  EXPECT_EQ(alice_.get(place_list).status, 403);

  // Cancelled before the check-in day: everything back.
  Reply c = alice_.post(fmt::format("/api/v1/bookings/hotels/{}/cancel", id), json::object());
  ASSERT_EQ(c.status, 200) << c.body;
  EXPECT_EQ(c.json_body()["status"], "cancelled");
  EXPECT_EQ(c.json_body()["refunded"], 80'000);
  EXPECT_EQ(wallet(alice_id_), kFunds);
  EXPECT_EQ(count("room_nights"), 0);
}

TEST_P(ApiBookingsTest, HotelBadInputChangedPriceAndNoMoney) {
  const std::string booking = "/api/v1/bookings/hotels";
  expect_bad(alice_.get(rooms_url("check_in=2026-11-26&check_out=2026-11-24&guests=2")),
             "check_out", "check-out before check-in");
  expect_bad(alice_.get(rooms_url("check_in=2026-11-24&check_out=2026-12-25&guests=2")),
             "check_out", "31 nights");
  expect_bad(alice_.get(rooms_url("check_in=2026-11-22&check_out=2026-11-24&guests=2")), "check_in",
             "check-in yesterday (the service's rule)");
  expect_bad(alice_.get(rooms_url("check_in=2026-11-24&check_out=2026-11-26&guests=-1")), "guests",
             "negative guests");
  expect_bad(alice_.get(rooms_url("check_in=2026-11-24&check_out=2026-11-26&guests=5")), "guests",
             "more guests than the largest room");
  expect_bad(alice_.get(rooms_url("check_in=2026-11-24&check_out=2026-11-26")), "guests",
             "no guests");
  expect_bad(alice_.get(rooms_url("check_in=2027-02-28&check_out=2027-02-29&guests=1")),
             "check_out", "February 29 of a common year");
  // Dates across a year's end and a leap day come back as they were sent.
  Reply new_year = alice_.get(rooms_url("check_in=2026-12-31&check_out=2027-01-01&guests=1"));
  ASSERT_EQ(new_year.status, 200) << new_year.body;
  EXPECT_EQ(new_year.json_body()["check_in"], "2026-12-31");
  EXPECT_EQ(new_year.json_body()["check_out"], "2027-01-01");
  EXPECT_EQ(new_year.json_body()["nights"], 1);
  clock_.set_wall_us(at(kMonday + 400, 10));  // late December 2027
  Reply leap = alice_.get(rooms_url("check_in=2028-02-28&check_out=2028-03-01&guests=1"));
  ASSERT_EQ(leap.status, 200) << leap.body;
  EXPECT_EQ(leap.json_body()["nights"], 2);  // the 28th and the 29th
  clock_.set_wall_us(at(kMonday, 10));

  json no_total = hotel_booking();
  no_total.erase("expected_total");
  expect_bad(alice_.post(booking, no_total), "expected_total", "no expected total");
  expect_bad(alice_.post(booking, hotel_booking(-1)), "expected_total", "a negative total");
  json bad_date = hotel_booking();
  bad_date["check_in"] = "2026-13-01";
  expect_bad(alice_.post(booking, bad_date), "check_in", "month 13");
  json number_date = hotel_booking();
  number_date["check_out"] = 20782;
  expect_bad(alice_.post(booking, number_date), "check_out", "a day number");
  json huge_guests = hotel_booking();
  huge_guests["guests"] = std::numeric_limits<int64_t>::max();
  expect_bad(alice_.post(booking, huge_guests), "guests", "INT64_MAX guests");
  json unknown = hotel_booking();
  unknown["breakfast"] = true;
  expect_bad(alice_.post(booking, unknown), "breakfast", "an unknown field");
  json bad_type = hotel_booking();
  bad_type["room_type_id"] = 0;
  expect_bad(alice_.post(booking, bad_type), "room_type_id", "room type 0");
  EXPECT_EQ(count("hotel_bookings"), 0);

  // A total the user did not see is a conflict, and nothing is charged.
  Reply changed = alice_.post(booking, hotel_booking(70'000));
  EXPECT_EQ(changed.status, 409) << changed.body;
  EXPECT_EQ(changed.error_code(), "failed_precondition");
  // Bob has no money.
  Reply poor = bob_.post(booking, hotel_booking());
  EXPECT_EQ(poor.status, 409) << poor.body;
  EXPECT_EQ(count("hotel_bookings"), 0);
  EXPECT_EQ(wallet(alice_id_), kFunds);
  // An unknown room type.
  json missing = hotel_booking();
  missing["room_type_id"] = 987654;
  EXPECT_EQ(alice_.post(booking, missing).status, 404);
}

TEST_P(ApiBookingsTest, HotelIdempotencyKeyChargesOnce) {
  Reply first = alice_.post("/api/v1/bookings/hotels", hotel_booking(), "stay-1");
  ASSERT_EQ(first.status, 201) << first.body;
  Reply second = alice_.post("/api/v1/bookings/hotels", hotel_booking(), "stay-1");
  ASSERT_EQ(second.status, 201) << second.body;
  EXPECT_EQ(second.header("idempotent-replayed"), "true");
  EXPECT_EQ(second.body, first.body);
  EXPECT_EQ(count("hotel_bookings"), 1);
  EXPECT_EQ(wallet(alice_id_), kFunds - 80'000);
  // A failed request leaves its key free: the same key with a good total then books.
  Reply changed = alice_.post("/api/v1/bookings/hotels", hotel_booking(1), "stay-2");
  EXPECT_EQ(changed.status, 409);
  Reply good = alice_.post("/api/v1/bookings/hotels", hotel_booking(), "stay-2");
  EXPECT_EQ(good.status, 201) << good.body;
  EXPECT_EQ(good.header("idempotent-replayed"), "");
  EXPECT_EQ(count("hotel_bookings"), 2);
  EXPECT_EQ(wallet(alice_id_), kFunds - 160'000);
}

// ---- rides ---------------------------------------------------------------------------------

TEST_P(ApiBookingsTest, RideQuoteRequestWorkerAndCancellation) {
  Reply q = alice_.post("/api/v1/rides/quote",
                        json{{"from", {{"lat", 30.2590}, {"lon", 120.1300}}},
                             {"to", {{"lat", 30.2460}, {"lon", 120.2100}, {"label", "Station"}}}});
  ASSERT_EQ(q.status, 200) << q.body;
  json quote = q.json_body();
  EXPECT_EQ(quote["object"], "ride_quote");
  EXPECT_EQ(quote["distance_m"], kRouteM);
  EXPECT_EQ(quote["duration_s"], kRouteS);
  EXPECT_EQ(quote["currency"], "CNY");
  EXPECT_EQ(quote["to"]["label"], "Station");
  EXPECT_DOUBLE_EQ(quote["from"]["lat"].get<double>(), 30.2590);
  ASSERT_EQ(quote["options"].size(), 3u);
  EXPECT_EQ(quote["options"][0]["vehicle"], "economy");
  EXPECT_EQ(quote["options"][0]["price"], 2876);  // docs/ecosystem/bookings.md's example
  EXPECT_EQ(quote["options"][0]["pickup_s"], 240);
  EXPECT_EQ(quote["options"][1]["price"], 4232);
  EXPECT_EQ(quote["options"][2]["price"], 5870);
  EXPECT_EQ(count("rides"), 0);

  Reply r = alice_.post("/api/v1/rides", ride_body(4232, "comfort"));
  ASSERT_EQ(r.status, 201) << r.body;
  json ride = r.json_body();
  EXPECT_EQ(ride["object"], "ride");
  EXPECT_EQ(ride["user_id"], alice_id_);
  EXPECT_EQ(ride["vehicle"], "comfort");
  EXPECT_EQ(ride["from"]["label"], "Home 家");
  EXPECT_DOUBLE_EQ(ride["to"]["lon"].get<double>(), 120.2100);
  EXPECT_EQ(ride["price"], 4232);
  EXPECT_EQ(ride["refunded"], 0);
  EXPECT_EQ(ride["currency"], "CNY");
  EXPECT_EQ(ride["status"], "requested");
  EXPECT_EQ(ride["requested_at"], at(kMonday, 10) / 1'000'000);
  EXPECT_EQ(ride["next_step_at"], at(kMonday, 10) / 1'000'000 + 60);
  EXPECT_EQ(wallet(alice_id_), kFunds - 4232);
  const std::string path = fmt::format("/api/v1/rides/{}", ride["id"].get<int64_t>());
  EXPECT_EQ(alice_.get(path).json_body(), ride);
  Reply list = alice_.get("/api/v1/rides");
  ASSERT_EQ(list.json_body()["data"].size(), 1u);
  EXPECT_EQ(list.json_body()["data"][0], ride);

  // The worker assigns a driver a minute later; cancelling then keeps the fee.
  clock_.advance_us(61 * 1'000'000);
  ASSERT_TRUE(services::run_bookings_worker(*db_, clock_).ok());
  EXPECT_EQ(alice_.get(path).json_body()["status"], "assigned");
  Reply c = alice_.post(path + "/cancel", json::object());
  ASSERT_EQ(c.status, 200) << c.body;
  EXPECT_EQ(c.json_body()["status"], "cancelled");
  EXPECT_EQ(c.json_body()["refunded"], 4232 - services::kRideCancelFee);
  EXPECT_TRUE(c.json_body()["next_step_at"].is_null());
  EXPECT_EQ(wallet(alice_id_), kFunds - services::kRideCancelFee);
  EXPECT_EQ(alice_.post(path + "/cancel", json::object()).status, 409);
}

TEST_P(ApiBookingsTest, RideBadInputAndRefusals) {
  const std::string rides = "/api/v1/rides";
  json bad_vehicle = ride_body();
  bad_vehicle["vehicle"] = "rickshaw";
  expect_bad(alice_.post(rides, bad_vehicle), "vehicle", "an unknown vehicle");
  json lat = ride_body();
  lat["from"]["lat"] = 91;
  expect_bad(alice_.post(rides, lat), "from.lat", "latitude 91");
  json lon = ride_body();
  lon["to"]["lon"] = -1e308;
  expect_bad(alice_.post(rides, lon), "to.lon", "a huge longitude");
  json text_lat = ride_body();
  text_lat["to"]["lat"] = "30.2";
  expect_bad(alice_.post(rides, text_lat), "to.lat", "a latitude as text");
  json nested_unknown = ride_body();
  nested_unknown["from"]["alt"] = 12;
  expect_bad(alice_.post(rides, nested_unknown), "from.alt", "an unknown nested field");
  json not_object = ride_body();
  not_object["to"] = json::array({30.2, 120.1});
  expect_bad(alice_.post(rides, not_object), "to", "coordinates as an array");
  json same = ride_body();
  same["to"] = same["from"];
  expect_bad(alice_.post(rides, same), "to", "the same place twice");
  json long_label = ride_body();
  long_label["to"]["label"] = std::string(201, 'x');
  expect_bad(alice_.post(rides, long_label), "to.label", "a 201-byte label");
  json no_price = ride_body();
  no_price.erase("expected_price");
  expect_bad(alice_.post(rides, no_price), "expected_price", "no expected price");
  expect_bad(alice_.post(rides, ride_body(-5)), "expected_price", "a negative price");
  expect_bad(alice_.post("/api/v1/rides/quote", json{{"from", ride_body()["from"]}}), "to",
             "a quote without a destination");
  json quote_with_vehicle = ride_body();
  quote_with_vehicle.erase("expected_price");
  expect_bad(alice_.post("/api/v1/rides/quote", quote_with_vehicle), "vehicle",
             "a quote takes only from and to");
  EXPECT_EQ(quotes_.load(), 0);  // all refused before the route was asked for

  Reply changed = alice_.post(rides, ride_body(2000));
  EXPECT_EQ(changed.status, 409) << changed.body;
  json nowhere = ride_body();
  nowhere["to"] = {{"lat", kNoRoad.lat}, {"lon", kNoRoad.lon}};
  Reply no_road = alice_.post(rides, nowhere);
  EXPECT_EQ(no_road.status, 404) << no_road.body;
  EXPECT_EQ(bob_.post(rides, ride_body()).status, 409);  // no money
  EXPECT_EQ(count("rides"), 0);
  EXPECT_EQ(wallet(alice_id_), kFunds);
}

TEST_P(ApiBookingsTest, RideIdempotencyKeyRequestsOneRide) {
  Reply first = alice_.post("/api/v1/rides", ride_body(), "ride-home");
  ASSERT_EQ(first.status, 201) << first.body;
  Reply second = alice_.post("/api/v1/rides", ride_body(), "ride-home");
  ASSERT_EQ(second.status, 201) << second.body;
  EXPECT_EQ(second.header("idempotent-replayed"), "true");
  EXPECT_EQ(second.body, first.body);
  EXPECT_EQ(count("rides"), 1);
  EXPECT_EQ(wallet(alice_id_), kFunds - 2876);
  expect_bad(alice_.post("/api/v1/rides", ride_body(5870, "xl"), "ride-home"), "Idempotency-Key",
             "the key with another ride");
}

TEST_P(ApiBookingsTest, ConcurrentRetriesWithOneKeyRequestOneRide) {
  // Eight copies of one request in flight at once (a client retrying on timeouts): every one
  // gets the same ride, and the wallet pays once.
  constexpr int kClients = 8;
  std::vector<Reply> replies(kClients);
  std::vector<std::thread> threads;
  for (int i = 0; i < kClients; ++i) {
    threads.emplace_back(
        [&, i] { replies[i] = alice_.post("/api/v1/rides", ride_body(), "ride-race"); });
  }
  for (std::thread& t : threads) t.join();
  int replayed = 0;
  for (const Reply& r : replies) {
    EXPECT_EQ(r.status, 201) << r.body;
    EXPECT_EQ(r.body, replies[0].body);
    replayed += r.header("idempotent-replayed") == "true" ? 1 : 0;
  }
  EXPECT_EQ(replayed, kClients - 1);
  EXPECT_EQ(count("rides"), 1);
  EXPECT_EQ(wallet(alice_id_), kFunds - 2876);
}

// ---- lists ---------------------------------------------------------------------------------

TEST_P(ApiBookingsTest, ListsPageWithLimitAndHasMore) {
  for (const char* time : {"11:00", "17:00", "19:30"}) {
    ASSERT_EQ(alice_.post("/api/v1/bookings/tables", table_booking("2026-11-24", time, 2)).status,
              201);
  }
  Reply two = alice_.get("/api/v1/bookings/tables?limit=2");
  ASSERT_EQ(two.status, 200) << two.body;
  ASSERT_EQ(two.json_body()["data"].size(), 2u);
  EXPECT_EQ(two.json_body()["has_more"], true);
  EXPECT_EQ(two.json_body()["data"][0]["time"], "19:30");  // latest start first
  Reply all = alice_.get("/api/v1/bookings/tables?limit=3");
  EXPECT_EQ(all.json_body()["data"].size(), 3u);
  EXPECT_EQ(all.json_body()["has_more"], false);
  expect_bad(alice_.get("/api/v1/bookings/tables?limit=0"), "limit", "limit 0");
  expect_bad(alice_.get("/api/v1/bookings/tables?limit=101"), "limit", "limit 101");
  expect_bad(alice_.get("/api/v1/rides?page=2"), "page", "an unknown query parameter");
}

INSTANTIATE_TEST_SUITE_P(Db, ApiBookingsTest, ::testing::Values(DbKind::kSqlite, DbKind::kPostgres),
                         [](const auto& info) { return services::testing::kind_name(info.param); });

}  // namespace
}  // namespace qwl::app
