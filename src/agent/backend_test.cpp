// Model backends: the scripted one, and the OpenAI-compatible client against a socket server
// in the test that answers with canned HTTP (streamed chunks, tool-call deltas, errors).
#include "agent/backend.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <thread>

namespace qwl::agent {
namespace {

TEST(ParseReply, SplitsContentAndToolCalls) {
  ModelReply r = parse_reply(
      "Let me look.\n<tool_call>\n{\"name\": \"get_menu\", \"arguments\": {\"merchant_id\": 3}}\n"
      "</tool_call>\n<tool_call>\n{broken\n</tool_call>");
  EXPECT_EQ(r.content, "Let me look.");
  ASSERT_EQ(r.tool_calls.size(), 2u);
  EXPECT_EQ(r.tool_calls[0].name, "get_menu");
  EXPECT_EQ(r.tool_calls[0].arguments, "{\"merchant_id\": 3}");
  EXPECT_TRUE(r.tool_calls[0].error.empty());
  EXPECT_FALSE(r.tool_calls[1].error.empty());
  EXPECT_EQ(r.finish_reason, "tool_calls");
}

TEST(ScriptedBackend, RepliesInOrderAndStreamsWholeCharacters) {
  ScriptedBackend backend({"你好，世界！Hello", "second"});
  ModelRequest request;
  std::string streamed;
  int pieces = 0;
  Result<ModelReply> a = backend.complete(request, [&](std::string_view p) {
    streamed += p;
    ++pieces;
    // Every piece is valid UTF-8 on its own: it never ends inside a character.
    ASSERT_NE(static_cast<unsigned char>(p.back()) & 0xC0, 0xC0);
  });
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(streamed, "你好，世界！Hello");
  EXPECT_GT(pieces, 1);
  EXPECT_EQ(backend.complete(request, {})->content, "second");
  EXPECT_EQ(backend.complete(request, {}).status().code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(backend.requests().size(), 3u);
}

TEST(ScriptedBackend, HonoursStopAndDeadline) {
  ScriptedBackend backend({"x"});
  ModelRequest request;
  std::stop_source stop;
  stop.request_stop();
  request.stop = stop.get_token();
  EXPECT_EQ(backend.complete(request, {}).status().code(), StatusCode::kCancelled);
  ModelRequest late;
  late.deadline = std::chrono::steady_clock::now() - std::chrono::seconds(1);
  EXPECT_EQ(backend.complete(late, {}).status().code(), StatusCode::kOutOfRange);
}

// Serves one canned response per connection on 127.0.0.1 and keeps the requests it read.
class CannedServer {
 public:
  explicit CannedServer(std::vector<std::string> responses, int delay_ms = 0)
      : responses_(std::move(responses)), delay_ms_(delay_ms) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    int one = 1;
    ::setsockopt(fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    EXPECT_EQ(::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
    EXPECT_EQ(::listen(fd_, 8), 0);
    socklen_t len = sizeof(addr);
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
    thread_ = std::thread([this] { serve(); });
  }
  ~CannedServer() {
    ::shutdown(fd_, SHUT_RDWR);
    ::close(fd_);
    thread_.join();
  }
  std::string url() const { return fmt::format("http://127.0.0.1:{}/v1", port_); }
  std::vector<std::string> requests;

 private:
  void serve() {
    for (const std::string& response : responses_) {
      const int c = ::accept(fd_, nullptr, nullptr);
      if (c < 0) return;
      std::string req;
      char buf[4096];
      while (true) {
        const size_t head = req.find("\r\n\r\n");
        if (head != std::string::npos) {
          size_t length = 0;
          const size_t cl = req.find("Content-Length: ");
          if (cl != std::string::npos) length = std::stoul(req.substr(cl + 16));
          if (req.size() >= head + 4 + length) break;
        }
        const ssize_t n = ::read(c, buf, sizeof(buf));
        if (n <= 0) break;
        req.append(buf, static_cast<size_t>(n));
      }
      requests.push_back(req);
      // Written in pieces, as a streaming server does.
      for (size_t i = 0; i < response.size(); i += 40) {
        const std::string_view piece = std::string_view(response).substr(i, 40);
        if (::send(c, piece.data(), piece.size(), MSG_NOSIGNAL) < 0) break;
        if (delay_ms_ > 0) std::this_thread::sleep_for(std::chrono::milliseconds(delay_ms_));
      }
      ::close(c);
    }
  }

  std::vector<std::string> responses_;
  int delay_ms_;
  int fd_ = -1;
  uint16_t port_ = 0;
  std::thread thread_;
};

std::string sse_response(const std::vector<std::string>& chunks) {
  std::string body;
  for (const std::string& c : chunks) body += "data: " + c + "\r\n\r\n";
  body += "data: [DONE]\r\n\r\n";
  return "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nConnection: close\r\n\r\n" + body;
}

std::string json_response(int status, std::string_view body) {
  return fmt::format(
      "HTTP/1.1 {} X\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: "
      "close\r\n\r\n{}",
      status, body.size(), body);
}

TEST(OpenAiBackend, StreamsTextAndAssemblesToolCalls) {
  CannedServer server({sse_response(
      {R"({"choices":[{"index":0,"delta":{"role":"assistant","content":"Sure, "}}]})",
       R"({"choices":[{"index":0,"delta":{"content":"checking."}}]})",
       R"({"choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"id":"call_x","type":"function","function":{"name":"get_menu","arguments":""}}]}}]})",
       R"({"choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"function":{"arguments":"{\"merchant_id\""}}]}}]})",
       R"({"choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"function":{"arguments":": 7}"}}]}}]})",
       R"({"choices":[{"index":0,"delta":{},"finish_reason":"tool_calls"}]})",
       R"({"choices":[],"usage":{"prompt_tokens":120,"completion_tokens":30}})"})});
  OpenAiBackend backend({.base_url = server.url(), .model = "qwen", .api_key = "k123"});
  ModelRequest request;
  request.messages.push_back({{"role", "user"}, {"content", "menu of 7"}});
  request.tools = ChatJson::array({{{"type", "function"}, {"function", {{"name", "get_menu"}}}}});
  std::string streamed;
  Result<ModelReply> r = backend.complete(request, [&](std::string_view p) { streamed += p; });
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(streamed, "Sure, checking.");
  EXPECT_EQ(r->content, "Sure, checking.");
  ASSERT_EQ(r->tool_calls.size(), 1u);
  EXPECT_EQ(r->tool_calls[0].id, "call_x");
  EXPECT_EQ(r->tool_calls[0].name, "get_menu");
  EXPECT_EQ(r->tool_calls[0].arguments, "{\"merchant_id\": 7}");
  EXPECT_TRUE(r->tool_calls[0].error.empty());
  EXPECT_EQ(r->finish_reason, "tool_calls");
  EXPECT_EQ(r->prompt_tokens, 120);
  ASSERT_EQ(server.requests.size(), 1u);
  const std::string& req = server.requests[0];
  EXPECT_NE(req.find("POST /v1/chat/completions"), std::string::npos);
  EXPECT_NE(req.find("Authorization: Bearer k123"), std::string::npos);
  const nlohmann::json sent = nlohmann::json::parse(req.substr(req.find("\r\n\r\n") + 4));
  EXPECT_EQ(sent["model"], "qwen");
  EXPECT_EQ(sent["stream"], true);
  EXPECT_EQ(sent["tool_choice"], "auto");
  EXPECT_EQ(sent["messages"][0]["content"], "menu of 7");
}

