// Pending actions: irreversible tool calls waiting for the user (DESIGN.md, "the user, not the
// model, confirms").
//
// propose() stores a draft (executor.h) as a pending action of a session, bound to the SHA-256
// of its content (canonical JSON: sorted keys, no spaces), and replaces (status "replaced")
// any other pending action of that session: a refinement ("switch to Manner", "改成少冰")
// yields a new card and the old one can no longer be confirmed. confirm() takes the id and the
// hash the user saw: a wrong hash, another user's action (NotFound), an action that is not
// pending, or one past its expiry (kActionTtl, 10 minutes) is refused and nothing runs.
// Otherwise the executor prepares the same call again; if the bound content changed (price,
// stock, hours, coupon), the action fails with FailedPrecondition naming what changed and the
// new content is proposed as a new pending action for the user to look at. If it holds, the
// executor commits it with the idempotency key "agent-action-<id>", so concurrent or repeated
// confirms execute it exactly once and all see the same result. cancel() ends a pending one.
//
// Actions live in the database (table agent_actions, migration 0006), so they survive a
// restart and are seen by every node on one PostgreSQL.
// Thread-safety: all methods may be called concurrently; the database serialises them.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "agent/executor.h"
#include "base/clock.h"
#include "base/status.h"
#include "store/db.h"

namespace qwl::agent {

inline constexpr std::chrono::minutes kActionTtl{10};

enum class ActionStatus { kPending, kConfirmed, kCancelled, kExpired, kReplaced, kFailed };
std::string_view action_status_name(ActionStatus status);  // "pending", "confirmed", ...

struct PendingAction {
  std::string id;  // "act_" + 24 random hex digits
  int64_t user_id = 0;
  std::string session_id;  // the chat session, or "" (MCP without a session)
  ActionDraft draft;
  std::string hash;  // hex SHA-256 of canonical(draft.content)
  ActionStatus status = ActionStatus::kPending;
  int64_t created_us = 0;
  int64_t expires_us = 0;
  int64_t decided_us = 0;   // when confirmed / cancelled / failed; 0 while pending
  nlohmann::json result;    // the committed result (confirmed), or null
  std::string error;        // why it failed (failed)
  std::string replaced_by;  // the action that replaced this one (replaced, failed)

  // {"id", "tool", "status", "summary", "content", "info", "hash", "expires_at", "result", ...}
  // as the app API and MCP show it.
  nlohmann::json to_json() const;
};

// The canonical text of `content` and its hash.
std::string canonical_json(const nlohmann::json& content);
std::string content_hash(const nlohmann::json& content);

class ActionStore {
 public:
  // `db`, `clock` and `executor` must outlive the store.
  ActionStore(Db& db, const Clock& clock, ToolExecutor& executor);

  Result<PendingAction> propose(const UserContext& user, std::string_view session_id,
                                ActionDraft draft);
  // NotFound for an unknown id or another user's action. Expired ones read as kExpired.
  Result<PendingAction> get(const UserContext& user, std::string_view action_id);
  // The session's actions, newest first (pending ones first of all).
  Result<std::vector<PendingAction>> list(const UserContext& user, std::string_view session_id,
                                          bool pending_only = false);
  // See above. On success the action is kConfirmed with its result; a second confirm of a
  // confirmed action (same hash) returns it again without running anything.
  // FailedPrecondition: expired, cancelled, replaced, failed, or the content changed (then the
  // returned error names the new action id in its message).
  // InvalidArgument: the hash does not match.
  Result<PendingAction> confirm(const UserContext& user, std::string_view action_id,
                                std::string_view hash);
  // Cancels a pending action (FailedPrecondition when it is not pending; a second cancel of a
  // cancelled one returns it).
  Result<PendingAction> cancel(const UserContext& user, std::string_view action_id);

 private:
  Db& db_;
  const Clock& clock_;
  ToolExecutor& executor_;
};

}  // namespace qwl::agent
