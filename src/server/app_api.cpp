// The app API's router layer and its identity routes (see app_api.h).
#include "server/app_api.h"

#include "base/utf8.h"

#include <algorithm>
#include <charconv>
#include <exception>
#include <limits>

#include "base/log.h"
#include "server/api_keys.h"
#include "server/http_error.h"
#include "services/idempotency.h"

namespace qwl::app {
namespace {

using nlohmann::json;

constexpr int kMaxJsonDepth = 64;
constexpr std::string_view kApiPrefix = "/api/v1/";

bool is_safe_method(http::Method m) {
  return m == http::Method::kGet || m == http::Method::kHead || m == http::Method::kOptions;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// "https://shop.example:8443" names the same server as Host "shop.example:8443".
bool same_origin(std::string_view origin, std::optional<std::string_view> host) {
  if (!host) return false;
  for (std::string_view scheme : {"http://", "https://"}) {
    if (origin.size() > scheme.size() && http::iequals(origin.substr(0, scheme.size()), scheme))
      return http::iequals(origin.substr(scheme.size()), trim(*host));
  }
  return false;
}

int64_t seconds(int64_t us) {
  return us / 1'000'000;
}

std::string_view json_type(const json& j) {
  return j.type_name();
}

// The session cookie's attributes: HttpOnly (no script reads it), SameSite=Lax (not sent on
// cross-site POSTs), Path=/ (the web app and the API share it).
std::string session_cookie(std::string_view token, int64_t max_age_s, bool secure) {
  return fmt::format("{}={}; Path=/; HttpOnly; SameSite=Lax; Max-Age={}{}", kSessionCookie, token,
                     max_age_s, secure ? "; Secure" : "");
}

Result<services::Role> role_field(const json& body) {
  QWL_ASSIGN_OR_RETURN(std::optional<std::string> role, optional_string(body, "role"));
  if (!role) return services::Role::kCustomer;
  const std::optional<services::Role> parsed = services::parse_role(*role);
  if (!parsed)
    return InvalidArgumentError("role: '{}' is not one of customer, merchant, admin", *role);
  return *parsed;
}

Status check_fields(const json& body, std::initializer_list<std::string_view> known) {
  for (auto it = body.begin(); it != body.end(); ++it) {
    if (std::find(known.begin(), known.end(), it.key()) == known.end())
      return InvalidArgumentError("{}: unknown field", it.key());
  }
  return Status::Ok();
}

}  // namespace

std::string_view auth_via_name(AuthVia via) {
  switch (via) {
    case AuthVia::kNone:
      return "none";
    case AuthVia::kOperatorKey:
      return "operator_key";
    case AuthVia::kApiKey:
      return "api_key";
    case AuthVia::kSession:
      return "session";
  }
  return "none";
}

// ---- helpers -------------------------------------------------------------------------------

std::string_view error_code_for(StatusCode code) {
  switch (code) {
    case StatusCode::kOk:
      return "ok";
    case StatusCode::kInvalidArgument:
      return "invalid_argument";
    case StatusCode::kNotFound:
      return "not_found";
    case StatusCode::kCorrupt:
      return "corrupt";
    case StatusCode::kUnsupported:
      return "unsupported";
    case StatusCode::kOutOfRange:
      return "out_of_range";
    case StatusCode::kIoError:
      return "io_error";
    case StatusCode::kResourceExhausted:
      return "resource_exhausted";
    case StatusCode::kCancelled:
      return "cancelled";
    case StatusCode::kUnavailable:
      return "unavailable";
    case StatusCode::kInternal:
      return "internal";
    case StatusCode::kUnauthenticated:
      return "unauthenticated";
    case StatusCode::kPermissionDenied:
      return "permission_denied";
    case StatusCode::kFailedPrecondition:
      return "failed_precondition";
  }
  return "internal";
}

http::Response error_response(const Status& status) {
  http::Response r = http::error_response(status, {}, error_code_for(status.code()));
  if (status.code() == StatusCode::kUnauthenticated) r.headers.set("WWW-Authenticate", "Bearer");
  return r;
}

http::Response json_response(const json& body, int status) {
  return http::Response::json(body.dump(-1, ' ', false, json::error_handler_t::replace), status);
}

Result<json> parse_json_body(const http::Request& request) {
  const std::string& body = request.body;
  if (trim(body).empty())
    return InvalidArgumentError("request body: expected a JSON object, got an empty body");
  // Nesting is bounded before parsing, so that no parser or destructor recursion depends on
  // what a client sends.
  int depth = 0;
  bool in_string = false, escaped = false;
  for (char c : body) {
    if (in_string) {
      if (escaped)
        escaped = false;
      else if (c == '\\')
        escaped = true;
      else if (c == '"')
        in_string = false;
    } else if (c == '"') {
      in_string = true;
    } else if (c == '{' || c == '[') {
      if (++depth > kMaxJsonDepth)
        return InvalidArgumentError("request body: JSON nested deeper than {} levels",
                                    kMaxJsonDepth);
    } else if (c == '}' || c == ']') {
      --depth;
    }
  }
  json parsed;
  try {
    parsed = json::parse(body);
  } catch (const json::parse_error& e) {
    return InvalidArgumentError("request body: invalid JSON at byte {}", e.byte);
  }
  if (!parsed.is_object())
    return InvalidArgumentError("request body: expected a JSON object, got {}", json_type(parsed));
  return parsed;
}

Result<std::optional<std::string>> optional_string(const json& body, std::string_view field) {
  auto it = body.find(std::string(field));
  if (it == body.end() || it->is_null()) return std::optional<std::string>();
  if (!it->is_string())
    return InvalidArgumentError("{}: expected a string, got {}", field, json_type(*it));
  return std::optional<std::string>(it->get<std::string>());
}

Result<std::string> required_string(const json& body, std::string_view field) {
  QWL_ASSIGN_OR_RETURN(std::optional<std::string> value, optional_string(body, field));
  if (!value) return InvalidArgumentError("{}: is required", field);
  return *value;
}

Result<std::optional<int64_t>> optional_int(const json& body, std::string_view field) {
  auto it = body.find(std::string(field));
  if (it == body.end() || it->is_null()) return std::optional<int64_t>();
  if (it->is_number_unsigned()) {
    const uint64_t v = it->get<uint64_t>();
    if (v > static_cast<uint64_t>(std::numeric_limits<int64_t>::max()))
      return InvalidArgumentError("{}: {} is too large", field, v);
    return std::optional<int64_t>(static_cast<int64_t>(v));
  }
  if (it->is_number_integer()) return std::optional<int64_t>(it->get<int64_t>());
  return InvalidArgumentError("{}: expected an integer, got {}", field,
                              it->is_number_float() ? "a fraction" : json_type(*it));
}

Result<int64_t> path_id(const http::Request& request, std::string_view name) {
  const std::string_view text = request.param(name);
  int64_t id = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), id);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size() || id <= 0 ||
      text.front() == '+')
    return InvalidArgumentError("{}: '{}' is not an id (a positive integer)", name, text);
  return id;
}

