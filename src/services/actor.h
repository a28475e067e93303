// Who is acting: every service call takes the Actor of the request (from its API key or web
// session, never from model output) and checks what that actor may see and do.
//
// Rules shared by all services: a customer reaches only their own records (orders, wallet,
// bookings, addresses, cart); a merchant reaches their own store(s) (merchants.owner_user_id),
// its orders and its menu and products, plus what any customer may do as themselves; an admin
// reaches everything. A record the actor may not see answers NotFound, exactly as a missing one
// does, so that ids of other users' records reveal nothing. An action the actor's role may not
// take (a customer editing a menu) is PermissionDenied.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

#include "base/status.h"
#include "store/db.h"

namespace qwl::services {

enum class Role { kCustomer, kMerchant, kAdmin };

std::string_view role_name(Role role);  // "customer", "merchant", "admin"
std::optional<Role> parse_role(std::string_view name);

struct Actor {
  int64_t user_id = 0;
  Role role = Role::kCustomer;

  bool is_admin() const { return role == Role::kAdmin; }
  // The system itself (the fulfilment worker, seeding): user id 0 with the admin role.
  static Actor system() { return Actor{.user_id = 0, .role = Role::kAdmin}; }
};

// Ok when the actor may reach a record owned by `owner_user_id`; NotFound("<what> <id> not
// found") otherwise.
Status check_owner(const Actor& actor, int64_t owner_user_id, std::string_view what, int64_t id);

// Ok when the actor may manage merchant `merchant_id` (its owner, or an admin). A merchant
// that does not exist, or one the actor does not own, is NotFound; a customer is
// PermissionDenied.
Status check_merchant_access(Tx& tx, const Actor& actor, int64_t merchant_id);

}  // namespace qwl::services
