// Pending actions in the database (see actions.h).
//
// The one hard part is confirm(): "exactly once" must hold when the same action is confirmed
// by a double-click, by two devices, or by a retry after a lost reply. The executor's
// idempotency key alone is not enough, because confirm() re-prepares before it commits, and a
// re-prepare that runs after another confirm's commit sees the world that commit changed (the
// cart it emptied) and would fail an action that in fact succeeded. So one confirm at a time
// holds a lease on the row (confirming_since_us, set in a serializable transaction) while it
// re-prepares and commits; the others poll the row until it leaves 'pending' and return what
// it became. A lease older than kConfirmLeaseUs belongs to a confirmer that died between
// claiming and finishing: the next confirm takes it over and commits the stored draft with the
// same idempotency key without re-preparing, which either returns the dead confirmer's result
// (it did commit) or runs the action the user confirmed in time (it did not). The services
// check the expected total again inside their own transaction, so a stale draft can never
// charge a different amount.
#include "agent/actions.h"

#include <algorithm>
#include <random>
#include <set>
#include <thread>

#include <fmt/format.h>

#include "base/sha256.h"

namespace qwl::agent {
namespace {

// How long a confirm may hold an action before another one takes over (injected clock).
constexpr int64_t kConfirmLeaseUs = 60'000'000;
// How long a confirm waits (real time) for another confirm of the same action to finish.
constexpr std::chrono::seconds kConfirmWait{30};
constexpr std::chrono::milliseconds kConfirmPoll{5};
// list() returns at most this many actions of one session.
constexpr int kListLimit = 200;

constexpr std::string_view kColumns =
    "id, user_id, session_id, tool, arguments, content, info, summary, hash, status, "
    "created_at_us, expires_at_us, decided_at_us, confirming_since_us, result, error, "
    "replaced_by";

std::optional<ActionStatus> parse_status(std::string_view name) {
  for (ActionStatus s : {ActionStatus::kPending, ActionStatus::kConfirmed, ActionStatus::kCancelled,
                         ActionStatus::kExpired, ActionStatus::kReplaced, ActionStatus::kFailed}) {
    if (action_status_name(s) == name) return s;
  }
  return std::nullopt;
}

std::string new_action_id() {
  // std::random_device reads the kernel's CSPRNG on Linux; ids must not be guessable even
  // though another user's id answers NotFound anyway.
  std::random_device device;
  const uint32_t a = device(), b = device(), c = device();
  return fmt::format("act_{:08x}{:08x}{:08x}", a, b, c);
}

Result<nlohmann::json> parse_stored(const std::string& text, std::string_view id,
                                    std::string_view column) {
  nlohmann::json value = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (value.is_discarded()) {
    return CorruptError("agent_actions {}: column {} is not JSON", id, column);
  }
  return value;
}

// A row as stored, with the lease that PendingAction does not show.
struct Stored {
  PendingAction action;
  int64_t confirming_since_us = 0;
};

Result<Stored> from_row(const Row& row) {
  Stored s;
  PendingAction& a = s.action;
  a.id = row.text(0);
  a.user_id = row.int64(1);
  a.session_id = row.text(2);
  a.draft.tool = row.text(3);
  QWL_ASSIGN_OR_RETURN(a.draft.arguments, parse_stored(row.text(4), a.id, "arguments"));
  QWL_ASSIGN_OR_RETURN(a.draft.content, parse_stored(row.text(5), a.id, "content"));
  QWL_ASSIGN_OR_RETURN(a.draft.info, parse_stored(row.text(6), a.id, "info"));
  a.draft.summary = row.text(7);
  a.hash = row.text(8);
  const std::optional<ActionStatus> status = parse_status(row.text(9));
  if (!status) return CorruptError("agent_actions {}: unknown status '{}'", a.id, row.text(9));
  a.status = *status;
  a.created_us = row.int64(10);
  a.expires_us = row.int64(11);
  a.decided_us = row.int64(12);
  s.confirming_since_us = row.int64(13);
  if (!row.is_null(14)) {
    QWL_ASSIGN_OR_RETURN(a.result, parse_stored(row.text(14), a.id, "result"));
  }
  a.error = row.text(15);
  a.replaced_by = row.text(16);
  return s;
}

// The action `id` of `user_id`; NotFound for a missing one and for another user's.
Result<Stored> load(Tx& tx, std::string_view id, int64_t user_id) {
  QWL_ASSIGN_OR_RETURN(
      Rows rows,
      tx.query(fmt::format("SELECT {} FROM agent_actions WHERE id = ?", kColumns), {id}));
  if (rows.empty() || rows[0].int64(1) != user_id) {
    return NotFoundError("action {} not found", id);
  }
  return from_row(rows[0]);
}

// A pending action nobody is confirming, past its expiry: it can no longer be confirmed.
bool lapsed(const Stored& s, int64_t now_us) {
  return s.action.status == ActionStatus::kPending && s.confirming_since_us == 0 &&
         now_us >= s.action.expires_us;
}

// How the stored row reads at `now_us` (expiry is applied on read, and stored on the next
// write that meets it).
PendingAction as_seen(Stored s, int64_t now_us) {
  if (lapsed(s, now_us)) s.action.status = ActionStatus::kExpired;
  return std::move(s.action);
}

// Why an action that is not pending cannot be confirmed or cancelled.
Status not_pending(const PendingAction& a) {
  switch (a.status) {
    case ActionStatus::kExpired:
      return FailedPreconditionError(
          "action {} expired (pending actions last {} minutes); ask for it again", a.id,
          kActionTtl.count());
    case ActionStatus::kCancelled:
      return FailedPreconditionError("action {} was cancelled", a.id);
    case ActionStatus::kReplaced:
      return FailedPreconditionError("action {} was replaced by action {}", a.id, a.replaced_by);
    case ActionStatus::kFailed:
      return FailedPreconditionError("action {} failed: {}", a.id, a.error);
    case ActionStatus::kConfirmed:
      return FailedPreconditionError("action {} was already confirmed", a.id);
    case ActionStatus::kPending:
      break;
  }
  return FailedPreconditionError("action {} is pending", a.id);
}

// Errors that say nothing about the action itself (a busy database, a lost connection): the
// action stays pending and the user may confirm again.
bool transient(const Status& s) {
  switch (s.code()) {
    case StatusCode::kUnavailable:
    case StatusCode::kIoError:
    case StatusCode::kResourceExhausted:
    case StatusCode::kCancelled:
    case StatusCode::kInternal:
      return true;
    default:
      return false;
  }
}

// "total: 4600 -> 4800; merchant: ..." for the top-level fields of two contents that differ.
std::string describe_change(const nlohmann::json& before, const nlohmann::json& after) {
  auto shown = [](const nlohmann::json& v) {
    std::string text = v.is_null() ? "(none)" : canonical_json(v);
    if (text.size() > 80) text = text.substr(0, 77) + "...";
    return text;
  };
  if (!before.is_object() || !after.is_object()) {
    return fmt::format("{} -> {}", shown(before), shown(after));
  }
  std::set<std::string> keys;
  for (const auto& [k, v] : before.items()) keys.insert(k);
  for (const auto& [k, v] : after.items()) keys.insert(k);
  std::vector<std::string> parts;
  for (const std::string& k : keys) {
    const nlohmann::json a = before.contains(k) ? before.at(k) : nlohmann::json();
    const nlohmann::json b = after.contains(k) ? after.at(k) : nlohmann::json();
    if (a != b) parts.push_back(fmt::format("{}: {} -> {}", k, shown(a), shown(b)));
  }
  if (parts.empty()) return "the content differs";
  return fmt::format("{}", fmt::join(parts, "; "));
}

std::optional<nlohmann::json> seconds_or_null(int64_t us) {
  if (us == 0) return std::nullopt;
  return nlohmann::json(us / 1'000'000);
}

// Inserts a new pending action and replaces the session's other pending ones (not one that a
// confirm holds: that one is being executed).
Status insert_pending(Tx& tx, const PendingAction& a) {
  QWL_RETURN_IF_ERROR(
      tx.exec("UPDATE agent_actions SET status = 'replaced', replaced_by = ?, decided_at_us = ? "
              "WHERE user_id = ? AND session_id = ? AND status = 'pending' AND "
              "confirming_since_us = 0",
              {a.id, a.created_us, a.user_id, a.session_id})
          .status());
  return tx
      .exec(
          "INSERT INTO agent_actions (id, user_id, session_id, tool, arguments, content, info, "
          "summary, hash, status, created_at_us, expires_at_us) "
          "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 'pending', ?, ?)",
          {a.id, a.user_id, a.session_id, a.draft.tool, canonical_json(a.draft.arguments),
           canonical_json(a.draft.content), canonical_json(a.draft.info), a.draft.summary, a.hash,
           a.created_us, a.expires_us})
      .status();
}

PendingAction make_pending(const UserContext& user, std::string_view session_id, ActionDraft draft,
                           int64_t now_us) {
  PendingAction a;
  a.id = new_action_id();
  a.user_id = user.actor.user_id;
  a.session_id = std::string(session_id);
  a.hash = content_hash(draft.content);
  a.draft = std::move(draft);
  a.status = ActionStatus::kPending;
  a.created_us = now_us;
  a.expires_us = now_us + std::chrono::duration_cast<std::chrono::microseconds>(kActionTtl).count();
  return a;
}

// The second half of confirm(): this confirm holds the lease `lease_us` on `action`; it
// prepares the call again (unless it takes over a dead confirm's lease), commits it and records
// the outcome.
Result<PendingAction> execute_claimed(Db& db, const Clock& clock, ToolExecutor& executor,
                                      const UserContext& user, PendingAction action,
                                      int64_t lease_us, bool prepare_again) {
  const std::string id = action.id;
  // Ends this confirm's hold on the row with `sql` (which must keep it pending-guarded) and
  // returns the row as it then is.
  auto finish = [&](std::string_view sql, Params params) -> Result<PendingAction> {
    Stored after;
    QWL_RETURN_IF_ERROR(db.transact([&](Tx& tx) -> Status {
      QWL_RETURN_IF_ERROR(tx.exec(sql, params).status());
      QWL_ASSIGN_OR_RETURN(after, load(tx, id, user.actor.user_id));
      return Status::Ok();
    }));
    return std::move(after.action);
  };
  auto release = [&]() {
    return db.transact([&](Tx& tx) {
      return tx
          .exec(
              "UPDATE agent_actions SET confirming_since_us = 0 WHERE id = ? AND "
              "confirming_since_us = ?",
              {id, lease_us})
          .status();
    });
  };
  auto fail = [&](const Status& why) -> Status {
    if (transient(why)) {
      if (Status s = release(); !s.ok()) return s;
      return why.with_context(fmt::format("action {}", id));
    }
    auto done = finish(
        "UPDATE agent_actions SET status = 'failed', error = ?, decided_at_us = ?, "
        "confirming_since_us = 0 WHERE id = ? AND status = 'pending'",
        {why.message(), clock.wall_us(), id});
    if (!done.ok()) return done.status();
    return Status(why.code(), fmt::format("action {} failed: {}", id, why.message()));
  };

  if (prepare_again) {
    Result<ActionDraft> again = executor.prepare(user, action.draft.tool, action.draft.arguments);
    if (!again.ok()) return fail(again.status());
    if (content_hash(again->content) != action.hash) {
      // Price, stock, hours or a coupon changed since the card was shown: this action fails
      // and the new content becomes a pending action of the same session for the user to see.
      const std::string change = describe_change(action.draft.content, again->content);
      PendingAction next =
          make_pending(user, action.session_id, std::move(again).value(), clock.wall_us());
      bool replaced = false;
      QWL_RETURN_IF_ERROR(db.transact([&](Tx& tx) -> Status {
        QWL_ASSIGN_OR_RETURN(
            int64_t n,
            tx.exec("UPDATE agent_actions SET status = 'failed', error = ?, replaced_by = ?, "
                    "decided_at_us = ?, confirming_since_us = 0 WHERE id = ? AND "
                    "status = 'pending'",
                    {fmt::format("the content changed since it was shown: {}", change), next.id,
                     next.created_us, id}));
        replaced = n == 1;
        if (!replaced) return Status::Ok();
        return insert_pending(tx, next);
      }));
      if (!replaced) {
        Stored now;
        QWL_RETURN_IF_ERROR(db.read([&](Tx& tx) -> Status {
          QWL_ASSIGN_OR_RETURN(now, load(tx, id, user.actor.user_id));
          return Status::Ok();
        }));
        return std::move(now.action);
      }
      return FailedPreconditionError(
          "action {} was not executed: the content changed since it was shown ({}); the new "
          "action {} awaits confirmation",
          id, change, next.id);
    }
  }

  Result<ToolResult> done = executor.commit(user, action.draft, fmt::format("agent-action-{}", id));
  if (!done.ok()) return fail(done.status());
  nlohmann::json cards = nlohmann::json::array();
  for (const Card& card : done->cards) cards.push_back(card.to_json());
  const nlohmann::json result = {{"result", done->result}, {"cards", std::move(cards)}};
  // Guarded by status only, not by this confirm's lease: if the lease lapsed and another
  // confirm took over, it commits with the same key and gets this same result.
  return finish(
      "UPDATE agent_actions SET status = 'confirmed', result = ?, decided_at_us = ?, "
      "confirming_since_us = 0 WHERE id = ? AND status = 'pending'",
      {canonical_json(result), clock.wall_us(), id});
}

}  // namespace

std::string_view action_status_name(ActionStatus status) {
  switch (status) {
    case ActionStatus::kPending:
      return "pending";
    case ActionStatus::kConfirmed:
      return "confirmed";
    case ActionStatus::kCancelled:
      return "cancelled";
    case ActionStatus::kExpired:
      return "expired";
    case ActionStatus::kReplaced:
      return "replaced";
    case ActionStatus::kFailed:
      return "failed";
  }
  return "pending";
}

nlohmann::json PendingAction::to_json() const {
  auto or_null = [](const std::string& s) {
    return s.empty() ? nlohmann::json() : nlohmann::json(s);
  };
  const auto decided = seconds_or_null(decided_us);
  return {
      {"object", "action"},
      {"id", id},
      {"tool", draft.tool},
      {"status", action_status_name(status)},
      {"summary", draft.summary},
      {"content", draft.content},
      {"info", draft.info},
      {"arguments", draft.arguments},
      {"hash", hash},
      {"session_id", or_null(session_id)},
      {"created_at", created_us / 1'000'000},
      {"expires_at", expires_us / 1'000'000},
      {"decided_at", decided ? *decided : nlohmann::json()},
      {"result", result},
      {"error", or_null(error)},
      {"replaced_by", or_null(replaced_by)},
  };
}

std::string canonical_json(const nlohmann::json& content) {
  // nlohmann::json keeps object members in a std::map, so dump() writes keys sorted by their
  // bytes, without spaces, numbers in their shortest round-trip form: the same content always
  // gives the same text. Invalid UTF-8 (it cannot come from parsed JSON) is replaced rather
  // than thrown.
  return content.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::string content_hash(const nlohmann::json& content) {
  return to_hex(sha256(canonical_json(content)));
}

ActionStore::ActionStore(Db& db, const Clock& clock, ToolExecutor& executor)
    : db_(db), clock_(clock), executor_(executor) {}

Result<PendingAction> ActionStore::propose(const UserContext& user, std::string_view session_id,
                                           ActionDraft draft) {
  if (draft.tool.empty()) return InvalidArgumentError("action draft: tool is empty");
  if (draft.content.is_null()) {
    return InvalidArgumentError("action draft of {}: content is empty", draft.tool);
  }
  PendingAction a = make_pending(user, session_id, std::move(draft), clock_.wall_us());
  QWL_RETURN_IF_ERROR(db_.transact([&](Tx& tx) { return insert_pending(tx, a); }));
  return a;
}

Result<PendingAction> ActionStore::get(const UserContext& user, std::string_view action_id) {
  Stored stored;
  QWL_RETURN_IF_ERROR(db_.read([&](Tx& tx) -> Status {
    QWL_ASSIGN_OR_RETURN(stored, load(tx, action_id, user.actor.user_id));
    return Status::Ok();
  }));
  return as_seen(std::move(stored), clock_.wall_us());
}

Result<std::vector<PendingAction>> ActionStore::list(const UserContext& user,
                                                     std::string_view session_id,
                                                     bool pending_only) {
  std::vector<PendingAction> out;
  const int64_t now_us = clock_.wall_us();
  QWL_RETURN_IF_ERROR(db_.read([&](Tx& tx) -> Status {
    out.clear();
    QWL_ASSIGN_OR_RETURN(Rows rows,
                         tx.query(fmt::format("SELECT {} FROM agent_actions WHERE user_id = ? AND "
                                              "session_id = ? ORDER BY created_at_us DESC, id DESC "
                                              "LIMIT ?",
                                              kColumns),
                                  {user.actor.user_id, session_id, kListLimit}));
    for (const Row& row : rows) {
      QWL_ASSIGN_OR_RETURN(Stored s, from_row(row));
      PendingAction a = as_seen(std::move(s), now_us);
      if (pending_only && a.status != ActionStatus::kPending) continue;
      out.push_back(std::move(a));
    }
    return Status::Ok();
  }));
  std::stable_partition(out.begin(), out.end(),
                        [](const PendingAction& a) { return a.status == ActionStatus::kPending; });
  return out;
}

Result<PendingAction> ActionStore::confirm(const UserContext& user, std::string_view action_id,
                                           std::string_view hash) {
  const auto wait_until = std::chrono::steady_clock::now() + kConfirmWait;
  while (true) {
    // What this confirm does next, decided in one transaction.
    enum class Step { kReturn, kRefuse, kWait, kPrepareAndCommit, kCommitOnly } step{};
    Stored stored;
    Status refusal;
    int64_t lease_us = 0;
    QWL_RETURN_IF_ERROR(db_.transact([&](Tx& tx) -> Status {
      step = Step::kReturn;
      refusal = Status::Ok();
      const int64_t now_us = std::max<int64_t>(clock_.wall_us(), 1);
      lease_us = now_us;
      QWL_ASSIGN_OR_RETURN(stored, load(tx, action_id, user.actor.user_id));
      const PendingAction& a = stored.action;
      if (a.hash != hash) {
        return InvalidArgumentError(
            "action {}: the hash does not match the action's content (confirm the action as it "
            "was shown)",
            a.id);
      }
      if (a.status == ActionStatus::kConfirmed) return Status::Ok();
      if (a.status != ActionStatus::kPending) {
        step = Step::kRefuse;
        refusal = not_pending(a);
        return Status::Ok();
      }
      if (stored.confirming_since_us != 0) {
        if (now_us < stored.confirming_since_us + kConfirmLeaseUs) {
          step = Step::kWait;
          return Status::Ok();
        }
        // The confirm holding it died: take it over (see the top of this file).
        step = Step::kCommitOnly;
        return tx
            .exec(
                "UPDATE agent_actions SET confirming_since_us = ? WHERE id = ? AND "
                "confirming_since_us = ?",
                {now_us, a.id, stored.confirming_since_us})
            .status();
      }
      if (lapsed(stored, now_us)) {
        step = Step::kRefuse;
        stored.action.status = ActionStatus::kExpired;
        refusal = not_pending(stored.action);
        return tx
            .exec(
                "UPDATE agent_actions SET status = 'expired', decided_at_us = ? WHERE id = ? "
                "AND status = 'pending'",
                {now_us, a.id})
            .status();
      }
      step = Step::kPrepareAndCommit;
      return tx
          .exec(
              "UPDATE agent_actions SET confirming_since_us = ? WHERE id = ? AND "
              "status = 'pending' AND confirming_since_us = 0",
              {now_us, a.id})
          .status();
    }));
    switch (step) {
      case Step::kReturn:
        return std::move(stored.action);
      case Step::kRefuse:
        return refusal;
      case Step::kWait:
        if (std::chrono::steady_clock::now() >= wait_until) {
          return UnavailableError("action {} is being confirmed by another request; try again",
                                  action_id);
        }
        std::this_thread::sleep_for(kConfirmPoll);
        continue;
      case Step::kPrepareAndCommit:
      case Step::kCommitOnly:
        return execute_claimed(db_, clock_, executor_, user, std::move(stored.action), lease_us,
                               /*prepare_again=*/step == Step::kPrepareAndCommit);
    }
  }
}

Result<PendingAction> ActionStore::cancel(const UserContext& user, std::string_view action_id) {
  Stored stored;
  Status refusal;
  QWL_RETURN_IF_ERROR(db_.transact([&](Tx& tx) -> Status {
    refusal = Status::Ok();
    const int64_t now_us = clock_.wall_us();
    QWL_ASSIGN_OR_RETURN(stored, load(tx, action_id, user.actor.user_id));
    PendingAction& a = stored.action;
    if (a.status == ActionStatus::kCancelled) return Status::Ok();
    if (a.status != ActionStatus::kPending) {
      refusal = not_pending(a);
      return Status::Ok();
    }
    if (stored.confirming_since_us != 0) {
      refusal = FailedPreconditionError("action {} is being confirmed", a.id);
      return Status::Ok();
    }
    if (lapsed(stored, now_us)) {
      a.status = ActionStatus::kExpired;
      refusal = not_pending(a);
      return tx
          .exec("UPDATE agent_actions SET status = 'expired', decided_at_us = ? WHERE id = ?",
                {now_us, a.id})
          .status();
    }
    a.status = ActionStatus::kCancelled;
    a.decided_us = now_us;
    return tx
        .exec(
            "UPDATE agent_actions SET status = 'cancelled', decided_at_us = ? WHERE id = ? AND "
            "status = 'pending' AND confirming_since_us = 0",
            {now_us, a.id})
        .status();
  }));
  if (!refusal.ok()) return refusal;
  return std::move(stored.action);
}

}  // namespace qwl::agent
