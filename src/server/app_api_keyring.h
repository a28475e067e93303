// The key ring of `qwenlayer serve`: the operator's --api-key and --keys-file keys in memory,
// then the users' API keys in the database (services/identity.h), behind the one KeyRing
// interface that the OpenAI API (server/openai_service.h) authenticates with.
//
// find() looks in memory first and asks the database only for a hash it does not hold there.
// A database key's record names the user by their numeric id ("42") with the user's current
// role and the key's max_concurrent; a revoked key is Unauthenticated ("API key revoked") and
// a disabled user's key PermissionDenied (403), so that both are refused with a clear answer.
// Each request costs one indexed SELECT; nothing is cached, so a revocation counts at once.
//
// Thread-safety: as KeyRing (thread-safe). The Identity must outlive the ring.
#pragma once

#include "server/api_keys.h"
#include "services/identity.h"

namespace qwl::app {

class DatabaseKeyRing final : public auth::KeyRing {
 public:
  // `identity` null: the memory keys only.
  explicit DatabaseKeyRing(services::Identity* identity) : identity_(identity) {}

  // add() and remove() manage the memory keys (operator, key file); database keys are managed
  // through Identity.
  Status add(auth::ApiKeyRecord record) override { return memory_.add(std::move(record)); }
  Status remove(const auth::KeyHash& hash) override { return memory_.remove(hash); }
  Result<auth::ApiKeyRecord> find(const auth::KeyHash& hash) const override;

  size_t memory_size() const { return memory_.size(); }

 private:
  auth::MemoryKeyRing memory_;
  services::Identity* identity_;
};

// The server layer's role for a services role (the same three roles).
auth::Role to_auth_role(services::Role role);

}  // namespace qwl::app
