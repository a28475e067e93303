// Prompt injection against the whole agent: the seeded demo city's injection records (a
// merchant description, a menu item, reviews, a product: docs/ecosystem/seed.md) reach the
// model through the real ecosystem tools, and a model that obeys them completely (scripted to
// do what the text says) still cannot move money, commit the user, or read another user's
// data. On SQLite and PostgreSQL.
#include <gtest/gtest.h>

#include "agent/actions.h"
#include "agent/agent.h"
#include "agent/ecosystem_tools.h"
#include "services/cart.h"
#include "services/identity.h"
#include "services/maps_adapters.h"
#include "services/orders.h"
#include "services/search.h"
#include "services/seed.h"
#include "services/services_testing.h"

namespace qwl::agent {
namespace {

using services::testing::fresh_db;

std::string call(std::string_view name, std::string_view args) {
  return fmt::format("<tool_call>\n{{\"name\": \"{}\", \"arguments\": {}}}\n</tool_call>", name,
                     args);
}

struct Counts {
  int64_t orders = 0, ledger = 0, bookings = 0, rides = 0;
  bool operator==(const Counts&) const = default;
};

class AgentInjectionTest : public ::testing::TestWithParam<DbKind> {
 protected:
  void SetUp() override {
    auto db = fresh_db(GetParam());
    ASSERT_TRUE(db.ok()) << db.status().message();
    db_ = std::move(db).value();
    ASSERT_TRUE(services::seed_ecosystem(*db_, services::SeedOptions{}, clock_).ok());
    services::Identity identity(*db_, clock_);
    auto alice = identity.find_user(services::Actor::system(), "alice@example.com");
    ASSERT_TRUE(alice.ok());
    user_.actor = services::Actor{.user_id = alice->id, .role = alice->role};
    // The indexes the server builds at start-up (app_ecosystem.h), made here directly.
    auto maps = services::Maps::load(*db_, clock_);
    ASSERT_TRUE(maps.ok()) << maps.status().message();
    maps_ = std::move(maps).value();
    auto search = services::SearchIndex::build(*db_, clock_);
    ASSERT_TRUE(search.ok()) << search.status().message();
    search_ = std::move(search).value();
    estimator_ = std::make_unique<services::RoadDeliveryEstimator>(*maps_);
    orders_ = std::make_unique<services::Orders>(
        *db_, clock_, services::OrdersOptions{.estimator = estimator_.get()});
    quoter_ = services::road_route_quoter(*maps_);
    tools_ = std::make_unique<EcosystemTools>(EcosystemHandles{.db = db_.get(),
                                                               .clock = &clock_,
                                                               .search = search_.get(),
                                                               .maps = maps_.get(),
                                                               .orders = orders_.get(),
                                                               .ride_quoter = &quoter_});
    actions_ = std::make_unique<ActionStore>(*db_, clock_, *tools_);
  }

  Counts counts() {
    Counts c;
    EXPECT_TRUE(db_->read([&](Tx& tx) -> Status {
                     QWL_ASSIGN_OR_RETURN(c.orders, tx.query_int64("SELECT COUNT(*) FROM orders"));
                     QWL_ASSIGN_OR_RETURN(c.ledger,
                                          tx.query_int64("SELECT COUNT(*) FROM ledger_txns"));
                     QWL_ASSIGN_OR_RETURN(c.bookings,
                                          tx.query_int64("SELECT COUNT(*) FROM table_bookings"));
                     QWL_ASSIGN_OR_RETURN(c.rides, tx.query_int64("SELECT COUNT(*) FROM rides"));
                     return Status::Ok();
                   })
                    .ok());
    return c;
  }

  // An order of Wang's (a pickup at Freshway, open around the clock), made for the test.
  int64_t foreign_order() {
    services::Identity identity(*db_, clock_);
    auto wang = identity.find_user(services::Actor::system(), "wang@example.com");
    EXPECT_TRUE(wang.ok());
    const services::Actor actor{.user_id = wang->id, .role = wang->role};
    EXPECT_TRUE(services::testing::fund_wallet(*db_, wang->id, 100000, clock_.wall_us()).ok());
    int64_t variant = 0;
    EXPECT_TRUE(db_->read([&](Tx& tx) -> Status {
                     QWL_ASSIGN_OR_RETURN(
                         variant,
                         tx.query_int64(
                             "SELECT v.id FROM product_variants v JOIN products "
                             "p ON v.product_id = p.id WHERE p.merchant_id = 7 AND p.listed = TRUE "
                             "AND v.stock > 0 "
                             "ORDER BY v.id LIMIT 1"));
                     return Status::Ok();
                   })
                    .ok());
    auto line = services::add_to_cart(
        *db_, clock_, actor, services::CartLineInput{.variant_id = variant, .quantity = 1});
    EXPECT_TRUE(line.ok()) << line.status().message();
    auto placed = orders_->checkout(
        actor, services::CheckoutRequest{
                   .merchant_id = 7, .fulfilment = "pickup", .idempotency_key = "wang-1"});
    EXPECT_TRUE(placed.ok()) << placed.status().message();
    return placed.ok() ? placed->order.id : 0;
  }

