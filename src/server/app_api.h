// The app API (/api/v1/...): the REST routes of the ecosystem on the same server as the OpenAI
// API (docs/API.md, "App API"). This file is its base: a small router layer that every domain's
// routes go through, and the identity routes (sign-in, sign-out, me, admin users and keys).
//
// What the layer does for every route, in one place:
//   1. authenticates the request to a Caller: "Authorization: Bearer KEY" with a database API key
//      (services/identity.h) or the operator's --api-key (an admin acting as the system, user
//      id 0), else the session cookie "qwl_session" of a web sign-in. A request that sends an
//      Authorization header is judged by it alone (a bad key is 401 even with a good cookie).
//      Routes marked public_route skip this (sign-in);
//   2. for cookie-authenticated writes (not GET/HEAD/OPTIONS), refuses an Origin header that is
//      not this server's own (403): SameSite=Lax already keeps the cookie off cross-site POSTs in
//      today's browsers; this covers older ones;
//   3. checks the route's roles (403 permission_error);
//   4. validates the Idempotency-Key header (1-255 printable ASCII, else 400) and hands it to
//      the handler in Caller::idempotency_key; a handler whose write may be retried runs it
//      through services::run_idempotent() (see POST /api/v1/admin/users);
//   5. calls the handler, and turns its error Status into the JSON error of http_error.h,
//      {"error":{"message":...,"type":...,"param":null,"code":...}}, with "code" the status in
//      snake_case (not_found, permission_denied, failed_precondition, ...): InvalidArgument 400,
//      Unauthenticated 401 (with WWW-Authenticate: Bearer), PermissionDenied 403, NotFound 404,
//      FailedPrecondition 409, ResourceExhausted 429, Unavailable 503, the rest 500 (message
//      hidden, the Status logged). A JSON type error thrown by a handler's own nlohmann calls
//      becomes a 400; any other exception a 500.
// Bodies larger than the route's limit are refused with 413 by the HTTP server before they are
// read; parse_json_body() refuses empty bodies, bad JSON (naming the byte), nesting deeper than
// 64 and anything but an object, each as a 400 that says so.
//
// Adding routes for a domain (orders, carts, ...), before the server starts:
//
//   app.add_route(http::Method::kGet, "/api/v1/orders/{id}",
//       [&](http::Request& req, const Caller& caller) -> Result<http::Response> {
//         QWL_ASSIGN_OR_RETURN(int64_t id, path_id(req, "id"));
//         QWL_ASSIGN_OR_RETURN(services::Order order, orders.get(caller.actor, id));
//         return json_response(order_json(order));
//       });
//   app.add_route(http::Method::kPost, "/api/v1/admin/things", handler,
//                 {.roles = {services::Role::kAdmin}, .max_body_bytes = 4096});
//
// Handlers run on the HTTP server's handler threads (they may query the database) and must be
// thread-safe. Patterns follow http_router.h and must start with "/api/v1/".
//
// Thread-safety: add_route(), set_operator_key() and register_routes() before the server
// starts; authenticate() and the handlers from any thread. The Identity must outlive the AppApi,
// and the AppApi the Server it registered with.
#pragma once

#include <fmt/format.h>

#include <cstddef>
#include <cstdint>
#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/sha256.h"
#include "base/status.h"
#include "server/http_message.h"
#include "server/http_router.h"
#include "server/http_server.h"
#include "services/actor.h"
#include "services/identity.h"

namespace qwl::app {

inline constexpr std::string_view kSessionCookie = "qwl_session";

// How a request proved who it acts as.
enum class AuthVia { kNone, kOperatorKey, kApiKey, kSession };
// "none", "operator_key", "api_key", "session".
std::string_view auth_via_name(AuthVia via);

// Who a request acts as, as a handler sees it.
struct Caller {
  services::Actor actor;  // Actor::system() for the operator key; user 0 customer for kNone
  AuthVia via = AuthVia::kNone;
  int64_t api_key_id = 0;       // the database key used (kApiKey)
  std::string idempotency_key;  // the validated Idempotency-Key header; empty when none
};

// A route's handler: a response, or an error Status that the layer turns into the JSON error.
using AppHandler =
    std::function<Result<http::Response>(http::Request& request, const Caller& caller)>;

struct AppRouteOptions {
  // No credentials needed (the Caller is kNone). Sign-in and sign-out only, so far.
  bool public_route = false;
  // Roles that may call the route; empty = any authenticated caller. Others get 403.
  std::vector<services::Role> roles;
  // The largest body; 0 = AppApiOptions::max_body_bytes.
  size_t max_body_bytes = 0;
};

struct AppApiOptions {
  size_t max_body_bytes = 64 * 1024;  // JSON bodies of the app API are small
  // Adds "Secure" to the session cookie: set it when clients reach the server over HTTPS (a
  // TLS proxy in front).
  bool secure_cookie = false;
};

class AppApi {
 public:
  // Adds the identity routes (see docs/API.md): POST /api/v1/auth/login, POST
  // /api/v1/auth/logout, GET /api/v1/me, GET and POST /api/v1/keys, DELETE /api/v1/keys/{id},
  // GET and POST /api/v1/admin/users, POST /api/v1/admin/keys.
  explicit AppApi(services::Identity& identity, AppApiOptions options = {});
  AppApi(const AppApi&) = delete;
  AppApi& operator=(const AppApi&) = delete;

