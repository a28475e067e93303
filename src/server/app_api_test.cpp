// The app API over real HTTP on 127.0.0.1, on SQLite and PostgreSQL: sign-in with an HTTP-only
// cookie, sign-out and expiry, bearer keys (database and operator), roles, admin routes, the
// Idempotency-Key, cross-site refusal, JSON errors for bad bodies, and the key ring that lets
// the OpenAI API accept database keys.
#include "server/app_api.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <map>
#include <memory>
#include <nlohmann/json.hpp>

#include "server/api_keys.h"
#include "server/app_api_keyring.h"
#include "services/services_testing.h"

namespace qwl::app {
namespace {

using nlohmann::json;
using services::Role;

constexpr std::string_view kOperatorKey = "operator-key-0123456789";
constexpr int64_t kHourUs = 3600LL * 1'000'000;

struct Reply {
  int status = 0;
  std::multimap<std::string, std::string> headers;  // lower-case names
  std::string body;

  std::string header(const std::string& name) const {
    auto it = headers.find(name);
    return it == headers.end() ? "" : it->second;
  }
  json body_json() const { return json::parse(body, nullptr, false); }
  std::string error_code() const {
    json j = body_json();
    return j.contains("error") && j["error"]["code"].is_string()
               ? j["error"]["code"].get<std::string>()
               : "";
  }
  std::string error_type() const {
    json j = body_json();
    return j.contains("error") ? j["error"]["type"].get<std::string>() : "";
  }
  std::string message() const {
    json j = body_json();
    return j.contains("error") ? j["error"]["message"].get<std::string>() : "";
  }
};

// One request per connection (Connection: close), read to the end.
Reply request(uint16_t port, std::string_view method, std::string_view target,
              std::string_view body = "", const std::vector<std::string>& headers = {}) {
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
  if (!body.empty() || method == "POST")
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

std::string bearer(std::string_view key) {
  return fmt::format("Authorization: Bearer {}", key);
}

class AppApiTest : public ::testing::TestWithParam<DbKind> {
 protected:
  void SetUp() override {
    auto db = services::testing::fresh_db(GetParam(), DbOptions{.pool_size = 4});
    ASSERT_TRUE(db.ok()) << db.status().to_string();
    db_ = std::move(*db);
    identity_ = std::make_unique<services::Identity>(
        *db_, clock_, random_,
        services::IdentityOptions{.session_ttl_us = kHourUs, .password_iterations = 100});
    api_ = std::make_unique<AppApi>(*identity_);
    ASSERT_TRUE(api_->set_operator_key(kOperatorKey).ok());
    // A domain's routes, as another engineer would add them.
    ASSERT_TRUE(
        api_->add_route(http::Method::kGet, "/api/v1/test/things/{id}",
                        [](http::Request& req, const Caller& caller) -> Result<http::Response> {
                          QWL_ASSIGN_OR_RETURN(int64_t id, path_id(req, "id"));
                          if (id == 404) return NotFoundError("thing {} not found", id);
                          return json_response(json{{"id", id}, {"user", caller.actor.user_id}});
                        },
                        {.roles = {Role::kMerchant, Role::kAdmin}})
            .ok());
    ASSERT_TRUE(
        api_->add_route(
                http::Method::kPost, "/api/v1/test/echo",
                [](http::Request& req, const Caller& caller) -> Result<http::Response> {
                  QWL_ASSIGN_OR_RETURN(json body, parse_json_body(req));
                  // A handler's own nlohmann misuse on client data: a 400, not a crash.
                  const int64_t n = body.at("n").get<int64_t>();
                  return json_response(json{{"n", n}, {"idempotency_key", caller.idempotency_key}});
                },
                {.max_body_bytes = 1024})
            .ok());
    server_ = std::make_unique<http::Server>(http::ServerOptions{.port = 0});
    ASSERT_TRUE(api_->register_routes(*server_).ok());
    ASSERT_TRUE(server_->start().ok());
    port_ = server_->port();
  }
  void TearDown() override {
    if (server_) server_->stop(std::chrono::milliseconds(0));
  }

  services::User make_user(std::string_view email, Role role, std::string_view password = "") {
    auto u = identity_->create_user(
        services::Actor::system(),
        {.email = std::string(email), .role = role, .password = std::string(password)});
    EXPECT_TRUE(u.ok()) << u.status().to_string();
    return u.ok() ? *u : services::User{};
  }
  std::string make_key(const services::User& u) {
    auto k = identity_->create_api_key(services::Actor::system(), u.id, {.name = "test"});
    EXPECT_TRUE(k.ok());
    return k.ok() ? k->key : "";
  }
  // Signs in and returns the "Cookie: ..." header.
  std::string sign_in(std::string_view email, std::string_view password) {
    Reply r = request(port_, "POST", "/api/v1/auth/login",
                      json{{"email", email}, {"password", password}}.dump());
    EXPECT_EQ(r.status, 200) << r.body;
    const std::string set_cookie = r.header("set-cookie");
    return "Cookie: " + set_cookie.substr(0, set_cookie.find(';'));
  }
  Reply get(std::string_view target, const std::vector<std::string>& headers = {}) {
    return request(port_, "GET", target, "", headers);
  }
  Reply post(std::string_view target, const json& body,
             const std::vector<std::string>& headers = {}) {
    return request(port_, "POST", target, body.dump(), headers);
  }

  ManualClock clock_;
  services::SeededRandom random_{1};
  std::unique_ptr<Db> db_;
  std::unique_ptr<services::Identity> identity_;
  std::unique_ptr<AppApi> api_;
  std::unique_ptr<http::Server> server_;
  uint16_t port_ = 0;
};

TEST_P(AppApiTest, SignInSetsAnHttpOnlyCookieAndSignOutEndsIt) {
  const services::User u = make_user("ann@example.com", Role::kCustomer, "tea with milk 42");
  Reply r =
      post("/api/v1/auth/login", {{"email", "ANN@example.com"}, {"password", "tea with milk 42"}});
  ASSERT_EQ(r.status, 200) << r.body;
  const std::string cookie = r.header("set-cookie");
  EXPECT_TRUE(cookie.starts_with("qwl_session=")) << cookie;
  EXPECT_NE(cookie.find("; HttpOnly"), std::string::npos);
  EXPECT_NE(cookie.find("; SameSite=Lax"), std::string::npos);
  EXPECT_NE(cookie.find("; Path=/"), std::string::npos);
  EXPECT_NE(cookie.find("; Max-Age=3600"), std::string::npos);
  EXPECT_EQ(cookie.find("Secure"), std::string::npos);
  EXPECT_EQ(r.body_json()["user"]["email"], "ann@example.com");
  EXPECT_EQ(r.body_json()["expires_at"], (clock_.wall_us() + kHourUs) / 1'000'000);
  EXPECT_EQ(r.body.find("tea with milk"), std::string::npos);
  const std::string session = "Cookie: other=1; " + cookie.substr(0, cookie.find(';'));

  Reply me = get("/api/v1/me", {session});
  ASSERT_EQ(me.status, 200) << me.body;
  EXPECT_EQ(me.body_json()["id"], u.id);
  EXPECT_EQ(me.body_json()["auth"], "session");
  EXPECT_EQ(me.body_json()["role"], "customer");

  Reply out = request(port_, "POST", "/api/v1/auth/logout", "", {session});
  ASSERT_EQ(out.status, 200) << out.body;
  EXPECT_NE(out.header("set-cookie").find("Max-Age=0"), std::string::npos);
  me = get("/api/v1/me", {session});
  EXPECT_EQ(me.status, 401);
  EXPECT_EQ(me.error_type(), "authentication_error");
  EXPECT_EQ(me.error_code(), "unauthenticated");
  EXPECT_EQ(me.header("www-authenticate"), "Bearer");
}

TEST_P(AppApiTest, BadSignInsAndBadBodiesGetClearJsonErrors) {
  make_user("bea@example.com", Role::kCustomer, "lemon green tea");
  make_user("off@example.com", Role::kCustomer, "lemon green tea");
  ASSERT_TRUE(identity_
                  ->set_disabled(
                      services::Actor::system(),
                      identity_->find_user(services::Actor::system(), "off@example.com")->id, true)
                  .ok());
  Reply r = post("/api/v1/auth/login", {{"email", "bea@example.com"}, {"password", "wrong one!"}});
  EXPECT_EQ(r.status, 401);
  EXPECT_EQ(r.message(), "email or password is wrong");
  EXPECT_TRUE(r.header("set-cookie").empty());
  r = post("/api/v1/auth/login",
           {{"email", "nobody@example.com"}, {"password", "lemon green tea"}});
  EXPECT_EQ(r.status, 401);
  EXPECT_EQ(r.message(), "email or password is wrong");
  r = post("/api/v1/auth/login", {{"email", "off@example.com"}, {"password", "lemon green tea"}});
  EXPECT_EQ(r.status, 403);
  EXPECT_EQ(r.error_type(), "permission_error");

  struct Case {
    std::string body;
    std::string says;
  };
  for (const Case& c : std::vector<Case>{
           {"", "empty body"},
           {"{\"email\": \"bea@example.com\", ", "invalid JSON at byte"},
           {"[1, 2]", "expected a JSON object, got array"},
           {std::string(100, '[') + std::string(100, ']'), "nested deeper than 64"},
           {R"({"email": "bea@example.com"})", "password: is required"},
           {R"({"email": 7, "password": "x"})", "email: expected a string, got number"},
           {R"({"email": "bea@example.com", "password": "x", "remember": true})",
            "remember: unknown field"},
       }) {
    r = request(port_, "POST", "/api/v1/auth/login", c.body);
    EXPECT_EQ(r.status, 400) << c.body;
    EXPECT_EQ(r.error_type(), "invalid_request_error");
    EXPECT_EQ(r.error_code(), "invalid_argument");
    EXPECT_NE(r.message().find(c.says), std::string::npos) << r.message();
  }
  // A body over the route's limit is refused by the server before it is read.
  r = request(port_, "POST", "/api/v1/auth/login",
              json{{"email", "bea@example.com"}, {"password", std::string(20'000, 'p')}}.dump());
  EXPECT_EQ(r.status, 413);
  EXPECT_EQ(r.body_json()["error"]["type"], "invalid_request_error");
  // Unknown routes under /api/v1 answer JSON too.
  r = get("/api/v1/no/such/route", {bearer(kOperatorKey)});
  EXPECT_EQ(r.status, 404);
  EXPECT_EQ(r.error_type(), "not_found_error");
}

TEST_P(AppApiTest, SessionsExpire) {
  make_user("cal@example.com", Role::kMerchant, "espresso tonic");
  const std::string session = sign_in("cal@example.com", "espresso tonic");
  EXPECT_EQ(get("/api/v1/me", {session}).status, 200);
  clock_.advance_us(kHourUs);
  Reply r = get("/api/v1/me", {session});
  EXPECT_EQ(r.status, 401);
  EXPECT_NE(r.message().find("expired"), std::string::npos);
  // A garbage cookie is the same 401, not an error of another kind.
  EXPECT_EQ(get("/api/v1/me", {"Cookie: qwl_session=garbage"}).status, 401);
  EXPECT_EQ(get("/api/v1/me").status, 401);
}

TEST_P(AppApiTest, BearerKeysActAsTheirUsersAndRolesAreEnforced) {
  const services::User shop = make_user("shop@example.com", Role::kMerchant);
  const services::User cust = make_user("cust@example.com", Role::kCustomer, "lotus root soup");
  const std::string shop_key = make_key(shop);
  const std::string cust_key = make_key(cust);

  Reply r = get("/api/v1/me", {bearer(shop_key)});
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.body_json()["email"], "shop@example.com");
  EXPECT_EQ(r.body_json()["auth"], "api_key");
  r = get("/api/v1/me", {bearer(kOperatorKey)});
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(r.body_json()["operator"], true);
  EXPECT_EQ(r.body_json()["role"], "admin");

  // A domain route limited to merchants and admins.
  r = get("/api/v1/test/things/7", {bearer(shop_key)});
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.body_json()["user"], shop.id);
  r = get("/api/v1/test/things/7", {bearer(cust_key)});
  EXPECT_EQ(r.status, 403);
  EXPECT_EQ(r.error_code(), "permission_denied");
  EXPECT_EQ(get("/api/v1/test/things/404", {bearer(shop_key)}).error_code(), "not_found");
  EXPECT_EQ(get("/api/v1/test/things/x7", {bearer(shop_key)}).status, 400);
  EXPECT_EQ(get("/api/v1/admin/users", {bearer(shop_key)}).status, 403);

  // A bad Authorization header is judged alone, even beside a good cookie.
  const std::string session = sign_in("cust@example.com", "lotus root soup");
  r = get("/api/v1/me", {bearer("qwl-not-a-real-key-at-all"), session});
  EXPECT_EQ(r.status, 401);
  EXPECT_EQ(r.message(), "invalid API key");
  EXPECT_EQ(get("/api/v1/me", {"Authorization: Basic dXNlcjpwdw=="}).status, 401);

  // Revoked: refused at once.
  auto keys = identity_->list_api_keys(services::Actor::system(), shop.id);
  ASSERT_TRUE(keys.ok() && keys->size() == 1);
  ASSERT_TRUE(identity_->revoke_api_key(services::Actor::system(), (*keys)[0].id).ok());
  r = get("/api/v1/me", {bearer(shop_key)});
  EXPECT_EQ(r.status, 401);
  EXPECT_EQ(r.message(), "API key revoked");
}

TEST_P(AppApiTest, AdminsCreateAndListUsersAndKeys) {
  const std::string op = bearer(kOperatorKey);
  Reply r = post("/api/v1/admin/users",
                 {{"email", "Dee@Example.com"},
                  {"name", "Dee 迪"},
                  {"role", "merchant"},
                  {"locale", "zh"},
                  {"password", "a fine passphrase"},
                  {"daily_spend_limit", 30000}},
                 {op});
  ASSERT_EQ(r.status, 201) << r.body;
  json dee = r.body_json();
  EXPECT_EQ(dee["email"], "dee@example.com");
  EXPECT_EQ(dee["role"], "merchant");
  EXPECT_EQ(dee["has_password"], true);
  EXPECT_EQ(dee["daily_spend_limit"], 30000);
  EXPECT_EQ(r.body.find("passphrase"), std::string::npos);

  r = post("/api/v1/admin/users", {{"email", "dee@example.com"}}, {op});
  EXPECT_EQ(r.status, 409);
  EXPECT_EQ(r.error_code(), "failed_precondition");
  EXPECT_EQ(r.error_type(), "conflict_error");
  r = post("/api/v1/admin/users", {{"email", "x@example.com"}, {"role", "boss"}}, {op});
  EXPECT_EQ(r.status, 400);
  EXPECT_NE(r.message().find("role: 'boss'"), std::string::npos);
  r = post("/api/v1/admin/users", {{"email", "x@example.com"}, {"password", "12345678"}}, {op});
  EXPECT_EQ(r.status, 400);
  EXPECT_NE(r.message().find("password"), std::string::npos);
  r = post("/api/v1/admin/users", {{"email", "x@example.com"}, {"password", ""}}, {op});
  EXPECT_EQ(r.status, 400);
  r = post("/api/v1/admin/users", {{"email", "not-an-email"}}, {op});
  EXPECT_EQ(r.status, 400);
  r = post("/api/v1/admin/users", {{"email", "x@example.com"}, {"daily_spend_limit", 1.5}}, {op});
  EXPECT_EQ(r.status, 400);

  for (int i = 0; i < 3; ++i)
    post("/api/v1/admin/users", {{"email", fmt::format("p{}@ex.com", i)}}, {op});
  r = get("/api/v1/admin/users?limit=2", {op});
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.body_json()["data"].size(), 2u);
  const int64_t next = r.body_json()["next_after"].get<int64_t>();
  r = get(fmt::format("/api/v1/admin/users?limit=2&after={}", next), {op});
  EXPECT_EQ(r.body_json()["data"].size(), 2u);
  EXPECT_TRUE(r.body_json()["next_after"].is_null());
  EXPECT_EQ(get("/api/v1/admin/users?limit=0", {op}).status, 400);
  EXPECT_EQ(get("/api/v1/admin/users?limit=abc", {op}).status, 400);

  // A key for Dee by email; it works at once; the listing never shows a secret.
  r = post("/api/v1/admin/keys",
           {{"email", "dee@example.com"}, {"name", "pos terminal"}, {"max_concurrent", 2}}, {op});
  ASSERT_EQ(r.status, 201) << r.body;
  const std::string key = r.body_json()["key"];
  EXPECT_TRUE(key.starts_with("qwl-"));
  EXPECT_EQ(r.body_json()["max_concurrent"], 2);
  EXPECT_EQ(get("/api/v1/me", {bearer(key)}).body_json()["email"], "dee@example.com");
  r = get("/api/v1/keys", {bearer(key)});
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(r.body_json()["data"].size(), 1u);
  EXPECT_EQ(r.body.find(key), std::string::npos);
  EXPECT_EQ(post("/api/v1/admin/keys", {{"email", "nobody@example.com"}}, {op}).status, 404);
  EXPECT_EQ(post("/api/v1/admin/keys", {{"user_id", 99999}}, {op}).status, 404);
  EXPECT_EQ(post("/api/v1/admin/keys", {{"name", "whose?"}}, {op}).status, 400);
  EXPECT_EQ(
      post("/api/v1/admin/keys", {{"user_id", dee["id"]}, {"max_concurrent", 0}}, {op}).status,
      400);
  // A merchant is no admin.
  EXPECT_EQ(post("/api/v1/admin/users", {{"email", "y@example.com"}}, {bearer(key)}).status, 403);
}

TEST_P(AppApiTest, IdempotencyKeyReplaysTheFirstAnswer) {
  const std::vector<std::string> headers = {std::string(bearer(kOperatorKey)),
                                            "Idempotency-Key: create-eve-1"};
  const json body = {{"email", "eve@example.com"}, {"password", "a fine passphrase"}};
  Reply first = post("/api/v1/admin/users", body, headers);
  ASSERT_EQ(first.status, 201) << first.body;
  EXPECT_TRUE(first.header("idempotent-replayed").empty());
  Reply second = post("/api/v1/admin/users", body, headers);
  ASSERT_EQ(second.status, 201) << second.body;
  EXPECT_EQ(second.header("idempotent-replayed"), "true");
  EXPECT_EQ(second.body_json(), first.body_json());
  // Another request under the same key is refused; a new key with the same email conflicts.
  Reply other = post("/api/v1/admin/users", {{"email", "eve2@example.com"}}, headers);
  EXPECT_EQ(other.status, 400);
  EXPECT_NE(other.message().find("different request"), std::string::npos) << other.message();
  Reply conflict = post("/api/v1/admin/users", body,
                        {std::string(bearer(kOperatorKey)), "Idempotency-Key: create-eve-2"});
  EXPECT_EQ(conflict.status, 409);
  // The password is not in the stored request hash's input, nor anywhere in the table.
  int64_t rows = 0;
  ASSERT_TRUE(db_->read([&](Tx& tx) -> Status {
                   QWL_ASSIGN_OR_RETURN(
                       rows, tx.query_int64("SELECT COUNT(*) FROM idempotency_keys WHERE "
                                            "response LIKE '%passphrase%'"));
                   return Status::Ok();
                 })
                  .ok());
  EXPECT_EQ(rows, 0);

  // The header is validated and handed to handlers.
  Reply echo = post("/api/v1/test/echo", {{"n", 5}},
                    {std::string(bearer(kOperatorKey)), "Idempotency-Key: abc-123"});
  ASSERT_EQ(echo.status, 200) << echo.body;
  EXPECT_EQ(echo.body_json()["idempotency_key"], "abc-123");
  Reply bad =
      post("/api/v1/test/echo", {{"n", 5}},
           {std::string(bearer(kOperatorKey)), "Idempotency-Key: " + std::string(300, 'k')});
  EXPECT_EQ(bad.status, 400);
  EXPECT_NE(bad.message().find("Idempotency-Key"), std::string::npos);
  // A handler's nlohmann type error on client data is a 400; a body over 1 KiB a 413.
  Reply wrong_type =
      post("/api/v1/test/echo", {{"n", "five"}}, {std::string(bearer(kOperatorKey))});
  EXPECT_EQ(wrong_type.status, 400) << wrong_type.body;
  EXPECT_EQ(post("/api/v1/test/echo", {{"n", 1}, {"pad", std::string(2000, 'x')}},
                 {std::string(bearer(kOperatorKey))})
                .status,
            413);
}

TEST_P(AppApiTest, CookieWritesFromAnotherOriginAreRefused) {
  make_user("fox@example.com", Role::kCustomer, "quiet morning walk");
  const std::string session = sign_in("fox@example.com", "quiet morning walk");
  Reply r = post("/api/v1/keys", {{"name", "evil"}}, {session, "Origin: https://evil.example"});
  EXPECT_EQ(r.status, 403);
  EXPECT_NE(r.message().find("cross-site"), std::string::npos);
  r = post("/api/v1/keys", {{"name", "mine"}},
           {session, fmt::format("Origin: http://127.0.0.1:{}", port_)});
  ASSERT_EQ(r.status, 201) << r.body;
  const int64_t own_key = r.body_json()["id"];
  // Reads carry no such check; bearer requests neither (no ambient credential).
  EXPECT_EQ(get("/api/v1/keys", {session, "Origin: https://evil.example"}).status, 200);

  // Own keys: listed, revoked; another user's key is NotFound.
  const services::User other = make_user("gil@example.com", Role::kCustomer);
  auto other_key = identity_->create_api_key(services::Actor::system(), other.id, {});
  ASSERT_TRUE(other_key.ok());
  r = request(port_, "DELETE", fmt::format("/api/v1/keys/{}", other_key->info.id), "", {session});
  EXPECT_EQ(r.status, 404);
  r = request(port_, "DELETE", fmt::format("/api/v1/keys/{}", own_key), "", {session});
  EXPECT_EQ(r.status, 200) << r.body;
  r = request(port_, "DELETE", fmt::format("/api/v1/keys/{}", own_key), "", {session});
  EXPECT_EQ(r.status, 409);
  EXPECT_EQ(request(port_, "DELETE", "/api/v1/keys/-1", "", {session}).status, 400);
  EXPECT_EQ(post("/api/v1/keys", json::object(), {bearer(kOperatorKey)}).status, 400);
}

TEST_P(AppApiTest, DatabaseKeyRingServesTheOpenAiApi) {
  const services::User u = make_user("hana@example.com", Role::kMerchant);
  auto k = identity_->create_api_key(services::Actor::system(), u.id, {.max_concurrent = 3});
  ASSERT_TRUE(k.ok());
  DatabaseKeyRing ring(identity_.get());
  auto op = auth::operator_key_record(kOperatorKey);
  ASSERT_TRUE(op.ok());
  ASSERT_TRUE(ring.add(*op).ok());

  auto p = ring.authenticate(k->key);
  ASSERT_TRUE(p.ok()) << p.status().to_string();
  EXPECT_EQ(p->user_id, std::to_string(u.id));
  EXPECT_EQ(p->role, auth::Role::kMerchant);
  EXPECT_EQ(p->max_concurrent, 3);
  EXPECT_EQ(p->key_id, auth::key_id(auth::hash_api_key(k->key)));
  auto o = ring.authenticate(kOperatorKey);
  ASSERT_TRUE(o.ok());
  EXPECT_EQ(o->user_id, "operator");
  EXPECT_EQ(ring.authenticate("qwl-unknown-key-000000000").status().code(),
            StatusCode::kUnauthenticated);

  ASSERT_TRUE(identity_->set_disabled(services::Actor::system(), u.id, true).ok());
  EXPECT_EQ(ring.authenticate(k->key).status().code(), StatusCode::kPermissionDenied);
  EXPECT_EQ(auth::auth_error_response(ring.authenticate(k->key).status()).status, 403);
  ASSERT_TRUE(identity_->set_disabled(services::Actor::system(), u.id, false).ok());
  ASSERT_TRUE(identity_->revoke_api_key(services::Actor::system(), k->info.id).ok());
  EXPECT_EQ(ring.authenticate(k->key).status().code(), StatusCode::kUnauthenticated);

  // The two layers write keys the same way.
  std::array<uint8_t, 32> bytes{};
  for (size_t i = 0; i < bytes.size(); ++i) bytes[i] = static_cast<uint8_t>(i * 37);
  EXPECT_EQ(services::format_api_key(bytes), auth::format_api_key(bytes));
}

TEST(AppApiRoutesTest, RefusesRoutesOutsideTheApiAndDuplicates) {
  ManualClock clock;
  auto url = services::testing::fresh_db(DbKind::kSqlite);
  ASSERT_TRUE(url.ok());
  services::Identity identity(**url, clock);
  AppApi api(identity);
  auto ok = [](http::Request&, const Caller&) -> Result<http::Response> {
    return json_response(json::object());
  };
  EXPECT_EQ(api.add_route(http::Method::kGet, "/v1/things", ok).code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(api.add_route(http::Method::kGet, "/api/v1/me", ok).code(),
            StatusCode::kInvalidArgument);
  EXPECT_TRUE(api.add_route(http::Method::kGet, "/api/v1/things", ok).ok());
  EXPECT_EQ(api.set_operator_key("short").code(), StatusCode::kInvalidArgument);
  http::Server server(http::ServerOptions{.port = 0});
  ASSERT_TRUE(api.register_routes(server).ok());
  EXPECT_EQ(api.add_route(http::Method::kGet, "/api/v1/late", ok).code(),
            StatusCode::kFailedPrecondition);
}

INSTANTIATE_TEST_SUITE_P(Db, AppApiTest, ::testing::Values(DbKind::kSqlite, DbKind::kPostgres),
                         [](const auto& info) { return services::testing::kind_name(info.param); });

}  // namespace
}  // namespace qwl::app
