// The commerce routes of the app API (/api/v1/...): the cart, coupons, checkout, orders with
// their cancellation, refunds and after-sales, the wallet, and the merchants' tools (their
// stores' orders, menus and products), over the commerce services (services/{cart,coupons,
// orders,payments,merchant_admin}.h, docs/ecosystem/commerce.md), as JSON in and out.
// docs/api/commerce.md is the contract: every route, field, error and example.
//
//   GET    /api/v1/cart[?merchant_id=]             DELETE /api/v1/cart[?merchant_id=]
//   POST   /api/v1/cart/lines                      PATCH/DELETE /api/v1/cart/lines/{id}
//   GET    /api/v1/coupons[?merchant_id=&include_used=]    POST /api/v1/coupons/{id}/claim
//   POST   /api/v1/checkout/preview                POST /api/v1/orders   (Idempotency-Key)
//   GET    /api/v1/orders[?status=&limit=&before=] GET  /api/v1/orders/{id}
//   POST   /api/v1/orders/{id}/cancel              POST /api/v1/orders/{id}/refund  (merchant)
//   POST   /api/v1/orders/{id}/after-sales         GET  /api/v1/orders/{id}/after-sales
//   GET    /api/v1/after-sales?order_id=           POST /api/v1/after-sales/{id}/resolve (merchant)
//   GET    /api/v1/wallet                          POST /api/v1/wallet/top-up  (Idempotency-Key)
//   GET    /api/v1/wallet/history[?limit=&before=] PUT  /api/v1/wallet/limit
//   merchants and admins only:
//   GET    /api/v1/merchant/stores                 GET  /api/v1/merchant/orders?merchant_id=
//   POST   /api/v1/merchant/orders/{id}/advance
//   GET    /api/v1/merchant/stores/{id}/menu       POST /api/v1/merchant/stores/{id}/menu-items
//   PATCH  /api/v1/merchant/menu-items/{id}        POST
//   /api/v1/merchant/menu-items/{id}/option-groups PATCH/DELETE /api/v1/merchant/option-groups/{id}
//   POST /api/v1/merchant/option-groups/{id}/options PATCH/DELETE /api/v1/merchant/options/{id} GET
//   /api/v1/merchant/stores/{id}/products   POST /api/v1/merchant/stores/{id}/products PATCH
//   /api/v1/merchant/products/{id}          POST /api/v1/merchant/products/{id}/variants PATCH
//   /api/v1/merchant/variants/{id}
//
// JSON conventions (shared by every domain of the app API): objects carry "object" and (when
// stored) "id"; lists are {"object":"list","data":[...],"has_more":bool}; money is integer fen
// with "currency":"CNY" on the object; instants are Unix seconds in fields ending in "_at";
// coordinates {"lat","lon"}; names in both languages as "..._en" and "..._zh". An unknown field
// in a body or an unknown query parameter is a 400 naming it; every 400 names its parameter in
// the error's "param" (and its message starts with it or names it).
//
// Authentication, roles and the error mapping are AppApi's (app_api.h): NotFound 404 (also for
// another user's order, cart line or wallet), PermissionDenied 403 (a customer on merchant
// routes), FailedPrecondition 409 (the state refuses: closed, sold out, insufficient funds,
// changed total, wrong order status). Money-moving writes run the services' idempotent paths
// under the Idempotency-Key header: POST /orders requires it, top-up and refund take it when
// sent; a retry with the same key and body gets the first answer back (same status and body,
// header "Idempotent-Replayed: true") and moves no money again; the same key with another body
// is a 400 (param "Idempotency-Key"). Checkout also requires "expected_total", the total the
// user confirmed from the preview: a different total now is a 409 and charges nothing.
//
// What the server must construct (cmd_serve), all outliving the server:
//   - one services::Orders over the ecosystem Db and Clock::real(), with OrdersOptions
//     .estimator set to the maps service's DeliveryEstimator (road routes) when maps is loaded
//     (nullptr: the straight-line estimate);
//   - one services::Fulfilment over that Orders, start()ed when the server starts (it moves
//     orders whose next step is due: accepted, preparing, on the way, delivered) and stop()ped
//     after server.stop() returns;
// and call add_commerce_routes(app_api, orders) before AppApi::register_routes().
//
// Thread-safety: the handlers run on the server's handler threads, any number at once; Orders
// and the services are thread-safe.
#pragma once

#include "base/status.h"
#include "server/app_api.h"
#include "services/orders.h"

namespace qwl::app {

// Adds the routes above to `api`. The Db and Clock are `orders`'s. Errors: AppApi::add_route()'s
// (a route already added).
Status add_commerce_routes(AppApi& api, services::Orders& orders);

}  // namespace qwl::app
