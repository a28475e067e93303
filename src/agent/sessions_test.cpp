// Chat sessions on SQLite and PostgreSQL: ids and titles (from the first user message, cut to 80
// characters, or given, or renamed), messages with their events kept in order across appends,
// the OpenAI-format history, paging newest first without skipping sessions written in the same
// microsecond, another user's session reading as missing everywhere, deletion, and the turn
// lease (one turn at a time, released by end_turn, taken over after it runs out, never released
// by a claim that lost it).
#include "agent/sessions.h"

#include <gtest/gtest.h>

#include <atomic>
#include <set>
#include <thread>
#include <vector>

#include "services/services_testing.h"

namespace qwl::agent {
namespace {

using nlohmann::json;
namespace st = services::testing;

ChatJson user_msg(std::string_view text) {
  return ChatJson{{"role", "user"}, {"content", text}};
}
ChatJson assistant_msg(std::string_view text) {
  return ChatJson{{"role", "assistant"}, {"content", text}};
}

class SessionsTest : public ::testing::TestWithParam<DbKind> {
 protected:
  void SetUp() override {
    auto db = st::fresh_db(GetParam(), DbOptions{.pool_size = 8, .max_attempts = 200});
    ASSERT_TRUE(db.ok()) << db.status().to_string();
    db_ = std::move(*db);
    auto a = st::add_user(*db_, "alice@example.com");
    auto b = st::add_user(*db_, "bob@example.com");
    ASSERT_TRUE(a.ok() && b.ok());
    alice_ = *a;
    bob_ = *b;
    store_ = std::make_unique<SessionStore>(*db_, clock_);
  }

  SessionInfo create(const services::Actor& who, std::string_view title = "") {
    auto s = store_->create(who, title);
    EXPECT_TRUE(s.ok()) << s.status().to_string();
    return s.ok() ? *s : SessionInfo{};
  }

