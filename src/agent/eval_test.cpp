// Tests of the agent evaluation: the suite parser's errors, the matcher, and run_eval() on a
// seeded city with tasks that must pass and tasks whose expectations are wrong, which must be
// reported as failed (the runner can fail).
#include "agent/eval.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <map>
#include <string>

namespace qwl::agent {
namespace {

using json = nlohmann::json;

std::string call(std::string_view name, const json& arguments) {
  return "<tool_call>\n" + json{{"name", name}, {"arguments", arguments}}.dump() + "\n</tool_call>";
}

// Two oat lattes from Luna Café to Alice's office, as an ideal model orders them. With her
// coupons only LUNA5 applies: 46.00 - 5.00 = 41.00, no delivery fee (docs/ecosystem/seed.md).
json order_task(std::string id) {
  return {{"id", std::move(id)},
          {"lang", "en"},
          {"user", "alice@example.com"},
          {"tags", {"order"}},
          {"turns",
           {{{"user", "order two oat lattes to my office"},
             {"script",
              {call("search_merchants", {{"query", "oat latte"}, {"near", "office"}}),
               call("add_to_cart", {{"menu_item_id", 1}, {"quantity", 2}}),
               call("checkout", {{"merchant_id", 1}, {"deliver_to", "office"}})}},
             {"confirm", true}}}},
          {"expect",
           {{"calls",
             {{{"name", "search_merchants"},
               {"arguments", {{"query", "Oat Latte"}}},
               {"result", {{"merchants", {{"$has", {{"id", 1}, {"name", "Luna Café"}}}}}}}},
              {{"name", "add_to_cart"}, {"arguments", {{"menu_item_id", 1}, {"quantity", 2}}}},
              {{"name", "checkout"}, {"arguments", {{"merchant_id", 1}}}}}},
            {"action",
             {{"tool", "checkout"},
              {"status", "confirmed"},
              {"content", {{"merchant", {{"id", 1}}}, {"total", 4100}}}}},
            {"db",
             {{{"sql", "SELECT merchant_id, status, total FROM orders ORDER BY id"},
               {"rows", {{1, "placed", 4100}}}}}},
            {"answer_contains", {"Oat Latte"}}}}};
}

class EvalRunTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern =
        (std::filesystem::temp_directory_path() / "qwl-eval-test-XXXXXX").string();
    ASSERT_NE(mkdtemp(pattern.data()), nullptr);
    work_ = pattern;
  }
  void TearDown() override {
    std::error_code ec;
    std::filesystem::remove_all(work_, ec);
  }

  // Runs the tasks (one JSON object each) and returns the results by id.
  std::map<std::string, EvalTaskResult> run(const std::vector<json>& tasks, int jobs = 1) {
    std::string text;
    for (const json& t : tasks) text += t.dump() + "\n";
    Result<std::vector<EvalTask>> suite = parse_eval_suite(text, "test.jsonl");
    EXPECT_TRUE(suite.ok()) << suite.status().to_string();
    if (!suite.ok()) return {};
    EvalOptions options;
    options.work_dir = work_;
    options.jobs = jobs;
    Result<EvalReport> report = run_eval(*suite, "test.jsonl", options);
    EXPECT_TRUE(report.ok()) << report.status().to_string();
    if (!report.ok()) return {};
    report_ = *report;
    std::map<std::string, EvalTaskResult> out;
    for (const EvalTaskResult& r : report->tasks) out[r.id] = r;
    return out;
  }

  static std::string reasons(const EvalTaskResult& r) {
    std::string out;
    for (const std::string& f : r.failures) out += f + "\n";
    return out;
  }

  std::string work_;
  EvalReport report_;
};