Result<int64_t> query_int(const http::Request& request, std::string_view name, int64_t fallback,
                          int64_t min, int64_t max) {
  const std::optional<std::string_view> text = request.query_param(name);
  if (!text) return fallback;
  int64_t v = 0;
  const auto [end, ec] = std::from_chars(text->data(), text->data() + text->size(), v);
  if (text->empty() || ec != std::errc() || end != text->data() + text->size() || v < min ||
      v > max)
    return InvalidArgumentError("{}: '{}' is not an integer from {} to {}", name, *text, min, max);
  return v;
}

std::string shown(std::string_view text) {
  return utf8_shorten(text, 40);
}

std::optional<std::string> cookie_value(const http::Request& request, std::string_view name) {
  for (const http::Headers::Field& f : request.headers) {
    if (!http::iequals(f.name, "cookie")) continue;
    std::string_view rest = f.value;
    while (!rest.empty()) {
      const size_t semi = rest.find(';');
      const std::string_view pair = trim(rest.substr(0, semi));
      rest = semi == std::string_view::npos ? std::string_view() : rest.substr(semi + 1);
      const size_t eq = pair.find('=');
      if (eq == std::string_view::npos || trim(pair.substr(0, eq)) != name) continue;
      std::string_view value = trim(pair.substr(eq + 1));
      if (value.size() >= 2 && value.front() == '"' && value.back() == '"')
        value = value.substr(1, value.size() - 2);
      return std::string(value);
    }
  }
  return std::nullopt;
}