  // The operator's key (--api-key): bearer requests with it act as Actor::system(). Only its
  // SHA-256 is kept. InvalidArgument for a key shorter than 16 or longer than 256 characters.
  Status set_operator_key(std::string_view key);

  // Adds a route. InvalidArgument for a pattern outside /api/v1/ or a method + pattern that is
  // already there; the router's pattern errors at register_routes().
  Status add_route(http::Method method, std::string_view pattern, AppHandler handler,
                   AppRouteOptions options = {});

  // Registers every route with the server (once, before server.start()).
  Status register_routes(http::Server& server);

  // The Caller of a request (steps 1 and 2 above): Unauthenticated when it has no valid
  // credential, PermissionDenied for a disabled account or a foreign Origin.
  Result<Caller> authenticate(const http::Request& request) const;

  // Runs one route as the server would (authentication, roles, idempotency key, errors).
  http::Response handle(const AppHandler& handler, const AppRouteOptions& options,
                        http::Request& request) const;

  services::Identity& identity() const { return identity_; }
  const AppApiOptions& options() const { return options_; }

 private:
  struct Route {
    http::Method method;
    std::string pattern;
    AppHandler handler;
    AppRouteOptions options;
  };
  void add_identity_routes();

  services::Identity& identity_;
  AppApiOptions options_;
  std::optional<Sha256Digest> operator_key_hash_;
  std::vector<Route> routes_;
  bool registered_ = false;
};

// ---- helpers for handlers ------------------------------------------------------------------

// The app API's JSON error for a non-ok status (the mapping above).
http::Response error_response(const Status& status);
// "not_found", "permission_denied", ... for the error's "code".
std::string_view error_code_for(StatusCode code);
// `body` as application/json (dumped without spaces, invalid UTF-8 replaced).
http::Response json_response(const nlohmann::json& body, int status = 200);
// The request body as a JSON object (see above for the refusals).
Result<nlohmann::json> parse_json_body(const http::Request& request);

// Fields of a JSON object, InvalidArgument naming the field when the type is wrong.
// A missing (or null) field is std::nullopt for the optional readers, an error for required().
Result<std::optional<std::string>> optional_string(const nlohmann::json& body,
                                                   std::string_view field);
Result<std::string> required_string(const nlohmann::json& body, std::string_view field);
Result<std::optional<int64_t>> optional_int(const nlohmann::json& body, std::string_view field);
// A path parameter that must be a positive decimal id ("{id}"); InvalidArgument otherwise.
Result<int64_t> path_id(const http::Request& request, std::string_view name);
// A query parameter as an integer in [min, max]; `fallback` when absent.
Result<int64_t> query_int(const http::Request& request, std::string_view name, int64_t fallback,
                          int64_t min, int64_t max);

// InvalidArgument "<param>: <what>": the prefix is how the error's "param" is found again.
template <typename... Args>
Status bad_param(std::string_view param, fmt::format_string<Args...> format, Args&&... args) {
  return InvalidArgumentError("{}: {}", param, fmt::format(format, std::forward<Args>(args)...));
}
// A client's text inside an error message, cut to 40 bytes on a UTF-8 boundary: it is echoed,
// not trusted.
std::string shown(std::string_view text);

// The value of cookie `name` in the request's Cookie headers, or nullopt.
std::optional<std::string> cookie_value(const http::Request& request, std::string_view name);

// A user as the API shows it: {"object":"user","id","email","name","role","locale",
// "has_password","daily_spend_limit","disabled","created_at"} (created_at in Unix seconds).
nlohmann::json user_json(const services::User& user);
// An API key without its secret: {"object":"api_key","id","user_id","user_email","name",
// "prefix","max_concurrent","created_at","revoked_at"}.
nlohmann::json api_key_json(const services::ApiKeyInfo& key);

}  // namespace qwl::app
