// The bookings routes of the app API (/api/v1/...): restaurant tables, hotel rooms and rides
// over the booking services (services/bookings.h, docs/ecosystem/bookings.md), as JSON in and
// out. docs/api/bookings.md is the contract: every route, field, error and example.
//
//   GET  /api/v1/places/{id}/tables?date=&time=&party_size=[&window=&alternatives=]
//   POST /api/v1/bookings/tables                  GET /api/v1/bookings/tables[?limit=]
//   GET  /api/v1/bookings/tables/{id}             POST /api/v1/bookings/tables/{id}/cancel
//   GET  /api/v1/places/{id}/table-bookings?from=&to=     (the place's merchant owner, admins)
//   GET  /api/v1/places/{id}/rooms?check_in=&check_out=&guests=
//   POST /api/v1/bookings/hotels                  GET /api/v1/bookings/hotels[?limit=]
//   GET  /api/v1/bookings/hotels/{id}             POST /api/v1/bookings/hotels/{id}/cancel
//   GET  /api/v1/places/{id}/hotel-bookings?from=&to=     (the place's merchant owner, admins)
//   POST /api/v1/rides/quote    POST /api/v1/rides    GET /api/v1/rides[?limit=]
//   GET  /api/v1/rides/{id}     POST /api/v1/rides/{id}/cancel
//
// JSON conventions (shared by every domain of the app API): objects carry "object" and (when
// stored) "id"; lists are {"object":"list","data":[...],"has_more":bool}; money is integer fen
// with "currency":"CNY" on the object; instants are Unix seconds in fields ending in "_at";
// the city's local dates are "YYYY-MM-DD" and local times "HH:MM" (UTC+8, services/city_time.h);
// coordinates {"lat","lon"}; names in both languages as "..._en" and "..._zh". An unknown field
// in a body or an unknown query parameter is a 400 naming it; every 400 names its parameter in
// the error's "param" (and its message starts with it).
//
// Authentication, roles and error mapping are AppApi's (app_api.h). Writes that create a booking
// (POST /bookings/tables, /bookings/hotels, /rides) pass the Idempotency-Key header to the
// services' idempotent calls: a retry with the same key and body returns the same booking
// (header "Idempotent-Replayed: true") and books or charges nothing again; without a key the
// write simply runs once. Hotel bookings and rides require the price the user saw
// ("expected_total", "expected_price"): a changed price is a 409 and charges nothing.
//
// Ownership and thread-safety: `db` and `clock` must outlive the AppApi's server (the handlers
// keep references); the quoter is copied and called from the server's handler threads, so it
// must be thread-safe. Call before AppApi::register_routes().
#pragma once

#include "base/clock.h"
#include "base/status.h"
#include "server/app_api.h"
#include "services/rides.h"
#include "store/db.h"

namespace qwl::app {

// Adds the routes above to `api`. `quoter` gives the driving route for ride quotes and requests
// (services/rides.h); the server passes services::road_route_quoter(maps)
// (services/maps_adapters.h), whose NotFound for places no road joins becomes a 404. An empty
// quoter is allowed: the ride routes then answer 500 (the services' Internal "no route
// quoter"). Errors: AppApi::add_route()'s (a route already added).
//
// Besides the routes, the server must run services::run_bookings_worker(db, Clock::real())
// every few seconds (services/bookings.h): it moves rides through their lifecycle and completes
// past table bookings and stays.
Status add_booking_routes(AppApi& api, Db& db, const Clock& clock, services::RouteQuoter quoter);

}  // namespace qwl::app