TEST_F(EvalRunTest, PassesGoodTasksAndFailsWrongExpectations) {
  std::vector<json> tasks;
  tasks.push_back(order_task("good"));

  // The same run, but the expected total is wrong: the action and the database disagree.
  json wrong_total = order_task("wrong-total");
  wrong_total["expect"]["action"]["content"]["total"] = 4600;
  wrong_total["expect"]["db"][0]["rows"] = {{1, "placed", 4600}};
  tasks.push_back(wrong_total);

  // The right tool with other arguments than expected: tool choice yes, arguments no.
  json wrong_args = order_task("wrong-args");
  wrong_args["expect"]["calls"][1]["arguments"]["quantity"] = 3;
  tasks.push_back(wrong_args);

  // A call the task forbids, and words the answer does not hold.
  json forbidden = order_task("forbidden");
  forbidden["expect"]["forbid"] = {"add_to_cart"};
  forbidden["expect"]["answer_contains"] = {"Manner"};
  tasks.push_back(forbidden);

  // The user cancels the card: nothing is bought. Expecting an order fails.
  json cancelled = order_task("cancelled");
  cancelled["turns"][0]["confirm"] = "cancel";
  cancelled["expect"]["action"]["status"] = "cancelled";
  cancelled["expect"]["db"] = {{{"sql", "SELECT COUNT(*) FROM orders"}, {"rows", {{0}}}}};
  tasks.push_back(cancelled);
  json cancelled_wrong = cancelled;
  cancelled_wrong["id"] = "cancelled-wrong";
  cancelled_wrong["expect"]["db"][0]["rows"] = {{1}};
  tasks.push_back(cancelled_wrong);

  // The script ends before the agent is done: the agent stops with an error.
  json short_script = order_task("short-script");
  short_script["turns"][0]["script"].erase(2);
  short_script["turns"][0]["confirm"] = false;
  short_script["expect"] = {{"action", nullptr}};
  tasks.push_back(short_script);

  // The search's answer must hold a merchant it does not hold.
  json wrong_result = order_task("wrong-result");
  wrong_result["expect"]["calls"][0]["result"]["merchants"]["$has"]["name"] = "Nowhere Café";
  tasks.push_back(wrong_result);

  // Each task starts from a fresh copy: the earlier tasks' orders are not in this one.
  json fresh = order_task("fresh-copy");
  tasks.push_back(fresh);

  std::map<std::string, EvalTaskResult> r = run(tasks, /*jobs=*/2);
  ASSERT_EQ(r.size(), tasks.size());

  EXPECT_TRUE(r["good"].passed) << reasons(r["good"]);
  EXPECT_EQ(r["good"].calls_expected, 3);
  EXPECT_EQ(r["good"].calls_args_matched, 3);
  EXPECT_EQ(r["good"].calls.size(), 3u);
  EXPECT_EQ(r["good"].steps.size(), 3u);
  EXPECT_GT(r["good"].task_us, 0);

  EXPECT_FALSE(r["wrong-total"].passed);
  EXPECT_EQ(r["wrong-total"].failures.size(), 2u) << reasons(r["wrong-total"]);

  EXPECT_FALSE(r["wrong-args"].passed);
  EXPECT_EQ(r["wrong-args"].calls_name_matched, 3);
  EXPECT_EQ(r["wrong-args"].calls_args_matched, 2);

  EXPECT_FALSE(r["forbidden"].passed);
  EXPECT_EQ(r["forbidden"].failures.size(), 2u) << reasons(r["forbidden"]);

  EXPECT_TRUE(r["cancelled"].passed) << reasons(r["cancelled"]);
  EXPECT_FALSE(r["cancelled-wrong"].passed);

  EXPECT_FALSE(r["short-script"].passed);
  ASSERT_FALSE(r["short-script"].failures.empty());
  EXPECT_NE(r["short-script"].failures[0].find("script"), std::string::npos)
      << reasons(r["short-script"]);

  EXPECT_FALSE(r["wrong-result"].passed);
  EXPECT_EQ(r["wrong-result"].calls_args_matched, 3);  // the arguments were right
  ASSERT_EQ(r["wrong-result"].failures.size(), 1u);
  EXPECT_NE(r["wrong-result"].failures[0].find("Nowhere"), std::string::npos);

  EXPECT_TRUE(r["fresh-copy"].passed) << reasons(r["fresh-copy"]);

  const nlohmann::ordered_json s = report_.summary(/*per_task=*/true);
  EXPECT_EQ(s["tasks"], tasks.size());
  EXPECT_EQ(s["passed"], 3);
  // Every task but the short script's expects one add_to_cart.
  EXPECT_EQ(s["by_tool"]["add_to_cart"]["expected"], static_cast<int>(tasks.size()) - 1);
  EXPECT_EQ(s["results"].size(), tasks.size());
  EXPECT_EQ(s["failures"].size(), tasks.size() - 3);
  ASSERT_EQ(s["results"][0]["actions"].size(), 1u);
  EXPECT_EQ(s["results"][0]["actions"][0]["tool"], "checkout");
}

