// Authorization helpers shared by the services (see actor.h for the rules).
#include "services/actor.h"

namespace qwl::services {

std::string_view role_name(Role role) {
  switch (role) {
    case Role::kCustomer:
      return "customer";
    case Role::kMerchant:
      return "merchant";
    case Role::kAdmin:
      return "admin";
  }
  return "customer";
}

std::optional<Role> parse_role(std::string_view name) {
  if (name == "customer") return Role::kCustomer;
  if (name == "merchant") return Role::kMerchant;
  if (name == "admin") return Role::kAdmin;
  return std::nullopt;
}

Status check_owner(const Actor& actor, int64_t owner_user_id, std::string_view what, int64_t id) {
  if (actor.is_admin() || actor.user_id == owner_user_id) return Status::Ok();
  return NotFoundError("{} {} not found", what, id);
}

Status check_merchant_access(Tx& tx, const Actor& actor, int64_t merchant_id) {
  if (actor.role == Role::kCustomer) {
    return PermissionDeniedError("only the merchant's owner may manage merchant {}", merchant_id);
  }
  Result<Rows> rows = tx.query("SELECT owner_user_id FROM merchants WHERE id = ?", {merchant_id});
  if (!rows.ok()) return rows.status();
  if (rows->empty()) return NotFoundError("merchant {} not found", merchant_id);
  if (actor.is_admin()) return Status::Ok();
  const Row& row = (*rows)[0];
  if (row.is_null(0) || row.int64(0) != actor.user_id) {
    return NotFoundError("merchant {} not found", merchant_id);
  }
  return Status::Ok();
}

}  // namespace qwl::services
