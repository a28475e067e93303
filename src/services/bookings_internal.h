// Pieces shared by the three booking services (table_bookings, hotel_bookings, rides) and by
// nothing else: the user_events outbox row every status change writes, the canonical request
// bytes that an idempotency key is bound to, who manages a place (the owner of the merchant
// whose poi it is), and the ledger payment behind a booking, found again by its reference
// ("hotel:3") so that a refund always goes back the way the money came.
//
// Thread-safety: functions take the caller's Tx (or Db) and are as thread-safe as it is.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "base/status.h"
#include "services/actor.h"
#include "store/db.h"

namespace qwl::services::bookings_internal {

// Appends one row to user_events for `user_id` (the booking's owner, whoever acted), in the
// caller's transaction so the event commits with the change it reports. kind: table_booking,
// hotel_booking or ride; payload: a JSON object's text.
Status record_event(Tx& tx, int64_t user_id, std::string_view kind, int64_t ref_id,
                    std::string_view status, std::string_view payload_json, int64_t now_us);

// `text` as a JSON string literal (quotes, backslashes and control characters escaped).
std::string json_quote(std::string_view text);

// The canonical bytes of a request, for run_idempotent(): "name=value;" per field, texts
// length-prefixed so that no two different requests give the same bytes.
class RequestBytes {
 public:
  RequestBytes& add(std::string_view name, int64_t value);
  RequestBytes& add(std::string_view name, double value);  // shortest exact decimal form
  RequestBytes& add_text(std::string_view name, std::string_view value);
  const std::string& str() const { return bytes_; }

 private:
  std::string bytes_;
};

// "2026-11-23 19:00": a UTC instant in the city's local time, for messages.
std::string local_time_text(int64_t wall_us);
// "2026-11-23": a local day (days since 1970-01-01), for messages.
std::string local_day_text(int64_t day);

// Bookings are made by a real user for themselves: the system actor (user 0) is refused with
// PermissionDenied naming `what`.
Status check_booker(const Actor& actor, std::string_view what);

// The name of a place; NotFound("place N not found").
struct PlaceName {
  std::string en;
  std::string zh;
};
Result<PlaceName> place_name(Tx& tx, int64_t poi_id);

// The merchant whose poi is `poi_id`, if any.
struct PlaceMerchant {
  int64_t merchant_id = 0;
  int64_t owner_user_id = 0;  // 0: no owner
};
Result<std::optional<PlaceMerchant>> place_merchant(Tx& tx, int64_t poi_id);

// Whether `actor` manages the place: an admin, or the owner of its merchant.
Result<bool> manages_place(Tx& tx, const Actor& actor, int64_t poi_id);

// For a place's booking lists: ok for an admin or the place's merchant owner; a customer is
// PermissionDenied; an unknown place, or one the merchant does not own, NotFound.
Status check_place_manager(Tx& tx, const Actor& actor, int64_t poi_id);

// Moves `amount` (> 0) from the user's wallet to `payee_account` as a ledger payment with the
// booking's reference. FailedPrecondition "insufficient funds" from the ledger when the wallet
// is short.
Status charge_wallet(Tx& tx, int64_t user_id, int64_t payee_account, int64_t amount,
                     std::string_view booking_ref, std::string_view memo, int64_t now_us);

// Pays `amount` (> 0) of the booking's payment back: from the account that was credited to
// the wallet that was debited, as a ledger refund. FailedPrecondition when the booking has no
// payment or `amount` exceeds it.
Status refund_payment(Tx& tx, int64_t user_id, std::string_view booking_ref, int64_t amount,
                      std::string_view memo, int64_t now_us);

// Runs `fn` (which creates a record and returns its id) in one transaction; with a non-empty
// idempotency key through run_idempotent() under (user, key, operation, request), so a retry
// returns the first id with `replayed` set and creates nothing.
struct CreatedId {
  int64_t id = 0;
  bool replayed = false;
};
Result<CreatedId> create_once(Db& db, int64_t user_id, std::string_view idempotency_key,
                              std::string_view operation, std::string_view request, int64_t now_us,
                              const std::function<Result<int64_t>(Tx&)>& fn);

}  // namespace qwl::services::bookings_internal
