// Route patterns, matching precedence, percent-decoding and query parsing.
#include "server/http_router.h"

#include <gtest/gtest.h>

namespace qwl::http {
namespace {

Handler tagged(std::string tag) {
  return [tag](Request&) { return Response::text(tag); };
}

std::string call(const Router::Lookup& lookup) {
  if (lookup.outcome != Router::Outcome::kFound) return "<none>";
  Request request;
  return (*lookup.match.handler)(request).body;
}

TEST(HttpRouterTest, MatchesLiteralsAndParams) {
  Router router;
  ASSERT_TRUE(router.add(Method::kPost, "/v1/chat/completions", tagged("chat")).ok());
  ASSERT_TRUE(router.add(Method::kGet, "/api/v1/sessions/{id}/messages", tagged("msgs")).ok());

  auto chat = router.match(Method::kPost, "/v1/chat/completions");
  EXPECT_EQ(chat.outcome, Router::Outcome::kFound);
  EXPECT_EQ(call(chat), "chat");
  EXPECT_TRUE(chat.match.params.empty());

  auto msgs = router.match(Method::kGet, "/api/v1/sessions/s-42/messages");
  ASSERT_EQ(msgs.outcome, Router::Outcome::kFound);
  ASSERT_EQ(msgs.match.params.size(), 1u);
  EXPECT_EQ(msgs.match.params[0].first, "id");
  EXPECT_EQ(msgs.match.params[0].second, "s-42");

  EXPECT_EQ(router.match(Method::kGet, "/api/v1/sessions//messages").outcome,
            Router::Outcome::kNotFound);  // a {param} never matches an empty segment
  EXPECT_EQ(router.match(Method::kPost, "/v1/chat/completions/").outcome,
            Router::Outcome::kNotFound);  // no trailing-slash folding
  EXPECT_EQ(router.match(Method::kPost, "/v1/chat").outcome, Router::Outcome::kNotFound);
}

TEST(HttpRouterTest, MethodNotAllowedListsTheMethodsThatMatch) {
  Router router;
  ASSERT_TRUE(router.add(Method::kGet, "/v1/models/{id}", tagged("get")).ok());
  ASSERT_TRUE(router.add(Method::kDelete, "/v1/models/{id}", tagged("delete")).ok());
  auto lookup = router.match(Method::kPost, "/v1/models/qwen3");
  EXPECT_EQ(lookup.outcome, Router::Outcome::kMethodNotAllowed);
  EXPECT_EQ(lookup.allowed, (std::vector<Method>{Method::kGet, Method::kDelete}));
  EXPECT_EQ(call(router.match(Method::kDelete, "/v1/models/qwen3")), "delete");
}

TEST(HttpRouterTest, MostSpecificPatternWins) {
  Router router;
  ASSERT_TRUE(router.add(Method::kGet, "/files/{rest...}", tagged("rest")).ok());
  ASSERT_TRUE(router.add(Method::kGet, "/files/{name}", tagged("param")).ok());
  ASSERT_TRUE(router.add(Method::kGet, "/files/index.html", tagged("literal")).ok());
  ASSERT_TRUE(router.add(Method::kGet, "/files/{dir}/x", tagged("param-literal")).ok());
  ASSERT_TRUE(router.add(Method::kGet, "/{a}/{b}/{c}", tagged("params")).ok());

  EXPECT_EQ(call(router.match(Method::kGet, "/files/index.html")), "literal");
  EXPECT_EQ(call(router.match(Method::kGet, "/files/app.js")), "param");
  EXPECT_EQ(call(router.match(Method::kGet, "/files/a/x")), "param-literal");
  EXPECT_EQ(call(router.match(Method::kGet, "/files/a/b/c")), "rest");
}

TEST(HttpRouterTest, LiteralPrefixBeatsParamsAtTheFirstDifference) {
  Router router;
  ASSERT_TRUE(router.add(Method::kGet, "/{a}/{b}/{c}", tagged("params")).ok());
  ASSERT_TRUE(router.add(Method::kGet, "/files/{rest...}", tagged("rest")).ok());
  // At segment 0, the literal "files" beats {a}, although {b} would beat {rest...} later.
  EXPECT_EQ(call(router.match(Method::kGet, "/files/a/y")), "rest");
  EXPECT_EQ(call(router.match(Method::kGet, "/other/a/y")), "params");
}

TEST(HttpRouterTest, RestParameterTakesTheRestOfThePath) {
  Router router;
  ASSERT_TRUE(router.add(Method::kGet, "/assets/{path...}", tagged("assets")).ok());
  auto deep = router.match(Method::kGet, "/assets/js/app/main.js");
  ASSERT_EQ(deep.outcome, Router::Outcome::kFound);
  EXPECT_EQ(deep.match.params[0].second, "js/app/main.js");
  auto empty = router.match(Method::kGet, "/assets");
  ASSERT_EQ(empty.outcome, Router::Outcome::kFound);
  EXPECT_EQ(empty.match.params[0].second, "");
  auto slash = router.match(Method::kGet, "/assets/");
  ASSERT_EQ(slash.outcome, Router::Outcome::kFound);
  EXPECT_EQ(slash.match.params[0].second, "");
}

TEST(HttpRouterTest, SegmentsArePercentDecodedAfterSplitting) {
  Router router;
  ASSERT_TRUE(router.add(Method::kGet, "/v1/models/{id}", tagged("model")).ok());
  auto lookup = router.match(Method::kGet, "/v1/models/Qwen%2FQwen3%200.6B");
  ASSERT_EQ(lookup.outcome, Router::Outcome::kFound);
  EXPECT_EQ(lookup.match.params[0].second, "Qwen/Qwen3 0.6B");
  EXPECT_EQ(lookup.decoded_path, "/v1/models/Qwen/Qwen3 0.6B");
  // Literal segments compare decoded too.
  EXPECT_EQ(router.match(Method::kGet, "/v1/m%6Fdels/x").outcome, Router::Outcome::kFound);
  // '+' is a plain character in a path.
  EXPECT_EQ(router.match(Method::kGet, "/v1/models/a+b").match.params[0].second, "a+b");

  EXPECT_EQ(router.match(Method::kGet, "/v1/models/%zz").outcome, Router::Outcome::kBadPath);
  EXPECT_EQ(router.match(Method::kGet, "/v1/models/%4").outcome, Router::Outcome::kBadPath);
  EXPECT_EQ(router.match(Method::kGet, "/v1/models/a%00b").outcome, Router::Outcome::kBadPath);
  EXPECT_EQ(router.match(Method::kGet, "v1/models").outcome, Router::Outcome::kBadPath);
  EXPECT_EQ(router.match(Method::kGet, "").outcome, Router::Outcome::kBadPath);
}

TEST(HttpRouterTest, RejectsBadAndDuplicatePatterns) {
  Router router;
  EXPECT_FALSE(router.add(Method::kGet, "v1/models", tagged("x")).ok());
  EXPECT_FALSE(router.add(Method::kGet, "/v1/{", tagged("x")).ok());
  EXPECT_FALSE(router.add(Method::kGet, "/v1/{}", tagged("x")).ok());
  EXPECT_FALSE(router.add(Method::kGet, "/v1/file.{ext}", tagged("x")).ok());
  EXPECT_FALSE(router.add(Method::kGet, "/v1/{a-b}", tagged("x")).ok());
  EXPECT_FALSE(router.add(Method::kGet, "/v1/{id}/{id}", tagged("x")).ok());
  EXPECT_FALSE(router.add(Method::kGet, "/v1/{rest...}/x", tagged("x")).ok());
  EXPECT_FALSE(router.add(Method::kGet, "/v1/x", nullptr).ok());
  EXPECT_EQ(router.size(), 0u);

  ASSERT_TRUE(router.add(Method::kGet, "/v1/models/{id}", tagged("a")).ok());
  const Status dup = router.add(Method::kGet, "/v1/models/{name}", tagged("b"));
  EXPECT_EQ(dup.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(dup.message().find("/v1/models/{id}"), std::string::npos) << dup.message();
  EXPECT_TRUE(router.add(Method::kPost, "/v1/models/{id}", tagged("c")).ok());
}

TEST(HttpRouterTest, PercentDecode) {
  EXPECT_EQ(percent_decode("a%20b%2fc", false), "a b/c");
  EXPECT_EQ(percent_decode("a+b", false), "a+b");
  EXPECT_EQ(percent_decode("a+b", true), "a b");
  EXPECT_EQ(percent_decode("%e4%BD%A0", false), "\xe4\xbd\xa0");
  EXPECT_EQ(percent_decode("100%", false), std::nullopt);
  EXPECT_EQ(percent_decode("%g0", false), std::nullopt);
  EXPECT_EQ(percent_decode("%00", false), std::nullopt);
}

TEST(HttpRouterTest, ParseQuery) {
  auto q = parse_query("a=1&b=x%20y&&c&b=2&d=&e=f+g");
  ASSERT_TRUE(q.has_value());
  const std::vector<std::pair<std::string, std::string>> expected = {
      {"a", "1"}, {"b", "x y"}, {"c", ""}, {"b", "2"}, {"d", ""}, {"e", "f g"}};
  EXPECT_EQ(*q, expected);
  EXPECT_EQ(parse_query("")->size(), 0u);
  EXPECT_FALSE(parse_query("a=%zz").has_value());
}

}  // namespace
}  // namespace qwl::http