TEST_F(EvalRunTest, SetupStepsAndRefusedConfirmations) {
  std::vector<json> tasks;

  // Setup places an order as Alice and lets it be delivered; she asks for a refund.
  json refund = {
      {"id", "refund"},
      {"lang", "en"},
      {"user", "alice@example.com"},
      {"setup",
       {{{"call",
          {{"name", "add_to_cart"}, {"arguments", {{"menu_item_id", 1}, {"quantity", 2}}}}}},
        {{"call",
          {{"name", "checkout"}, {"arguments", {{"merchant_id", 1}, {"deliver_to", "office"}}}}}},
        {{"advance_s", 7200}}}},
      {"turns",
       {{{"user", "the lattes were cold, I want my money back"},
         {"script",
          {call("list_orders", json::object()),
           call("request_refund",
                {{"order_id", 1}, {"amount", 4100}, {"reason", "the lattes were cold"}})}},
         {"confirm", true}}}},
      {"expect",
       {{"calls", {{{"name", "request_refund"}, {"arguments", {{"order_id", 1}}}}}},
        {"db",
         {{{"sql",
            "SELECT o.status, a.kind, a.amount, a.status FROM orders o "
            "JOIN after_sales a ON a.order_id = o.id"},
           {"rows", {{"delivered", "refund", 4100, "open"}}}}}}}}};
  tasks.push_back(refund);

  // The price changes between the card and the confirmation: the confirmation is refused and
  // nothing is bought.
  json changed = order_task("price-changed");
  changed["turns"][0]["before_confirm"] = {
      {{"sql", "UPDATE menu_items SET price = 2500 WHERE id = 1"}}};
  changed["turns"][0]["confirm_error"] = "FailedPrecondition";
  changed["expect"].erase("action");
  changed["expect"]["db"] = {{{"sql", "SELECT COUNT(*) FROM orders"}, {"rows", {{0}}}}};
  tasks.push_back(changed);

  // Expecting the refused confirmation to succeed fails the task.
  json changed_wrong = changed;
  changed_wrong["id"] = "price-changed-wrong";
  changed_wrong["turns"][0].erase("confirm_error");
  tasks.push_back(changed_wrong);

  // The user asks a question about the card, then confirms it: the card of an earlier turn.
  json later = order_task("confirm-later");
  later["turns"][0]["confirm"] = false;
  later["turns"].push_back({{"user", "when will it arrive?"},
                            {"script", {"In about ten minutes, at 11:40."}},
                            {"confirm", true}});
  later["expect"]["answer_contains"] = {"11:40"};
  tasks.push_back(later);

  // A broken setup step fails the task before any turn.
  json broken = order_task("broken-setup");
  broken["setup"] = {{{"sql", "UPDATE no_such_table SET x = 1"}}};
  tasks.push_back(broken);

  std::map<std::string, EvalTaskResult> r = run(tasks);
  EXPECT_TRUE(r["refund"].passed) << reasons(r["refund"]);
  EXPECT_TRUE(r["price-changed"].passed) << reasons(r["price-changed"]);
  EXPECT_FALSE(r["price-changed-wrong"].passed);
  EXPECT_TRUE(r["confirm-later"].passed) << reasons(r["confirm-later"]);
  EXPECT_FALSE(r["broken-setup"].passed);
  ASSERT_FALSE(r["broken-setup"].failures.empty());
  EXPECT_NE(r["broken-setup"].failures[0].find("setup[0]"), std::string::npos);
  EXPECT_TRUE(r["broken-setup"].calls.empty());
}

TEST(EvalParseTest, ReadsTasksAndNamesTheLineAndFieldOfErrors) {
  const std::string good = order_task("a").dump();
  Result<std::vector<EvalTask>> ok = parse_eval_suite(good + "\n\n" + order_task("b").dump(), "s");
  ASSERT_TRUE(ok.ok()) << ok.status().to_string();
  ASSERT_EQ(ok->size(), 2u);
  EXPECT_EQ((*ok)[1].line, 3);
  EXPECT_EQ((*ok)[0].turns[0].decision, EvalDecision::kConfirm);
  EXPECT_EQ((*ok)[0].turns[0].script.size(), 3u);
  EXPECT_EQ((*ok)[0].expect.calls.size(), 3u);
  ASSERT_TRUE((*ok)[0].expect.action.has_value());

  auto error_of = [](const json& task) {
    Result<std::vector<EvalTask>> r = parse_eval_suite("\n" + task.dump(), "suite.jsonl");
    return r.ok() ? std::string("ok") : r.status().message();
  };
  json t = order_task("x");
  t["turns"][0]["confirm"] = "yes";
  EXPECT_EQ(error_of(t), "suite.jsonl:2: turns[0].confirm: must be true, false or \"cancel\"");
  t = order_task("x");
  t["expect"]["cals"] = json::array();
  EXPECT_EQ(error_of(t), "suite.jsonl:2: expect: unknown key \"cals\"");
  t = order_task("x");
  t["turns"] = json::array();
  EXPECT_EQ(error_of(t), "suite.jsonl:2: turns: must be a non-empty array");
  t = order_task("x");
  t["lang"] = "fr";
  EXPECT_EQ(error_of(t), "suite.jsonl:2: lang: must be \"en\" or \"zh\"");
  t = order_task("x");
  t["now"] = "2026-01-06 11:30";
  EXPECT_NE(error_of(t).find("suite.jsonl:2: now:"), std::string::npos);
  t = order_task("x");
  t["setup"] = {{{"sql", "SELECT 1"}, {"advance_s", 5}}};
  EXPECT_EQ(error_of(t),
            "suite.jsonl:2: setup[0]: needs exactly one of \"call\", \"advance_s\", \"sql\"");
  t = order_task("x");
  t["expect"]["db"] = {{{"sql", "SELECT 1"}, {"rows", {1}}}};
  EXPECT_EQ(error_of(t), "suite.jsonl:2: expect.db[0].rows: every row must be an array");

  Result<std::vector<EvalTask>> twice =
      parse_eval_suite(order_task("x").dump() + "\n" + order_task("x").dump(), "s");
  ASSERT_FALSE(twice.ok());
  EXPECT_EQ(twice.status().message(), "s:2: id: 'x' repeats");
  EXPECT_FALSE(parse_eval_suite("{not json", "s").ok());
}

