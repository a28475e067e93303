// Pending actions on SQLite and PostgreSQL: the hash binds the confirmation, other users see
// nothing, actions expire, a refinement replaces the pending one, cancel ends it, a confirm
// (repeated, or eight at once) executes the action exactly once, and a content change between
// the card and the confirmation fails the action and proposes the new content instead.
#include "agent/actions.h"

#include <gtest/gtest.h>

#include <atomic>
#include <map>
#include <mutex>
#include <thread>
#include <vector>

#include "services/services_testing.h"

namespace qwl::agent {
namespace {

// A fake executor for one irreversible tool, "checkout": the content carries a price the test
// may change between prepare and confirm; commit() keeps the idempotency-key semantics of the
// real executor (a key runs once, a second call returns the first result) and counts what it
// actually executed.
class FakeExecutor final : public ToolExecutor {
 public:
  std::atomic<int64_t> price{4600};
  std::atomic<int> prepares{0};
  std::atomic<int> commit_calls{0};
  std::atomic<int> executions{0};
  std::atomic<bool> fail_commit{false};
  std::atomic<int> commit_delay_ms{0};

  std::vector<ToolDef> tools() const override {
    return {ToolDef{.name = "checkout", .parameters = "{}", .effect = SideEffect::kIrreversible}};
  }
  Result<ToolResult> run(const UserContext&, std::string_view name,
                         const nlohmann::json&) override {
    return InvalidArgumentError("{} is irreversible", name);
  }
  Result<ActionDraft> prepare(const UserContext& user, std::string_view name,
                              const nlohmann::json& arguments) override {
    ++prepares;
    if (name != "checkout") return InvalidArgumentError("unknown tool {}", name);
    ActionDraft d;
    d.tool = "checkout";
    d.arguments = arguments;
    d.content = {{"merchant", "Luna Café"},
                 {"items", {{{"name", "Oat Latte"}, {"quantity", 2}}}},
                 {"total", price.load()},
                 {"user", user.actor.user_id}};
    d.info = {{"eta", "09:10"}};
    d.summary = fmt::format("2 x Oat Latte, Luna Café; ¥{}", price.load() / 100);
    return d;
  }
  Result<ToolResult> commit(const UserContext& user, const ActionDraft& draft,
                            std::string_view key) override {
    ++commit_calls;
    if (commit_delay_ms > 0)
      std::this_thread::sleep_for(std::chrono::milliseconds(commit_delay_ms));
    if (fail_commit) return FailedPreconditionError("merchant 7 is closed");
    std::lock_guard lock(mu_);
    auto it = done_.find(std::string(key));
    if (it != done_.end()) return it->second;
    ++executions;
    ToolResult r;
    r.result = {{"order_id", 1000 + executions.load()},
                {"total", draft.content.at("total")},
                {"user", user.actor.user_id}};
    r.cards.push_back(Card{.type = "order", .data = r.result});
    done_.emplace(std::string(key), r);
    return r;
  }

 private:
  std::mutex mu_;
  std::map<std::string, ToolResult> done_;
};

class ActionsTest : public ::testing::TestWithParam<DbKind> {
 protected:
  void SetUp() override {
    auto db =
        services::testing::fresh_db(GetParam(), DbOptions{.pool_size = 8, .max_attempts = 200});
    ASSERT_TRUE(db.ok()) << db.status().to_string();
    db_ = std::move(*db);
    auto alice = services::testing::add_user(*db_, "alice@example.com");
    auto bob = services::testing::add_user(*db_, "bob@example.com");
    ASSERT_TRUE(alice.ok() && bob.ok());
    alice_.actor = *alice;
    bob_.actor = *bob;
    store_ = std::make_unique<ActionStore>(*db_, clock_, executor_);
  }

  PendingAction propose(const UserContext& user, std::string_view session = "s1") {
    auto draft = executor_.prepare(user, "checkout", {{"merchant_id", 7}});
    EXPECT_TRUE(draft.ok());
    auto a = store_->propose(user, session, *draft);
    EXPECT_TRUE(a.ok()) << a.status().to_string();
    return a.ok() ? *a : PendingAction{};
  }

