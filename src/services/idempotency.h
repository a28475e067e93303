// Idempotency keys with Stripe's semantics, for every write that a client may retry (checkout,
// payments, bookings, confirmations).
//
// run_idempotent() runs `fn` in a transaction and stores its response under (user, key) in that
// same transaction, so the effect and the record of it commit together. A later call with the
// same key and the same request (operation + request bytes, compared by SHA-256) gets the stored
// response back without running `fn` again (`replayed` = true): that is what makes a retried
// checkout after a lost reply or a crash place exactly one order. The same key with another
// operation or other request bytes is refused (InvalidArgument, "idempotency key ... was used
// with a different request"). A failed `fn` stores nothing: the key stays free, as Stripe does
// for requests that fail validation. Concurrent calls with one key are serialized by the
// database (the loser sees the winner's row on its retry). Keys are kept at least
// kIdempotencyRetention; purge_idempotency_keys() deletes older ones.
//
// Keys: 1 to 255 printable ASCII characters (InvalidArgument otherwise).
// Thread-safety: as Db.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "base/status.h"
#include "store/db.h"

namespace qwl::services {

inline constexpr int64_t kIdempotencyRetentionUs = 24LL * 3600 * 1'000'000;

struct IdempotentRequest {
  int64_t user_id = 0;
  std::string_view key;        // the client's Idempotency-Key
  std::string_view operation;  // "checkout", "topup", ... (part of what must match)
  std::string_view request;    // the request's canonical bytes (what must match)
};

struct IdempotentResult {
  std::string response;  // what fn returned the first time
  bool replayed = false;
};

// Checks a key's syntax.
Status validate_idempotency_key(std::string_view key);

// Runs fn once per (user, key) as described above. `fn` runs inside db.transact() and may run
// more than once on a retry, like any transaction callable.
Result<IdempotentResult> run_idempotent(Db& db, const IdempotentRequest& request, int64_t now_us,
                                        const std::function<Result<std::string>(Tx&)>& fn);

// Deletes keys created before `before_us` (callers pass now - kIdempotencyRetentionUs or
// earlier). Returns how many were deleted.
Result<int64_t> purge_idempotency_keys(Db& db, int64_t before_us);

}  // namespace qwl::services
