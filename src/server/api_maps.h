// The maps routes of the app API (/api/v1/...): places near a point, one place, geocoding of the
// caller's saved places and of named places, routes for walking, cycling and driving, and a
// merchant's delivery ETA, over the maps service (services/maps.h), as JSON in and out.
// docs/api/maps.md is the contract: every route, parameter, field, error and example.
//
//   GET  /api/v1/places/nearby?lat=&lon=&radius=&kind=&cuisine=&open_now=&min_rating=&limit=
//   GET  /api/v1/places/{id}
//   GET  /api/v1/geocode?q=&lat=&lon=&limit=
//   GET  /api/v1/routes?from=&to=&mode=        POST /api/v1/routes {"from","to","mode"}
//   GET  /api/v1/merchants/{id}/delivery-eta?address_id=   (or ?lat=&lon=)
//
// Every route needs an authenticated caller (a 401 otherwise). Places are public; saved
// addresses are the caller's own: geocoding reads only the caller's, and a route or ETA to
// another user's address is a 404 exactly like a missing one (admins may use any). A waypoint
// ("from", "to") is a coordinate, a place id, one of the caller's address ids, or a text that is
// geocoded (a saved label such as "home"/"公司" first, then a place name). Times come from the
// injected Clock ("eta_at" is now + the duration, in Unix seconds). Conventions (objects, lists,
// money, coordinates, names, errors naming their "param", unknown parameters a 400) are the app
// API's, as in api_catalog.h.
//
// The maps index, who builds and refreshes it: the server (cmd_serve) owns one services::Maps
// for the process, loaded with Maps::load(db, clock) after the migrations and before the routes
// are registered, and kept alive until the server has stopped (the bookings routes' ride quoter
// uses the same object). A refresh thread of the server calls maps.refresh(db) every
// kMapsRefreshInterval, logging and keeping the current snapshot on error: a refresh reads every
// road and place again (about a second on the large city), and queries running meanwhile finish
// on the old snapshot. Places and roads change rarely (seeding, an admin's edit), so the
// interval is long; GET /places/{id} reads the database and is always current.
//
// Ownership and thread-safety: `db`, `clock` and `maps` must outlive the AppApi's server (the
// handlers keep references); handlers run on the server's handler threads, any number at once
// (Maps' const methods are thread-safe beside refresh()). Call before AppApi::register_routes().
#pragma once

#include <chrono>

#include "base/clock.h"
#include "base/status.h"
#include "server/app_api.h"
#include "services/maps.h"
#include "store/db.h"

namespace qwl::app {

// How often the server's refresh thread should call Maps::refresh().
inline constexpr std::chrono::seconds kMapsRefreshInterval{300};

// Adds the routes above to `api`. Errors: AppApi::add_route()'s (a route already added).
Status add_map_routes(AppApi& api, Db& db, const Clock& clock, const services::Maps& maps);

}  // namespace qwl::app