TEST(OpenAiBackend, FindsTheModelNameWhenNoneIsGiven) {
  CannedServer server({json_response(200, R"({"object":"list","data":[{"id":"qwen3-demo"}]})"),
                       sse_response({R"({"choices":[{"delta":{"content":"hi"}}]})"})});
  OpenAiBackend backend({.base_url = server.url() + "/"});
  Result<ModelReply> r = backend.complete(ModelRequest{}, {});
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->content, "hi");
  ASSERT_EQ(server.requests.size(), 2u);
  EXPECT_NE(server.requests[0].find("GET /v1/models"), std::string::npos);
  EXPECT_NE(server.requests[1].find("\"model\":\"qwen3-demo\""), std::string::npos);
}

TEST(OpenAiBackend, MapsServerErrors) {
  CannedServer server(
      {json_response(400, R"({"error":{"message":"messages: empty"}})"),
       json_response(503, R"({"error":{"message":"loading"}})"),
       sse_response({R"({"choices":[{"delta":{"content":"cut"}}]})"}).substr(0, 120)});
  OpenAiBackend backend({.base_url = server.url(), .model = "m"});
  Result<ModelReply> bad = backend.complete(ModelRequest{}, {});
  EXPECT_EQ(bad.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(bad.status().message().find("messages: empty"), std::string::npos);
  EXPECT_EQ(backend.complete(ModelRequest{}, {}).status().code(), StatusCode::kUnavailable);
  Result<ModelReply> cut = backend.complete(ModelRequest{}, {});
  EXPECT_EQ(cut.status().code(), StatusCode::kUnavailable) << cut.status().message();
}

TEST(OpenAiBackend, RefusedConnectionIsUnavailable) {
  OpenAiBackend backend({.base_url = "http://127.0.0.1:9/v1", .model = "m"});
  EXPECT_EQ(backend.complete(ModelRequest{}, {}).status().code(), StatusCode::kUnavailable);
}

TEST(OpenAiBackend, StopTokenAbortsAStreamInProgress) {
  std::vector<std::string> chunks(200, R"({"choices":[{"delta":{"content":"word "}}]})");
  CannedServer server({sse_response(chunks)}, /*delay_ms=*/20);
  OpenAiBackend backend({.base_url = server.url(), .model = "m"});
  std::stop_source stop;
  ModelRequest request;
  request.stop = stop.get_token();
  int pieces = 0;
  const auto start = std::chrono::steady_clock::now();
  Result<ModelReply> r = backend.complete(request, [&](std::string_view) {
    if (++pieces == 3) stop.request_stop();
  });
  EXPECT_EQ(r.status().code(), StatusCode::kCancelled);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
}

}  // namespace
}  // namespace qwl::agent