  ManualClock clock_;
  std::unique_ptr<Db> db_;
  services::Actor alice_, bob_;
  std::unique_ptr<SessionStore> store_;
};

TEST_P(SessionsTest, CreatesWithARandomIdAndTakesTheTitleFromTheFirstUserMessage) {
  SessionInfo s = create(alice_);
  ASSERT_EQ(s.id.size(), 28u);
  EXPECT_TRUE(s.id.starts_with("ses_"));
  EXPECT_EQ(s.id.find_first_not_of("0123456789abcdef", 4), std::string::npos) << s.id;
  EXPECT_NE(create(alice_).id, s.id);
  EXPECT_EQ(s.title, "");
  EXPECT_EQ(s.user_id, alice_.user_id);
  EXPECT_EQ(s.created_us, clock_.wall_us());
  EXPECT_EQ(s.message_count, 0);

  // 90 characters, half of them Chinese (3 bytes each), with a newline and extra spaces.
  std::string text = "order two   oat lattes\nto my office ";
  for (int i = 0; i < 30; ++i) text += "咖啡";
  ASSERT_TRUE(store_->append(alice_, s.id, {user_msg(text), assistant_msg("Sure.")}).ok());
  auto got = store_->get(alice_, s.id);
  ASSERT_TRUE(got.ok()) << got.status().to_string();
  std::string want = "order two oat lattes to my office ";
  for (int i = 0; want.size() < 34 + 46 * 3; ++i) want += i % 2 == 0 ? "咖" : "啡";
  EXPECT_EQ(got->title, want);
  EXPECT_EQ(got->message_count, 2);

  // Later user messages do not rename it.
  ASSERT_TRUE(store_->append(alice_, s.id, {user_msg("something else")}).ok());
  EXPECT_EQ(store_->get(alice_, s.id)->title, want);

  // A given title stays; rename changes it.
  SessionInfo named = create(alice_, "Lunch plans");
  ASSERT_TRUE(store_->append(alice_, named.id, {user_msg("hi")}).ok());
  EXPECT_EQ(store_->get(alice_, named.id)->title, "Lunch plans");
  ASSERT_TRUE(store_->rename(alice_, named.id, "  Dinner\tplans ").ok());
  EXPECT_EQ(store_->get(alice_, named.id)->title, "Dinner plans");
  EXPECT_EQ(store_->rename(alice_, named.id, " \n ").code(), StatusCode::kInvalidArgument);

  json j = store_->get(alice_, named.id)->to_json();
  EXPECT_EQ(j["id"], named.id);
  EXPECT_EQ(j["title"], "Dinner plans");
  EXPECT_EQ(j["created_at"], clock_.wall_us() / 1'000'000);
  EXPECT_EQ(j["messages"], 1);
}

TEST_P(SessionsTest, KeepsMessagesAndTheirEventsInOrder) {
  SessionInfo s = create(alice_);
  ChatJson call = {
      {"role", "assistant"},
      {"content", ""},
      {"tool_calls",
       ChatJson::array(
           {{{"id", "call_1"},
             {"type", "function"},
             {"function", {{"name", "search_menu"}, {"arguments", R"({"query":"latte"})"}}}}})}};
  ChatJson tool = {{"role", "tool"}, {"tool_call_id", "call_1"}, {"content", R"({"items":[]})"}};
  json card = json::array({{{"type", "card"}, {"data", {{"type", "menu"}, {"data", {}}}}}});
  ASSERT_TRUE(store_
                  ->append(alice_, s.id, {user_msg("latte?"), call, tool, assistant_msg("No.")},
                           {json::array(), json::array(), json::array(), card})
                  .ok());
  clock_.advance_us(5'000'000);
  ASSERT_TRUE(store_->append(alice_, s.id, {user_msg("tea?"), assistant_msg("Yes: 茶.")}).ok());

  auto msgs = store_->messages(alice_, s.id);
  ASSERT_TRUE(msgs.ok()) << msgs.status().to_string();
  ASSERT_EQ(msgs->size(), 6u);
  for (size_t i = 0; i < msgs->size(); ++i) EXPECT_EQ((*msgs)[i].seq, static_cast<int64_t>(i + 1));
  EXPECT_EQ((*msgs)[1].message, call);
  EXPECT_EQ((*msgs)[2].message, tool);
  EXPECT_EQ((*msgs)[3].events, card);
  EXPECT_EQ((*msgs)[0].events, json::array());
  EXPECT_EQ((*msgs)[5].message["content"], "Yes: 茶.");
  EXPECT_EQ((*msgs)[5].created_us, (*msgs)[0].created_us + 5'000'000);
  json m = (*msgs)[3].to_json();
  EXPECT_EQ(m["seq"], 4);
  EXPECT_EQ(m["message"]["content"], "No.");
  EXPECT_EQ(m["events"], card);

  auto history = store_->history(alice_, s.id);
  ASSERT_TRUE(history.ok());
  ASSERT_EQ(history->size(), 6u);
  EXPECT_EQ((*history)[0], user_msg("latte?"));
  EXPECT_EQ((*history)[1], call);  // key order kept: what the chat template renders
  EXPECT_EQ((*history)[1].dump(), call.dump());

  auto info = store_->get(alice_, s.id);
  EXPECT_EQ(info->message_count, 6);
  EXPECT_EQ(info->updated_us, clock_.wall_us());

  // Refused: events of another length, a message without a role, an unknown role.
  EXPECT_EQ(store_->append(alice_, s.id, {user_msg("a"), user_msg("b")}, {json::array()}).code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(store_->append(alice_, s.id, {ChatJson{{"content", "x"}}}).code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(store_->append(alice_, s.id, {ChatJson{{"role", "root"}, {"content", "x"}}}).code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(store_->append(alice_, s.id, {user_msg("x")}, {json::object()}).code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(store_->get(alice_, s.id)->message_count, 6);
}

TEST_P(SessionsTest, ListsNewestFirstAndPagesWithoutSkippingTies) {
  // Seven sessions in the same microsecond, then one later; appending moves one to the top.
  std::vector<std::string> ids;
  for (int i = 0; i < 7; ++i) ids.push_back(create(alice_).id);
  clock_.advance_us(10);
  ids.push_back(create(alice_).id);
  create(bob_);
  ASSERT_TRUE(store_->append(alice_, ids[2], {user_msg("bump")}).ok());

  std::vector<std::string> seen;
  int64_t before = 0;
  for (int page = 0; page < 10; ++page) {
    auto list = store_->list(alice_, 3, before);
    ASSERT_TRUE(list.ok()) << list.status().to_string();
    if (list->empty()) break;
    for (const SessionInfo& s : *list) {
      EXPECT_EQ(s.user_id, alice_.user_id);
      seen.push_back(s.id);
    }
    before = list->back().updated_us;
  }
  ASSERT_EQ(seen.size(), 8u);
  EXPECT_EQ(std::set<std::string>(seen.begin(), seen.end()).size(), 8u);
  EXPECT_EQ(seen[0], ids[2]);
  EXPECT_EQ(seen[1], ids[7]);
  // The rest in reverse order of creation.
  EXPECT_EQ(seen[2], ids[6]);
  EXPECT_EQ(seen[7], ids[0]);

  EXPECT_EQ(store_->list(alice_, 0).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(store_->list(alice_, 101).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(store_->list(bob_, 50)->size(), 1u);
}

TEST_P(SessionsTest, AnotherUsersSessionIsNotFound) {
  SessionInfo s = create(alice_);
  ASSERT_TRUE(store_->append(alice_, s.id, {user_msg("my secret address")}).ok());
  EXPECT_EQ(store_->get(bob_, s.id).status().code(), StatusCode::kNotFound);
  EXPECT_EQ(store_->messages(bob_, s.id).status().code(), StatusCode::kNotFound);
  EXPECT_EQ(store_->history(bob_, s.id).status().code(), StatusCode::kNotFound);
  EXPECT_EQ(store_->append(bob_, s.id, {user_msg("x")}).code(), StatusCode::kNotFound);
  EXPECT_EQ(store_->rename(bob_, s.id, "x").code(), StatusCode::kNotFound);
  EXPECT_EQ(store_->remove(bob_, s.id).code(), StatusCode::kNotFound);
  EXPECT_EQ(store_->begin_turn(bob_, s.id).code(), StatusCode::kNotFound);
  // An admin's actor reaches other users' records elsewhere; chats stay private.
  EXPECT_EQ(
      store_->get(services::Actor{.user_id = bob_.user_id, .role = services::Role::kAdmin}, s.id)
          .status()
          .code(),
      StatusCode::kNotFound);
  // Nothing changed, and the same answer as for an id that does not exist.
  EXPECT_EQ(store_->get(alice_, s.id)->message_count, 1);
  EXPECT_EQ(store_->get(alice_, "ses_000000000000000000000000").status().code(),
            StatusCode::kNotFound);
  // Malformed ids and the operator's actor are refused as such.
  EXPECT_EQ(store_->get(alice_, "ses_1").status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(store_->get(alice_, "ses_00000000000000000000000G").status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(store_->create(services::Actor::system()).status().code(),
            StatusCode::kInvalidArgument);
}

TEST_P(SessionsTest, RemoveDeletesTheSessionAndItsMessages) {
  SessionInfo s = create(alice_);
  SessionInfo keep = create(alice_);
  ASSERT_TRUE(store_->append(alice_, s.id, {user_msg("a"), assistant_msg("b")}).ok());
  ASSERT_TRUE(store_->append(alice_, keep.id, {user_msg("c")}).ok());
  ASSERT_TRUE(store_->remove(alice_, s.id).ok());
  EXPECT_EQ(store_->get(alice_, s.id).status().code(), StatusCode::kNotFound);
  EXPECT_EQ(store_->remove(alice_, s.id).code(), StatusCode::kNotFound);
  int64_t n = -1;
  ASSERT_TRUE(db_->read([&](Tx& tx) -> Status {
                   QWL_ASSIGN_OR_RETURN(
                       n, tx.query_int64("SELECT COUNT(*) FROM agent_messages WHERE session_id = ?",
                                         {s.id}));
                   return Status::Ok();
                 })
                  .ok());
  EXPECT_EQ(n, 0);
  EXPECT_EQ(store_->messages(alice_, keep.id)->size(), 1u);
}

TEST_P(SessionsTest, OneTurnAtATime) {
  SessionInfo s = create(alice_);
  SessionInfo other = create(alice_);
  ASSERT_TRUE(store_->begin_turn(alice_, s.id, std::chrono::seconds{60}).ok());
  Status busy = store_->begin_turn(alice_, s.id);
  EXPECT_EQ(busy.code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(busy.message().find("a message is being answered"), std::string::npos)
      << busy.to_string();
  // Another node (another store on the same database) is refused too; other sessions are free.
  SessionStore node2(*db_, clock_);
  EXPECT_EQ(node2.begin_turn(alice_, s.id).code(), StatusCode::kFailedPrecondition);
  ASSERT_TRUE(store_->begin_turn(alice_, other.id).ok());
  // Messages may still be appended and read while a turn runs.
  EXPECT_TRUE(store_->append(alice_, s.id, {user_msg("x")}).ok());

  store_->end_turn(s.id);
  ASSERT_TRUE(node2.begin_turn(alice_, s.id, std::chrono::seconds{60}).ok());
  // The first store's end_turn no longer holds a claim: it cannot free node2's turn.
  store_->end_turn(s.id);
  EXPECT_EQ(store_->begin_turn(alice_, s.id).code(), StatusCode::kFailedPrecondition);

  // A node that died mid-turn: the lease runs out and the session can be answered again; the
  // dead node's late end_turn does not free the new turn.
  clock_.advance_us(61'000'000);
  ASSERT_TRUE(store_->begin_turn(alice_, s.id, std::chrono::seconds{60}).ok());
  node2.end_turn(s.id);
  EXPECT_EQ(node2.begin_turn(alice_, s.id).code(), StatusCode::kFailedPrecondition);
  store_->end_turn(s.id);
  EXPECT_TRUE(node2.begin_turn(alice_, s.id).ok());
  node2.end_turn(s.id);
  store_->end_turn(other.id);
}

TEST_P(SessionsTest, ConcurrentBeginTurnsAdmitOne) {
  SessionInfo s = create(alice_);
  constexpr int kThreads = 8;
  std::atomic<int> won{0}, busy{0};
  std::vector<std::thread> threads;
  std::vector<std::unique_ptr<SessionStore>> nodes;
  for (int i = 0; i < kThreads; ++i) nodes.push_back(std::make_unique<SessionStore>(*db_, clock_));
  for (int i = 0; i < kThreads; ++i) {
    threads.emplace_back([&, i] {
      Status st = nodes[i]->begin_turn(alice_, s.id);
      if (st.ok())
        ++won;
      else if (st.code() == StatusCode::kFailedPrecondition)
        ++busy;
      else
        ADD_FAILURE() << st.to_string();
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(won.load(), 1);
  EXPECT_EQ(busy.load(), kThreads - 1);
  for (auto& n : nodes) n->end_turn(s.id);
  EXPECT_TRUE(store_->begin_turn(alice_, s.id).ok());
  store_->end_turn(s.id);
}

TEST_P(SessionsTest, ConcurrentAppendsKeepEveryMessageOnce) {
  SessionInfo s = create(alice_);
  constexpr int kThreads = 4, kEach = 5;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kEach; ++i) {
        Status st = store_->append(alice_, s.id,
                                   {user_msg(fmt::format("{}-{}", t, i)), assistant_msg("ok")});
        EXPECT_TRUE(st.ok()) << st.to_string();
      }
    });
  }
  for (auto& t : threads) t.join();
  auto msgs = store_->messages(alice_, s.id);
  ASSERT_TRUE(msgs.ok());
  ASSERT_EQ(msgs->size(), 2u * kThreads * kEach);
  std::set<std::string> texts;
  for (size_t i = 0; i < msgs->size(); i += 2) {
    // Each append's two messages stay together.
    EXPECT_EQ((*msgs)[i].message["role"], "user");
    EXPECT_EQ((*msgs)[i + 1].message["role"], "assistant");
    texts.insert((*msgs)[i].message["content"].get<std::string>());
  }
  EXPECT_EQ(texts.size(), static_cast<size_t>(kThreads * kEach));
  EXPECT_EQ(store_->get(alice_, s.id)->message_count, 2 * kThreads * kEach);
}

INSTANTIATE_TEST_SUITE_P(Db, SessionsTest, ::testing::Values(DbKind::kSqlite, DbKind::kPostgres),
                         [](const auto& info) { return st::kind_name(info.param); });

}  // namespace
}  // namespace qwl::agent
