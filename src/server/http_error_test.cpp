// The Status -> HTTP status -> OpenAI error JSON mapping.
#include "server/http_error.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

namespace qwl::http {
namespace {

TEST(HttpErrorTest, StatusCodesMapToHttpStatuses) {
  EXPECT_EQ(http_status_for(StatusCode::kInvalidArgument), 400);
  EXPECT_EQ(http_status_for(StatusCode::kOutOfRange), 400);
  EXPECT_EQ(http_status_for(StatusCode::kUnsupported), 400);
  EXPECT_EQ(http_status_for(StatusCode::kNotFound), 404);
  EXPECT_EQ(http_status_for(StatusCode::kResourceExhausted), 429);
  EXPECT_EQ(http_status_for(StatusCode::kUnavailable), 503);
  EXPECT_EQ(http_status_for(StatusCode::kUnauthenticated), 401);
  EXPECT_EQ(http_status_for(StatusCode::kPermissionDenied), 403);
  EXPECT_EQ(http_status_for(StatusCode::kFailedPrecondition), 409);
  EXPECT_EQ(http_status_for(StatusCode::kCancelled), 499);
  EXPECT_EQ(http_status_for(StatusCode::kCorrupt), 500);
  EXPECT_EQ(http_status_for(StatusCode::kIoError), 500);
  EXPECT_EQ(http_status_for(StatusCode::kInternal), 500);
}

TEST(HttpErrorTest, HttpStatusesMapToOpenAiTypes) {
  EXPECT_EQ(error_type_for(400), "invalid_request_error");
  EXPECT_EQ(error_type_for(401), "authentication_error");
  EXPECT_EQ(error_type_for(403), "permission_error");
  EXPECT_EQ(error_type_for(404), "not_found_error");
  EXPECT_EQ(error_type_for(405), "invalid_request_error");
  EXPECT_EQ(error_type_for(413), "invalid_request_error");
  EXPECT_EQ(error_type_for(431), "invalid_request_error");
  EXPECT_EQ(error_type_for(429), "rate_limit_error");
  EXPECT_EQ(error_type_for(503), "unavailable_error");
  EXPECT_EQ(error_type_for(500), "server_error");
  EXPECT_EQ(error_type_for(502), "server_error");
}

TEST(HttpErrorTest, ErrorJsonHasTheOpenAiShape) {
  const auto j = nlohmann::json::parse(error_json("bad \"x\"", "invalid_request_error"));
  ASSERT_TRUE(j.contains("error"));
  const auto& e = j["error"];
  EXPECT_EQ(e.size(), 4u);
  EXPECT_EQ(e["message"], "bad \"x\"");
  EXPECT_EQ(e["type"], "invalid_request_error");
  EXPECT_TRUE(e["param"].is_null());
  EXPECT_TRUE(e["code"].is_null());

  const auto k = nlohmann::json::parse(
      error_json("too long", "invalid_request_error", "messages", "context_length_exceeded"));
  EXPECT_EQ(k["error"]["param"], "messages");
  EXPECT_EQ(k["error"]["code"], "context_length_exceeded");
}

TEST(HttpErrorTest, InvalidUtf8InAMessageIsReplacedNotThrown) {
  const std::string body = error_json("bad byte \xff here", "invalid_request_error");
  const auto j = nlohmann::json::parse(body);
  EXPECT_EQ(j["error"]["message"], "bad byte \xef\xbf\xbd here");
}

TEST(HttpErrorTest, ErrorResponseFromStatus) {
  const Response r = error_response(InvalidArgumentError("request: field 'n' must be <= 8"), "n");
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(r.headers.get("content-type"), "application/json");
  const auto j = nlohmann::json::parse(r.body);
  EXPECT_EQ(j["error"]["message"], "request: field 'n' must be <= 8");
  EXPECT_EQ(j["error"]["type"], "invalid_request_error");
  EXPECT_EQ(j["error"]["param"], "n");

  EXPECT_EQ(error_response(NotFoundError("model 'x' not found")).status, 404);
  EXPECT_EQ(error_response(ResourceExhaustedError("queue full")).status, 429);
  const Response busy = error_response(UnavailableError("loading model"));
  EXPECT_EQ(busy.status, 503);
  EXPECT_EQ(nlohmann::json::parse(busy.body)["error"]["message"], "loading model");
}

TEST(HttpErrorTest, ServerErrorsHideTheirMessages) {
  const Response r = error_response(IoErrorError("/home/me/secret/model.gguf: read failed"));
  EXPECT_EQ(r.status, 500);
  EXPECT_EQ(r.body.find("secret"), std::string::npos) << r.body;
  const auto j = nlohmann::json::parse(r.body);
  EXPECT_EQ(j["error"]["type"], "server_error");
  EXPECT_EQ(j["error"]["message"], "internal server error");
}

TEST(HttpErrorTest, AuthErrorsByHttpStatus) {
  const Response r = error_response(401, "invalid API key", "", "invalid_api_key");
  EXPECT_EQ(r.status, 401);
  const auto j = nlohmann::json::parse(r.body);
  EXPECT_EQ(j["error"]["type"], "authentication_error");
  EXPECT_EQ(j["error"]["code"], "invalid_api_key");
}

TEST(HttpErrorTest, ReasonPhrases) {
  EXPECT_EQ(reason_phrase(200), "OK");
  EXPECT_EQ(reason_phrase(413), "Content Too Large");
  EXPECT_EQ(reason_phrase(431), "Request Header Fields Too Large");
  EXPECT_EQ(reason_phrase(499), "Client Closed Request");
  EXPECT_EQ(reason_phrase(299), "Unknown");
}

}  // namespace
}  // namespace qwl::http