json user_json(const services::User& u) {
  return json{{"object", "user"},
              {"id", u.id},
              {"email", u.email},
              {"name", u.name},
              {"role", services::role_name(u.role)},
              {"locale", u.locale},
              {"has_password", u.has_password},
              {"daily_spend_limit", u.daily_spend_limit ? json(*u.daily_spend_limit) : json()},
              {"disabled", u.disabled},
              {"created_at", seconds(u.created_at_us)}};
}

json api_key_json(const services::ApiKeyInfo& k) {
  return json{{"object", "api_key"},
              {"id", k.id},
              {"user_id", k.user_id},
              {"user_email", k.user_email},
              {"name", k.name},
              {"prefix", k.prefix},
              {"max_concurrent", k.max_concurrent},
              {"created_at", seconds(k.created_at_us)},
              {"revoked_at", k.revoked_at_us ? json(seconds(*k.revoked_at_us)) : json()}};
}

// ---- AppApi --------------------------------------------------------------------------------

AppApi::AppApi(services::Identity& identity, AppApiOptions options)
    : identity_(identity), options_(options) {
  add_identity_routes();
}

Status AppApi::set_operator_key(std::string_view key) {
  QWL_RETURN_IF_ERROR(auth::check_key_text(key).with_context("--api-key"));
  operator_key_hash_ = sha256(key);
  return Status::Ok();
}

Status AppApi::add_route(http::Method method, std::string_view pattern, AppHandler handler,
                         AppRouteOptions options) {
  if (registered_)
    return FailedPreconditionError("app API: route {} added after the routes were registered",
                                   pattern);
  if (!pattern.starts_with(kApiPrefix))
    return InvalidArgumentError("app API: route {} does not start with {}", pattern, kApiPrefix);
  for (const Route& r : routes_) {
    if (r.method == method && r.pattern == pattern)
      return InvalidArgumentError("app API: {} {} is already a route", http::method_name(method),
                                  pattern);
  }
  routes_.push_back(Route{method, std::string(pattern), std::move(handler), std::move(options)});
  return Status::Ok();
}

Status AppApi::register_routes(http::Server& server) {
  if (registered_) return FailedPreconditionError("app API: routes registered twice");
  registered_ = true;
  for (const Route& route : routes_) {
    const size_t limit =
        route.options.max_body_bytes > 0 ? route.options.max_body_bytes : options_.max_body_bytes;
    // routes_ no longer changes: the pointer stays valid for the server's life.
    const Route* r = &route;
    QWL_RETURN_IF_ERROR(server.add_route(
        route.method, route.pattern,
        [this, r](http::Request& request) { return handle(r->handler, r->options, request); },
        http::RouteOptions{.max_body_bytes = limit}));
  }
  return Status::Ok();
}

