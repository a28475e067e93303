// The serve key ring: memory keys first, then the database (see app_api_keyring.h).
#include "server/app_api_keyring.h"

#include <string>

namespace qwl::app {

auth::Role to_auth_role(services::Role role) {
  switch (role) {
    case services::Role::kCustomer:
      return auth::Role::kCustomer;
    case services::Role::kMerchant:
      return auth::Role::kMerchant;
    case services::Role::kAdmin:
      return auth::Role::kAdmin;
  }
  return auth::Role::kCustomer;
}

Result<auth::ApiKeyRecord> DatabaseKeyRing::find(const auth::KeyHash& hash) const {
  Result<auth::ApiKeyRecord> in_memory = memory_.find(hash);
  if (in_memory.ok() || identity_ == nullptr) return in_memory;
  QWL_ASSIGN_OR_RETURN(services::KeyIdentity who, identity_->resolve_api_key_hash(hash));
  return auth::ApiKeyRecord{.hash = hash,
                            .user_id = std::to_string(who.actor.user_id),
                            .role = to_auth_role(who.actor.role),
                            .max_concurrent = static_cast<int>(who.max_concurrent),
                            .label = "database key " + std::to_string(who.key_id)};
}

}  // namespace qwl::app
