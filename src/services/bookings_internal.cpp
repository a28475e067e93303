// Pieces shared by the booking services (see bookings_internal.h).
#include "services/bookings_internal.h"

#include <fmt/format.h>

#include <charconv>

#include "services/city_time.h"
#include "services/idempotency.h"
#include "services/ledger.h"

namespace qwl::services::bookings_internal {

Status record_event(Tx& tx, int64_t user_id, std::string_view kind, int64_t ref_id,
                    std::string_view status, std::string_view payload_json, int64_t now_us) {
  return tx
      .exec(
          "INSERT INTO user_events (user_id, kind, ref_id, status, payload, at_us) "
          "VALUES (?, ?, ?, ?, ?, ?)",
          {user_id, kind, ref_id, status, payload_json, now_us})
      .status();
}

std::string json_quote(std::string_view text) {
  std::string out;
  out.reserve(text.size() + 2);
  out.push_back('"');
  for (char c : text) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          out += fmt::format("\\u{:04x}", static_cast<unsigned char>(c));
        } else {
          out.push_back(c);  // UTF-8 bytes pass through: JSON text is UTF-8
        }
    }
  }
  out.push_back('"');
  return out;
}

RequestBytes& RequestBytes::add(std::string_view name, int64_t value) {
  bytes_ += fmt::format("{}={};", name, value);
  return *this;
}

RequestBytes& RequestBytes::add(std::string_view name, double value) {
  bytes_ += fmt::format("{}={};", name, value);  // fmt's shortest round-trip form
  return *this;
}

RequestBytes& RequestBytes::add_text(std::string_view name, std::string_view value) {
  bytes_ += fmt::format("{}={}:{};", name, value.size(), value);
  return *this;
}

std::string local_day_text(int64_t day) {
  // Civil date from a day count (the proleptic Gregorian calendar in 400-year eras of 146097
  // days, counted from 0000-03-01 so that the leap day ends a year).
  const int64_t z = day + 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const int64_t doe = z - era * 146097;                                       // [0, 146096]
  const int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;  // [0, 399]
  const int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);                // [0, 365]
  const int64_t mp = (5 * doy + 2) / 153;                                     // [0, 11], from March
  const int64_t d = doy - (153 * mp + 2) / 5 + 1;
  const int64_t m = mp < 10 ? mp + 3 : mp - 9;
  const int64_t y = yoe + era * 400 + (m <= 2 ? 1 : 0);
  return fmt::format("{:04}-{:02}-{:02}", y, m, d);
}

std::string local_time_text(int64_t wall_us) {
  const LocalTime t = local_time(wall_us);
  return fmt::format("{} {:02}:{:02}", local_day_text(t.day), t.minute / 60, t.minute % 60);
}

Status check_booker(const Actor& actor, std::string_view what) {
  if (actor.user_id <= 0) {
    return PermissionDeniedError("{}: bookings are made by a signed-in user, not user {}", what,
                                 actor.user_id);
  }
  return Status::Ok();
}

Result<PlaceName> place_name(Tx& tx, int64_t poi_id) {
  QWL_ASSIGN_OR_RETURN(Rows rows,
                       tx.query("SELECT name_en, name_zh FROM pois WHERE id = ?", {poi_id}));
  if (rows.empty()) return NotFoundError("place {} not found", poi_id);
  return PlaceName{.en = rows[0].text(0), .zh = rows[0].text(1)};
}

Result<std::optional<PlaceMerchant>> place_merchant(Tx& tx, int64_t poi_id) {
  QWL_ASSIGN_OR_RETURN(
      Rows rows, tx.query("SELECT id, owner_user_id FROM merchants WHERE poi_id = ?", {poi_id}));
  if (rows.empty()) return std::optional<PlaceMerchant>();
  return std::optional<PlaceMerchant>(PlaceMerchant{
      .merchant_id = rows[0].int64(0),
      .owner_user_id = rows[0].is_null(1) ? 0 : rows[0].int64(1),
  });
}