  ManualClock clock_;
  FakeExecutor executor_;
  std::unique_ptr<Db> db_;
  std::unique_ptr<ActionStore> store_;
  UserContext alice_;
  UserContext bob_;
};

TEST(CanonicalJsonTest, SortsKeysWithoutSpacesAndHashesIt) {
  const nlohmann::json a = nlohmann::json::parse(R"({"b": 1, "a": {"y": [1, 2], "x": "é"}})");
  const nlohmann::json b = nlohmann::json::parse(R"({"a":{"x":"é","y":[1,2]},"b":1})");
  EXPECT_EQ(canonical_json(a), R"({"a":{"x":"é","y":[1,2]},"b":1})");
  EXPECT_EQ(content_hash(a), content_hash(b));
  EXPECT_EQ(content_hash(a).size(), 64u);
  EXPECT_NE(content_hash(a),
            content_hash(nlohmann::json::parse(R"({"a":{"x":"é","y":[2,1]},"b":1})")));
  // The hash is SHA-256 of the canonical text.
  EXPECT_EQ(content_hash(nlohmann::json::object()),
            "44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a");
}

TEST_P(ActionsTest, ProposeStoresTheDraftBoundToItsHash) {
  const PendingAction a = propose(alice_);
  EXPECT_EQ(a.id.rfind("act_", 0), 0u);
  EXPECT_EQ(a.id.size(), 4u + 24u);
  EXPECT_EQ(a.status, ActionStatus::kPending);
  EXPECT_EQ(a.hash, content_hash(a.draft.content));
  EXPECT_EQ(a.expires_us - a.created_us, 600'000'000);
  auto got = store_->get(alice_, a.id);
  ASSERT_TRUE(got.ok()) << got.status().to_string();
  EXPECT_EQ(got->draft.content, a.draft.content);
  EXPECT_EQ(got->draft.arguments, a.draft.arguments);
  EXPECT_EQ(got->draft.info, a.draft.info);
  EXPECT_EQ(got->draft.summary, a.draft.summary);
  EXPECT_EQ(got->hash, a.hash);
  EXPECT_EQ(got->session_id, "s1");
  const nlohmann::json j = got->to_json();
  EXPECT_EQ(j.at("status"), "pending");
  EXPECT_EQ(j.at("tool"), "checkout");
  EXPECT_EQ(j.at("hash"), a.hash);
  EXPECT_EQ(j.at("expires_at"), a.expires_us / 1'000'000);
  EXPECT_TRUE(j.at("result").is_null());
}

TEST_P(ActionsTest, WrongHashIsRefusedAndNothingRuns) {
  const PendingAction a = propose(alice_);
  auto r = store_->confirm(alice_, a.id, std::string(64, '0'));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument) << r.status().to_string();
  EXPECT_EQ(executor_.commit_calls, 0);
  EXPECT_EQ(store_->get(alice_, a.id)->status, ActionStatus::kPending);
  // The right hash still works afterwards.
  auto ok = store_->confirm(alice_, a.id, a.hash);
  ASSERT_TRUE(ok.ok()) << ok.status().to_string();
  EXPECT_EQ(ok->status, ActionStatus::kConfirmed);
}

TEST_P(ActionsTest, AnotherUsersActionIsNotFound) {
  const PendingAction a = propose(alice_);
  for (const Status& s :
       {store_->get(bob_, a.id).status(), store_->confirm(bob_, a.id, a.hash).status(),
        store_->cancel(bob_, a.id).status()}) {
    EXPECT_EQ(s.code(), StatusCode::kNotFound) << s.to_string();
  }
  EXPECT_EQ(store_->get(alice_, "act_000000000000000000000000").status().code(),
            StatusCode::kNotFound);
  auto bobs = store_->list(bob_, "s1");
  ASSERT_TRUE(bobs.ok());
  EXPECT_TRUE(bobs->empty());
  EXPECT_EQ(executor_.commit_calls, 0);
  EXPECT_EQ(store_->get(alice_, a.id)->status, ActionStatus::kPending);
}

TEST_P(ActionsTest, ExpiresAfterTenMinutes) {
  const PendingAction a = propose(alice_);
  clock_.advance_us(600'000'000 - 1);
  EXPECT_EQ(store_->get(alice_, a.id)->status, ActionStatus::kPending);
  clock_.advance_us(1);
  EXPECT_EQ(store_->get(alice_, a.id)->status, ActionStatus::kExpired);
  auto pending = store_->list(alice_, "s1", /*pending_only=*/true);
  ASSERT_TRUE(pending.ok());
  EXPECT_TRUE(pending->empty());
  auto r = store_->confirm(alice_, a.id, a.hash);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(r.status().message().find("expired"), std::string::npos) << r.status().message();
  EXPECT_EQ(executor_.commit_calls, 0);
  // Stored as expired: going back in time does not revive it.
  clock_.set_wall_us(a.created_us);
  EXPECT_EQ(store_->get(alice_, a.id)->status, ActionStatus::kExpired);
  EXPECT_EQ(store_->cancel(alice_, a.id).status().code(), StatusCode::kFailedPrecondition);
}

TEST_P(ActionsTest, ARefinementReplacesTheSessionsPendingAction) {
  const PendingAction first = propose(alice_, "s1");
  const PendingAction other_session = propose(alice_, "s2");
  clock_.advance_us(1000);
  executor_.price = 5200;  // "make it large"
  const PendingAction second = propose(alice_, "s1");
  auto old = store_->get(alice_, first.id);
  ASSERT_TRUE(old.ok());
  EXPECT_EQ(old->status, ActionStatus::kReplaced);
  EXPECT_EQ(old->replaced_by, second.id);
  EXPECT_EQ(store_->get(alice_, other_session.id)->status, ActionStatus::kPending);
  auto r = store_->confirm(alice_, first.id, first.hash);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(r.status().message().find(second.id), std::string::npos) << r.status().message();
  EXPECT_EQ(executor_.commit_calls, 0);
  auto listed = store_->list(alice_, "s1");
  ASSERT_TRUE(listed.ok());
  ASSERT_EQ(listed->size(), 2u);
  EXPECT_EQ((*listed)[0].id, second.id);  // pending first, newest first
  EXPECT_EQ((*listed)[1].id, first.id);
  auto pending = store_->list(alice_, "s1", true);
  ASSERT_TRUE(pending.ok());
  ASSERT_EQ(pending->size(), 1u);
  EXPECT_EQ((*pending)[0].id, second.id);
  auto done = store_->confirm(alice_, second.id, second.hash);
  ASSERT_TRUE(done.ok()) << done.status().to_string();
  EXPECT_EQ(done->result.at("result").at("total"), 5200);
}

TEST_P(ActionsTest, CancelEndsAPendingAction) {
  const PendingAction a = propose(alice_);
  auto c = store_->cancel(alice_, a.id);
  ASSERT_TRUE(c.ok()) << c.status().to_string();
  EXPECT_EQ(c->status, ActionStatus::kCancelled);
  EXPECT_GT(c->decided_us, 0);
  auto again = store_->cancel(alice_, a.id);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->status, ActionStatus::kCancelled);
  auto r = store_->confirm(alice_, a.id, a.hash);
  EXPECT_EQ(r.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(executor_.commit_calls, 0);
  // A confirmed action cannot be cancelled.
  const PendingAction b = propose(alice_);
  ASSERT_TRUE(store_->confirm(alice_, b.id, b.hash).ok());
  EXPECT_EQ(store_->cancel(alice_, b.id).status().code(), StatusCode::kFailedPrecondition);
}

TEST_P(ActionsTest, ConfirmTwiceRunsOnce) {
  const PendingAction a = propose(alice_);
  auto first = store_->confirm(alice_, a.id, a.hash);
  ASSERT_TRUE(first.ok()) << first.status().to_string();
  EXPECT_EQ(first->status, ActionStatus::kConfirmed);
  EXPECT_EQ(first->result.at("result").at("order_id"), 1001);
  EXPECT_EQ(first->result.at("cards")[0].at("type"), "order");
  auto second = store_->confirm(alice_, a.id, a.hash);
  ASSERT_TRUE(second.ok()) << second.status().to_string();
  EXPECT_EQ(second->result, first->result);
  EXPECT_EQ(executor_.commit_calls, 1);
  EXPECT_EQ(executor_.executions, 1);
  EXPECT_EQ(executor_.prepares, 2);  // proposed once, prepared again once at the confirmation
  // Expiry does not touch a confirmed action.
  clock_.advance_us(3600'000'000LL);
  EXPECT_EQ(store_->get(alice_, a.id)->status, ActionStatus::kConfirmed);
}

TEST_P(ActionsTest, EightConcurrentConfirmsRunOnce) {
  const PendingAction a = propose(alice_);
  executor_.commit_delay_ms = 50;  // the others arrive while the first one commits
  std::vector<Result<PendingAction>> results(8, Result<PendingAction>(InternalError("not run")));
  {
    std::vector<std::jthread> threads;
    for (size_t i = 0; i < results.size(); ++i) {
      threads.emplace_back([&, i] { results[i] = store_->confirm(alice_, a.id, a.hash); });
    }
  }
  for (const auto& r : results) {
    ASSERT_TRUE(r.ok()) << r.status().to_string();
    EXPECT_EQ(r->status, ActionStatus::kConfirmed);
    EXPECT_EQ(r->result, results[0]->result);
  }
  EXPECT_EQ(executor_.commit_calls, 1);
  EXPECT_EQ(executor_.executions, 1);
  EXPECT_EQ(executor_.prepares, 2);
}

TEST_P(ActionsTest, ContentChangeFailsTheActionAndProposesTheNewContent) {
  const PendingAction a = propose(alice_);
  executor_.price = 4800;  // the price went up after the card was shown
  auto r = store_->confirm(alice_, a.id, a.hash);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(executor_.commit_calls, 0);
  EXPECT_NE(r.status().message().find("total: 4600 -> 4800"), std::string::npos)
      << r.status().message();
  auto old = store_->get(alice_, a.id);
  ASSERT_TRUE(old.ok());
  EXPECT_EQ(old->status, ActionStatus::kFailed);
  ASSERT_FALSE(old->replaced_by.empty());
  EXPECT_NE(r.status().message().find(old->replaced_by), std::string::npos);
  auto next = store_->get(alice_, old->replaced_by);
  ASSERT_TRUE(next.ok());
  EXPECT_EQ(next->status, ActionStatus::kPending);
  EXPECT_EQ(next->session_id, "s1");
  EXPECT_EQ(next->draft.content.at("total"), 4800);
  EXPECT_NE(next->hash, a.hash);
  // The old hash cannot confirm the new action; the new one can.
  EXPECT_EQ(store_->confirm(alice_, next->id, a.hash).status().code(),
            StatusCode::kInvalidArgument);
  auto done = store_->confirm(alice_, next->id, next->hash);
  ASSERT_TRUE(done.ok()) << done.status().to_string();
  EXPECT_EQ(done->result.at("result").at("total"), 4800);
  EXPECT_EQ(executor_.executions, 1);
}

TEST_P(ActionsTest, AFailedCommitFailsTheActionWithTheReason) {
  const PendingAction a = propose(alice_);
  executor_.fail_commit = true;
  auto r = store_->confirm(alice_, a.id, a.hash);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kFailedPrecondition);
  auto failed = store_->get(alice_, a.id);
  ASSERT_TRUE(failed.ok());
  EXPECT_EQ(failed->status, ActionStatus::kFailed);
  EXPECT_EQ(failed->error, "merchant 7 is closed");
  executor_.fail_commit = false;
  EXPECT_EQ(store_->confirm(alice_, a.id, a.hash).status().code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(executor_.executions, 0);
}

TEST_P(ActionsTest, AConfirmThatDiedMidwayIsTakenOverWithTheSameKey) {
  const PendingAction a = propose(alice_);
  // A confirm claimed the action, committed, and died before recording the outcome.
  ASSERT_TRUE(db_->transact([&](Tx& tx) {
                   return tx
                       .exec("UPDATE agent_actions SET confirming_since_us = ? WHERE id = ?",
                             {clock_.wall_us(), a.id})
                       .status();
                 })
                  .ok());
  auto ran = executor_.commit(alice_, a.draft, "agent-action-" + a.id);
  ASSERT_TRUE(ran.ok());
  // Cancel refuses while it is held.
  EXPECT_EQ(store_->cancel(alice_, a.id).status().code(), StatusCode::kFailedPrecondition);
  clock_.advance_us(61'000'000);  // the lease lapsed
  executor_.price = 9900;         // a re-prepare would now see another price: it must not run
  const int prepares = executor_.prepares;
  auto r = store_->confirm(alice_, a.id, a.hash);
  ASSERT_TRUE(r.ok()) << r.status().to_string();
  EXPECT_EQ(r->status, ActionStatus::kConfirmed);
  EXPECT_EQ(r->result.at("result"), ran->result);
  EXPECT_EQ(executor_.prepares, prepares);
  EXPECT_EQ(executor_.executions, 1);
}

INSTANTIATE_TEST_SUITE_P(Db, ActionsTest, ::testing::Values(DbKind::kSqlite, DbKind::kPostgres),
                         [](const auto& info) { return services::testing::kind_name(info.param); });

}  // namespace
}  // namespace qwl::agent