Result<Caller> AppApi::authenticate(const http::Request& request) const {
  if (const std::optional<std::string_view> authorization = request.header("authorization")) {
    QWL_ASSIGN_OR_RETURN(const std::string_view key, auth::bearer_token(authorization));
    if (operator_key_hash_) {
      const Sha256Digest presented = sha256(key);
      if (auth::constant_time_equal(presented, *operator_key_hash_))
        return Caller{.actor = services::Actor::system(), .via = AuthVia::kOperatorKey};
    }
    QWL_ASSIGN_OR_RETURN(services::KeyIdentity who, identity_.resolve_api_key(key));
    return Caller{.actor = who.actor, .via = AuthVia::kApiKey, .api_key_id = who.key_id};
  }
  const std::optional<std::string> token = cookie_value(request, kSessionCookie);
  if (!token)
    return UnauthenticatedError(
        "not signed in: send 'Authorization: Bearer KEY' or sign in (POST /api/v1/auth/login)");
  QWL_ASSIGN_OR_RETURN(services::SessionInfo session, identity_.resolve_session(*token));
  if (!is_safe_method(request.method)) {
    const std::optional<std::string_view> origin = request.header("origin");
    if (origin && !same_origin(*origin, request.header("host")))
      return PermissionDeniedError("cross-site request refused: Origin {} is not this server",
                                   *origin);
  }
  return Caller{.actor = session.actor, .via = AuthVia::kSession};
}

http::Response AppApi::handle(const AppHandler& handler, const AppRouteOptions& options,
                              http::Request& request) const {
  Caller caller;
  if (!options.public_route) {
    Result<Caller> who = authenticate(request);
    if (!who.ok()) return error_response(who.status());
    caller = std::move(who).value();
    if (!options.roles.empty() && std::find(options.roles.begin(), options.roles.end(),
                                            caller.actor.role) == options.roles.end()) {
      std::string roles;
      for (services::Role role : options.roles)
        roles += (roles.empty() ? "" : " or ") + std::string(services::role_name(role));
      return error_response(PermissionDeniedError(
          "{} {}: needs the role {}", http::method_name(request.method), request.path, roles));
    }
  }
  if (const auto key = request.header("idempotency-key")) {
    const Status valid = services::validate_idempotency_key(*key);
    if (!valid.ok()) return error_response(valid.with_context("Idempotency-Key"));
    caller.idempotency_key = std::string(*key);
  }
  try {
    Result<http::Response> response = handler(request, caller);
    if (!response.ok()) return error_response(response.status());
    return std::move(response).value();
  } catch (const json::type_error& e) {
    return error_response(InvalidArgumentError("request: {}", e.what()));
  } catch (const json::out_of_range& e) {
    return error_response(InvalidArgumentError("request: {}", e.what()));
  } catch (const std::exception& e) {
    return error_response(
        InternalError("{} {}: {}", http::method_name(request.method), request.path, e.what()));
  }
}

// ---- identity routes -----------------------------------------------------------------------