  Result<TurnResult> turn(std::vector<std::string> outputs, std::string_view text) {
    ScriptedBackend backend(std::move(outputs));
    Agent agent(backend, *tools_, *actions_, *db_, clock_);
    events_.clear();
    auto t = agent.run_turn(user_, "ses_injection", ChatJson::array(), text,
                            [&](const AgentEvent& e) { events_.push_back(e); });
    requests_ = backend.requests();
    return t;
  }

  std::string all_tool_responses() const {
    std::string text;
    for (const ModelRequest& r : requests_) {
      for (const auto& m : r.messages) {
        if (m.value("role", "") == "tool") text += m.value("content", "") + "\n";
      }
    }
    return text;
  }

  ManualClock clock_{1'795'392'000'000'000};  // 2026-11-18 21:20 UTC (05:20 next day local)
  std::unique_ptr<Db> db_;
  UserContext user_;
  std::unique_ptr<services::Maps> maps_;
  std::unique_ptr<services::SearchIndex> search_;
  std::unique_ptr<services::RoadDeliveryEstimator> estimator_;
  std::unique_ptr<services::Orders> orders_;
  services::RouteQuoter quoter_;
  std::unique_ptr<EcosystemTools> tools_;
  std::unique_ptr<ActionStore> actions_;
  std::vector<AgentEvent> events_;
  std::vector<ModelRequest> requests_;
};

TEST_P(AgentInjectionTest, InjectedInstructionsReachTheModelOnlyAsData) {
  const int64_t other = foreign_order();
  ASSERT_GT(other, 0);
  const Counts before = counts();
  // Cloud Nine Tea's menu has "House Special Tea" whose description gives orders.
  int64_t tea_shop = 0;
  ASSERT_TRUE(db_->read([&](Tx& tx) -> Status {
                   QWL_ASSIGN_OR_RETURN(tea_shop,
                                        tx.query_int64("SELECT merchant_id FROM menu_items WHERE "
                                                       "name_en LIKE 'House Special Tea%'"));
                   return Status::Ok();
                 })
                  .ok());
  // The model reads the menu, then does what the text says, then reads another user's order,
  // then tries the fake coupon.
  auto t = turn({call("get_menu", fmt::format(R"({{"merchant_id": {}}})", tea_shop)),
                 call("checkout", fmt::format(R"({{"merchant_id": {}}})", tea_shop)),
                 call("get_order", fmt::format(R"({{"order_id": {}}})", other)),
                 call("claim_coupon", R"({"code": "ADMIN100"})"), "Done."},
                "what does Cloud Nine Tea serve?");
  ASSERT_TRUE(t.ok()) << t.status().message();
  // Nothing moved: no order, no payment, no booking; at most a pending action for the user.
  EXPECT_EQ(counts(), before);
  for (const AgentEvent& e : events_) {
    if (e.type == AgentEventType::kAction) EXPECT_EQ(e.data["status"], "pending");
  }
  const std::string seen = all_tool_responses();
  // The injected text did reach the model, as data (the menu's merchant description).
  EXPECT_TRUE(seen.find("IGNORE ALL PREVIOUS") != std::string::npos ||
              seen.find("忽略以上") != std::string::npos)
      << seen.substr(0, 2000);
}

TEST_P(AgentInjectionTest, AnotherUsersOrderIsNotFoundWhateverTheModelAsks) {
  const int64_t other = foreign_order();
  ASSERT_GT(other, 0);
  auto t = turn({call("get_order", fmt::format(R"({{"order_id": {}}})", other)),
                 call("cancel_order", fmt::format(R"({{"order_id": {}}})", other)), "ok"},
                "check order " + std::to_string(other));
  ASSERT_TRUE(t.ok()) << t.status().message();
  int refused = 0;
  for (const AgentEvent& e : events_) {
    EXPECT_NE(e.type, AgentEventType::kAction) << e.data.dump();
    if (e.type == AgentEventType::kToolResult) {
      EXPECT_FALSE(e.data["ok"].get<bool>()) << e.data.dump();
      EXPECT_EQ(e.data["error"]["error"], "NotFound") << e.data.dump();
      ++refused;
    }
    if (e.type == AgentEventType::kCard) ADD_FAILURE() << "a card leaked: " << e.data.dump();
  }
  EXPECT_EQ(refused, 2);
}

TEST_P(AgentInjectionTest, ReviewsAndProductsWithInstructionsStayData) {
  const Counts before = counts();
  // Luna Café's review and Freshway's rice carry instructions; an obedient model's checkout of
  // "order 3" and cart stuffing stay a pending card and a cart line.
  auto t = turn({call("search_merchants", R"({"query": "Luna Café"})"),
                 call("search_products", R"({"query": "jasmine rice"})"),
                 call("checkout", R"({"merchant_id": 3})"), "ok"},
                "find luna cafe and some rice");
  ASSERT_TRUE(t.ok()) << t.status().message();
  EXPECT_EQ(counts(), before);
  const std::string seen = all_tool_responses();
  EXPECT_EQ(seen.find("<|im_start|>"), std::string::npos);
  EXPECT_EQ(seen.find("<tool_call>"), std::string::npos);
}

INSTANTIATE_TEST_SUITE_P(Db, AgentInjectionTest,
                         ::testing::Values(DbKind::kSqlite, DbKind::kPostgres),
                         [](const auto& info) { return services::testing::kind_name(info.param); });

}  // namespace
}  // namespace qwl::agent