TEST(EvalMatchTest, SubsetsArraysNumbersAndContains) {
  const json actual = {{"a", 1}, {"b", {{"c", "Large, Less ice"}, {"d", {1, 2}}}}, {"e", true}};
  EXPECT_TRUE(eval_json_matches(json::object(), actual));
  EXPECT_TRUE(eval_json_matches({{"a", 1.0}}, actual));
  EXPECT_FALSE(eval_json_matches({{"a", 2}}, actual));
  EXPECT_FALSE(eval_json_matches({{"z", 1}}, actual));
  EXPECT_TRUE(eval_json_matches({{"b", {{"d", {1, 2}}}}}, actual));
  EXPECT_FALSE(eval_json_matches({{"b", {{"d", {2, 1}}}}}, actual));  // order matters
  EXPECT_FALSE(eval_json_matches({{"b", {{"d", {1}}}}}, actual));     // so does length
  EXPECT_TRUE(eval_json_matches({{"b", {{"c", {{"$contains", "Less ice"}}}}}}, actual));
  EXPECT_FALSE(eval_json_matches({{"b", {{"c", {{"$contains", "less ice"}}}}}}, actual));
  EXPECT_TRUE(eval_json_matches({{"b", {{"c", {{"$contains", "less ice"}}}}}}, actual, true));
  EXPECT_TRUE(eval_json_matches({{"e", true}}, actual));
  EXPECT_TRUE(eval_json_matches(json::array({true, nullptr}), json::array({1, nullptr})));
  EXPECT_FALSE(eval_json_matches(json::array({true}), json::array({0})));
  // Call arguments: case and spaces of strings, order of string arrays.
  EXPECT_FALSE(eval_json_matches({{"near", "office"}}, {{"near", " Office"}}));
  EXPECT_TRUE(eval_json_matches({{"near", "office"}}, {{"near", " Office"}}, true));
  EXPECT_TRUE(
      eval_json_matches({{"options", {"large", "少冰"}}}, {{"options", {"少冰", "Large"}}}, true));
  EXPECT_FALSE(eval_json_matches({{"options", {"large"}}}, {{"options", {"large", "少冰"}}}, true));
  // {"$has": x}: some element of an array matches x.
  const json list = {{"items", {{{"id", 1}, {"name", "A"}}, {{"id", 2}, {"name", "B"}}}}};
  EXPECT_TRUE(eval_json_matches({{"items", {{"$has", {{"name", "B"}}}}}}, list));
  EXPECT_FALSE(eval_json_matches({{"items", {{"$has", {{"name", "C"}}}}}}, list));
  EXPECT_FALSE(eval_json_matches({{"items", {{"$has", 1}}}}, {{"items", 1}}));
}

TEST(EvalPercentilesTest, NearestRank) {
  std::vector<int64_t> us;
  for (int i = 1; i <= 200; ++i) us.push_back(i * 1000);
  const EvalPercentiles p = eval_percentiles(us);
  EXPECT_EQ(p.count, 200);
  EXPECT_DOUBLE_EQ(p.p50_ms, 100.0);
  EXPECT_DOUBLE_EQ(p.p99_ms, 198.0);
  EXPECT_DOUBLE_EQ(p.max_ms, 200.0);
  EXPECT_EQ(eval_percentiles({}).count, 0);
}

}  // namespace
}  // namespace qwl::agent