void AppApi::add_identity_routes() {
  using http::Method;
  using services::Role;
  auto must = [](const Status& s) { QWL_CHECK(s.ok(), "app API: {}", s.to_string()); };
  services::Identity& id = identity_;

  must(add_route(Method::kPost, "/api/v1/auth/login",
                 [this, &id](http::Request& req, const Caller&) -> Result<http::Response> {
                   QWL_ASSIGN_OR_RETURN(json body, parse_json_body(req));
                   QWL_RETURN_IF_ERROR(check_fields(body, {"email", "password"}));
                   QWL_ASSIGN_OR_RETURN(std::string email, required_string(body, "email"));
                   QWL_ASSIGN_OR_RETURN(std::string password, required_string(body, "password"));
                   QWL_ASSIGN_OR_RETURN(services::NewSession session, id.sign_in(email, password));
                   const int64_t max_age_s =
                       std::max<int64_t>(0, seconds(session.expires_at_us - id.clock().wall_us()));
                   http::Response r =
                       json_response(json{{"object", "session"},
                                          {"user", user_json(session.user)},
                                          {"expires_at", seconds(session.expires_at_us)}});
                   r.headers.add("Set-Cookie",
                                 session_cookie(session.token, max_age_s, options_.secure_cookie));
                   r.headers.set("Cache-Control", "no-store");
                   return r;
                 },
                 {.public_route = true, .max_body_bytes = 8 * 1024}));

  must(add_route(
      Method::kPost, "/api/v1/auth/logout",
      [this, &id](http::Request& req, const Caller&) -> Result<http::Response> {
        if (const std::optional<std::string> token = cookie_value(req, kSessionCookie))
          QWL_RETURN_IF_ERROR(id.sign_out(*token));
        http::Response r = json_response(json{{"object", "session"}, {"signed_out", true}});
        r.headers.add("Set-Cookie", session_cookie("", 0, options_.secure_cookie));
        return r;
      },
      {.public_route = true, .max_body_bytes = 8 * 1024}));

  must(add_route(Method::kGet, "/api/v1/me",
                 [&id](http::Request&, const Caller& caller) -> Result<http::Response> {
                   json me;
                   if (caller.via == AuthVia::kOperatorKey) {
                     me = json{{"object", "user"},   {"id", 0},         {"email", nullptr},
                               {"name", "operator"}, {"role", "admin"}, {"operator", true}};
                   } else {
                     QWL_ASSIGN_OR_RETURN(services::User user,
                                          id.get_user(caller.actor, caller.actor.user_id));
                     me = user_json(user);
                   }
                   me["auth"] = auth_via_name(caller.via);
                   return json_response(me);
                 }));

  // The caller's own keys.
  must(add_route(Method::kGet, "/api/v1/keys",
                 [&id](http::Request&, const Caller& caller) -> Result<http::Response> {
                   QWL_ASSIGN_OR_RETURN(std::vector<services::ApiKeyInfo> keys,
                                        id.list_api_keys(caller.actor, caller.actor.user_id));
                   json data = json::array();
                   for (const services::ApiKeyInfo& k : keys) data.push_back(api_key_json(k));
                   return json_response(json{{"object", "list"}, {"data", data}});
                 }));
  auto create_key = [&id](const Caller& caller, int64_t user_id,
                          const json& body) -> Result<http::Response> {
    services::NewApiKeyParams params;
    QWL_ASSIGN_OR_RETURN(std::optional<std::string> name, optional_string(body, "name"));
    if (name) params.name = *name;
    QWL_ASSIGN_OR_RETURN(std::optional<int64_t> limit, optional_int(body, "max_concurrent"));
    if (limit) params.max_concurrent = *limit;
    QWL_ASSIGN_OR_RETURN(services::NewApiKey key, id.create_api_key(caller.actor, user_id, params));
    json out = api_key_json(key.info);
    out["key"] = key.key;  // shown once
    http::Response r = json_response(out, 201);
    r.headers.set("Cache-Control", "no-store");
    return r;
  };
  must(add_route(Method::kPost, "/api/v1/keys",
                 [create_key](http::Request& req, const Caller& caller) -> Result<http::Response> {
                   if (caller.via == AuthVia::kOperatorKey)
                     return InvalidArgumentError(
                         "the operator key belongs to no user: use POST /api/v1/admin/keys");
                   QWL_ASSIGN_OR_RETURN(json body, parse_json_body(req));
                   QWL_RETURN_IF_ERROR(check_fields(body, {"name", "max_concurrent"}));
                   return create_key(caller, caller.actor.user_id, body);
                 }));
  must(add_route(
      Method::kDelete, "/api/v1/keys/{id}",
      [&id](http::Request& req, const Caller& caller) -> Result<http::Response> {
        QWL_ASSIGN_OR_RETURN(int64_t key_id, path_id(req, "id"));
        QWL_RETURN_IF_ERROR(id.revoke_api_key(caller.actor, key_id));
        return json_response(json{{"object", "api_key"}, {"id", key_id}, {"revoked", true}});
      }));

  // Administration.
  const AppRouteOptions admin{.roles = {Role::kAdmin}};
  must(add_route(
      Method::kGet, "/api/v1/admin/users",
      [&id](http::Request& req, const Caller& caller) -> Result<http::Response> {
        QWL_ASSIGN_OR_RETURN(int64_t limit, query_int(req, "limit", 100, 1, 1000));
        QWL_ASSIGN_OR_RETURN(int64_t after,
                             query_int(req, "after", 0, 0, std::numeric_limits<int64_t>::max()));
        QWL_ASSIGN_OR_RETURN(services::UserPage page,
                             id.list_users(caller.actor, after, static_cast<int>(limit)));
        json data = json::array();
        for (const services::User& u : page.users) data.push_back(user_json(u));
        return json_response(
            json{{"object", "list"},
                 {"data", data},
                 {"next_after", page.next_after_id > 0 ? json(page.next_after_id) : json()}});
      },
      admin));

  must(add_route(
      Method::kPost, "/api/v1/admin/users",
      [&id](http::Request& req, const Caller& caller) -> Result<http::Response> {
        QWL_ASSIGN_OR_RETURN(json body, parse_json_body(req));
        QWL_RETURN_IF_ERROR(check_fields(
            body, {"email", "name", "role", "locale", "password", "daily_spend_limit"}));
        services::NewUser user;
        QWL_ASSIGN_OR_RETURN(user.email, required_string(body, "email"));
        QWL_ASSIGN_OR_RETURN(std::optional<std::string> name, optional_string(body, "name"));
        if (name) user.name = *name;
        QWL_ASSIGN_OR_RETURN(user.role, role_field(body));
        QWL_ASSIGN_OR_RETURN(std::optional<std::string> locale, optional_string(body, "locale"));
        if (locale) user.locale = *locale;
        QWL_ASSIGN_OR_RETURN(std::optional<std::string> password,
                             optional_string(body, "password"));
        if (password) {
          if (password->empty()) return InvalidArgumentError("password: is empty");
          user.password = *password;
        }
        QWL_ASSIGN_OR_RETURN(user.daily_spend_limit, optional_int(body, "daily_spend_limit"));
        if (caller.idempotency_key.empty()) {
          QWL_ASSIGN_OR_RETURN(services::User created, id.create_user(caller.actor, user));
          return json_response(user_json(created), 201);
        }
        // A retried request (same Idempotency-Key) gets the first answer back. The password
        // is not part of the stored request hash: an unsalted SHA-256 of it would be a cheap
        // target for guessing.
        QWL_ASSIGN_OR_RETURN(services::PreparedUser prepared, id.prepare_user(user));
        json canonical = body;
        if (canonical.contains("password")) canonical["password"] = "(set)";
        const std::string request_text = canonical.dump();
        QWL_ASSIGN_OR_RETURN(services::IdempotentResult result,
                             services::run_idempotent(
                                 id.db(),
                                 {.user_id = caller.actor.user_id,
                                  .key = caller.idempotency_key,
                                  .operation = "admin.create_user",
                                  .request = request_text},
                                 id.clock().wall_us(), [&](Tx& tx) -> Result<std::string> {
                                   QWL_ASSIGN_OR_RETURN(services::User created,
                                                        id.insert_user(tx, caller.actor, prepared));
                                   return user_json(created).dump();
                                 }));
        http::Response r = http::Response::json(result.response, 201);
        if (result.replayed) r.headers.set("Idempotent-Replayed", "true");
        return r;
      },
      admin));

  must(add_route(
      Method::kPost, "/api/v1/admin/keys",
      [&id, create_key](http::Request& req, const Caller& caller) -> Result<http::Response> {
        QWL_ASSIGN_OR_RETURN(json body, parse_json_body(req));
        QWL_RETURN_IF_ERROR(check_fields(body, {"user_id", "email", "name", "max_concurrent"}));
        QWL_ASSIGN_OR_RETURN(std::optional<int64_t> user_id, optional_int(body, "user_id"));
        QWL_ASSIGN_OR_RETURN(std::optional<std::string> email, optional_string(body, "email"));
        if (user_id.has_value() == email.has_value())
          return InvalidArgumentError("user_id or email: exactly one of them is required");
        if (email) {
          QWL_ASSIGN_OR_RETURN(services::User user, id.find_user(caller.actor, *email));
          user_id = user.id;
        }
        return create_key(caller, *user_id, body);
      },
      admin));
}

}  // namespace qwl::app