Result<bool> manages_place(Tx& tx, const Actor& actor, int64_t poi_id) {
  if (actor.is_admin()) return true;
  if (actor.role != Role::kMerchant || actor.user_id <= 0) return false;
  QWL_ASSIGN_OR_RETURN(std::optional<PlaceMerchant> merchant, place_merchant(tx, poi_id));
  return merchant.has_value() && merchant->owner_user_id == actor.user_id;
}

Status check_place_manager(Tx& tx, const Actor& actor, int64_t poi_id) {
  if (actor.role == Role::kCustomer) {
    return PermissionDeniedError("only the owner of place {} may list its bookings", poi_id);
  }
  QWL_RETURN_IF_ERROR(place_name(tx, poi_id).status());
  QWL_ASSIGN_OR_RETURN(bool manages, manages_place(tx, actor, poi_id));
  if (!manages) return NotFoundError("place {} not found", poi_id);
  return Status::Ok();
}

Status charge_wallet(Tx& tx, int64_t user_id, int64_t payee_account, int64_t amount,
                     std::string_view booking_ref, std::string_view memo, int64_t now_us) {
  QWL_ASSIGN_OR_RETURN(int64_t wallet, account_id(tx, AccountKind::kWallet, user_id, now_us));
  return post(tx,
              LedgerTxn{.kind = "payment",
                        .user_id = user_id,
                        .booking_ref = std::string(booking_ref),
                        .memo = std::string(memo),
                        .postings = {{wallet, -amount}, {payee_account, amount}}},
              now_us)
      .status();
}

Status refund_payment(Tx& tx, int64_t user_id, std::string_view booking_ref, int64_t amount,
                      std::string_view memo, int64_t now_us) {
  // The payment's two entries: the debited wallet and the credited payee. Looking them up
  // (rather than recomputing the payee) keeps a refund right even if the place gained or lost
  // a merchant since the booking was paid.
  QWL_ASSIGN_OR_RETURN(
      Rows rows,
      tx.query("SELECT e.account_id, e.amount FROM ledger_txns t JOIN ledger_entries e ON "
               "e.txn_id = t.id WHERE t.booking_ref = ? AND t.kind = 'payment' ORDER BY e.id",
               {booking_ref}));
  int64_t payer = 0;
  int64_t payee = 0;
  int64_t paid = 0;
  for (const Row& row : rows) {
    if (row.int64(1) < 0) {
      payer = row.int64(0);
    } else {
      payee = row.int64(0);
      paid += row.int64(1);
    }
  }
  if (payer == 0 || payee == 0 || amount > paid) {
    return FailedPreconditionError("{}: no payment of {} to refund (paid {})", booking_ref, amount,
                                   paid);
  }
  return post(tx,
              LedgerTxn{.kind = "refund",
                        .user_id = user_id,
                        .booking_ref = std::string(booking_ref),
                        .memo = std::string(memo),
                        .postings = {{payee, -amount}, {payer, amount}}},
              now_us)
      .status();
}

Result<CreatedId> create_once(Db& db, int64_t user_id, std::string_view idempotency_key,
                              std::string_view operation, std::string_view request, int64_t now_us,
                              const std::function<Result<int64_t>(Tx&)>& fn) {
  if (idempotency_key.empty()) {
    CreatedId created;
    QWL_RETURN_IF_ERROR(db.transact([&](Tx& tx) -> Status {
      QWL_ASSIGN_OR_RETURN(created.id, fn(tx));
      return Status::Ok();
    }));
    return created;
  }
  QWL_ASSIGN_OR_RETURN(IdempotentResult result,
                       run_idempotent(db,
                                      IdempotentRequest{.user_id = user_id,
                                                        .key = idempotency_key,
                                                        .operation = operation,
                                                        .request = request},
                                      now_us, [&](Tx& tx) -> Result<std::string> {
                                        QWL_ASSIGN_OR_RETURN(int64_t id, fn(tx));
                                        return fmt::format("{}", id);
                                      }));
  CreatedId created{.replayed = result.replayed};
  const std::string& text = result.response;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), created.id);
  if (ec != std::errc() || end != text.data() + text.size() || created.id <= 0) {
    return InternalError("{}: idempotency key '{}' holds '{}', not a record id", operation,
                         idempotency_key, text);
  }
  return created;
}

}  // namespace qwl::services::bookings_internal
