// Idempotency keys (see idempotency.h).
#include "services/idempotency.h"

#include <optional>

#include "base/sha256.h"

namespace qwl::services {

Status validate_idempotency_key(std::string_view key) {
  if (key.empty() || key.size() > 255) {
    return InvalidArgumentError("idempotency key must be 1 to 255 characters, got {}", key.size());
  }
  for (char c : key) {
    if (c < 0x21 || c > 0x7e) {
      return InvalidArgumentError("idempotency key must be printable ASCII without spaces");
    }
  }
  return Status::Ok();
}

Result<IdempotentResult> run_idempotent(Db& db, const IdempotentRequest& request, int64_t now_us,
                                        const std::function<Result<std::string>(Tx&)>& fn) {
  QWL_RETURN_IF_ERROR(validate_idempotency_key(request.key));
  const Sha256Digest digest = sha256(request.request);
  const std::string hash = to_hex(digest);
  IdempotentResult result;
  Status s = db.transact([&](Tx& tx) -> Status {
    result = IdempotentResult{};  // the callable may run again after a retry
    QWL_ASSIGN_OR_RETURN(Rows rows, tx.query("SELECT operation, request_hash, response FROM "
                                             "idempotency_keys WHERE user_id = ? AND key = ?",
                                             {request.user_id, request.key}));
    if (!rows.empty()) {
      const Row& row = rows[0];
      if (row.text(0) != request.operation || row.text(1) != hash) {
        return InvalidArgumentError(
            "idempotency key '{}' was used with a different request ({}); use a new key",
            request.key, row.text(0));
      }
      result.response = row.text(2);
      result.replayed = true;
      return Status::Ok();
    }
    QWL_ASSIGN_OR_RETURN(result.response, fn(tx));
    return tx
        .exec(
            "INSERT INTO idempotency_keys (user_id, key, operation, request_hash, "
            "response, created_at_us) VALUES (?, ?, ?, ?, ?, ?)",
            {request.user_id, request.key, request.operation, hash, result.response, now_us})
        .status();
  });
  if (!s.ok()) return s;
  return result;
}

Result<int64_t> purge_idempotency_keys(Db& db, int64_t before_us) {
  int64_t deleted = 0;
  QWL_RETURN_IF_ERROR(db.transact([&](Tx& tx) -> Status {
    QWL_ASSIGN_OR_RETURN(
        deleted, tx.exec("DELETE FROM idempotency_keys WHERE created_at_us < ?", {before_us}));
    return Status::Ok();
  }));
  return deleted;
}

}  // namespace qwl::services
