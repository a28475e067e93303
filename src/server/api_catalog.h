// The catalog routes of the app API (/api/v1/...): search over products and merchants, a
// product with its variants and attributes, a merchant with its opening hours, and its menu with
// option groups and prices, as JSON in and out. docs/api/catalog.md is the contract: every route,
// parameter, field, error and example.
//
//   GET /api/v1/search?q=&type=products|merchants&category=&brand=&merchant=&kind=&min_price=
//       &max_price=&attr.<name>=<value>&open_now=&in_stock=&min_rating=&sort=&lat=&lon=&radius=
//       &prefix=&limit=&offset=
//   GET /api/v1/products/{id}
//   GET /api/v1/merchants/{id}
//   GET /api/v1/merchants/{id}/menu
//
// Every route needs an authenticated caller (AppApi: a user's key, the operator key or a web
// session; none is a 401). Catalog data is public: any role sees the same answers, except that a
// delisted product is a 404 to everyone but its store's owner and admins. JSON conventions are
// the app API's (docs/api/catalog.md, "Conventions"): "object" and "id" on objects, lists as
// {"object":"list","data":[...],"has_more":bool} (search adds "total"), money in integer fen with
// "currency":"CNY", instants in Unix seconds in "..._at" fields, coordinates {"lat","lon"},
// names as "name_en"/"name_zh", ratings as numbers with one decimal (rating_x10 / 10). An
// unknown or repeated query parameter is a 400 naming it; every 400 names its parameter in the
// error's "param", and its message starts with it.
//
// The search index (services/search.h), who builds and refreshes it: the server (cmd_serve)
// owns one services::SearchIndex for the process, built with SearchIndex::build(db, clock) after
// the migrations and before the routes are registered, and kept alive until the server has
// stopped. A refresh thread of the server calls index.refresh() every kSearchRefreshInterval
// (a std::jthread that sleeps on its stop_token), logging and keeping the old index on error;
// refresh() runs beside searches and applies only the logged changes, so the interval bounds how
// long a menu or stock edit takes to show in search (products/{id}, merchants/{id} and menus read
// the database and are always current). Writers that want a change searchable at once (a
// merchant editing a menu) may also call refresh() after their commit.
//
// Ownership and thread-safety: `db`, `clock` and `index` must outlive the AppApi's server (the
// handlers keep references); the handlers run on the server's handler threads, any number at
// once. Call before AppApi::register_routes().
#pragma once

#include <chrono>
#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "base/clock.h"
#include "base/status.h"
#include "server/app_api.h"
#include "services/search.h"
#include "store/db.h"

namespace qwl::app {

// How often the server's refresh thread should call SearchIndex::refresh().
inline constexpr std::chrono::seconds kSearchRefreshInterval{2};

// Adds the routes above to `api`. Errors: AppApi::add_route()'s (a route already added).
Status add_catalog_routes(AppApi& api, Db& db, const Clock& clock,
                          const services::SearchIndex& index);

// ---- query-string readers shared by the catalog and maps routes (api_maps.cpp) -------------
//
// Each returns InvalidArgument "<param>: <what>" (the parameter first, so that with_param()
// finds it again), echoing at most 40 bytes of what the client sent.
namespace api_query {

// bad_param() and shown() are app_api.h's.

// The first query parameter that is not in `known` (nor, with `prefix`, starts with it), or
// that appears twice, as InvalidArgument naming it.
Status check_query(const http::Request& request, std::initializer_list<std::string_view> known,
                   std::string_view prefix = {});

// "true"/"1" or "false"/"0"; `fallback` when absent.
Result<bool> query_bool(const http::Request& request, std::string_view name, bool fallback);
// A finite decimal number in [min, max]; nullopt when absent.
Result<std::optional<double>> query_double(const http::Request& request, std::string_view name,
                                           double min, double max);
// lat and lon together (both or neither): WGS84 degrees. `required` makes absence an error.
Result<std::optional<std::pair<double, double>>> query_lat_lon(const http::Request& request,
                                                               bool required);
// A rating 0..5 with at most one decimal ("4.5") as tenths (45); nullopt when absent.
Result<std::optional<int64_t>> query_rating_x10(const http::Request& request,
                                                std::string_view name);

// The parameter an InvalidArgument (or a from/to NotFound) message names: its leading
// "<param>: ", or a services' message's field ("search: filters.min_price ...") translated to the
// API's name. "" when none.
std::string param_of(std::string_view message);

// A handler's error as the app API's error JSON with "param" filled in (InvalidArgument, and
// NotFound messages that start with a parameter); every other outcome is returned unchanged.
Result<http::Response> with_param(Result<http::Response> response);

}  // namespace api_query

}  // namespace qwl::app
