// StaticFiles over a temporary build folder: types, caching headers, ETag and 304, HEAD, the
// single-page-app fallback against API space, the not-built page, and every way out of the root
// we could think of (dot segments, encoded or not, backslashes, NUL, symlinks). The handler is
// called directly for most checks, then over real sockets to see that API routes win, that the
// router's decoding feeds the same checks, and that HEAD sends no body on the wire.
#include "server/static_files.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <fmt/format.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "server/http_error.h"
#include "server/http_server.h"

namespace qwl::http {
namespace {

namespace fs = std::filesystem;

constexpr std::string_view kSecret = "TOP-SECRET-OUTSIDE-THE-ROOT";
constexpr std::string_view kIndexHtml = "<!doctype html><title>app</title><div id=app>INDEX</div>";
constexpr std::string_view kAppJs = "console.log('app');";

void write(const fs::path& path, std::string_view bytes) {
  fs::create_directories(path.parent_path());
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  ASSERT_TRUE(out.good()) << path;
}

// A temporary folder that holds the build output (dist/) and, beside it, files that must never
// be served.
class StaticFilesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = (fs::path(::testing::TempDir()) / "qwl_static_XXXXXX").string();
    ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
    top_ = pattern;
    root_ = top_ / "dist";
    write(top_ / "secret.txt", kSecret);
    write(top_ / "outside" / "inner.js", kSecret);
    write(root_ / "index.html", kIndexHtml);
    write(root_ / "assets" / "index-4f2a9c.js", kAppJs);
    write(root_ / "assets" / "index-4f2a9c.css", "body{}");
    write(root_ / "assets" / "index-4f2a9c.js.map", "{}");
    write(root_ / "assets" / "inter-9a8b.woff2", "wOF2");
    write(root_ / "favicon.svg", "<svg/>");
    write(root_ / "favicon.ico", "ico");
    write(root_ / "logo.png", "\x89PNG");
    write(root_ / "manifest.webmanifest", "{}");
    write(root_ / "robots.txt", "User-agent: *");
    write(root_ / "data.json", "[]");
    write(root_ / "worker.mjs", "export {};");
    write(root_ / "blob.bin", "??");
    write(root_ / ".env", kSecret);
  }
  void TearDown() override {
    std::error_code ec;
    fs::remove_all(top_, ec);
  }

  StaticFiles files() const { return StaticFiles(StaticFilesOptions{.root = root_.string()}); }

  static Response call(const StaticFiles& files, std::string path, Method method = Method::kGet,
                       std::string if_none_match = "") {
    Request request;
    request.method = method;
    request.method_text = std::string(method_name(method));
    request.path = std::move(path);
    request.target = request.path;
    if (!if_none_match.empty()) request.headers.set("If-None-Match", if_none_match);
    return files.handle(request);
  }

  static std::string header(const Response& r, std::string_view name) {
    return std::string(r.headers.get(name).value_or(""));
  }

  // A 404 (or 400) with the OpenAI error body, as every other route answers.
  static void expect_json_error(const Response& r, int status, const std::string& what) {
    EXPECT_EQ(r.status, status) << what;
    EXPECT_EQ(header(r, "Content-Type"), "application/json") << what;
    const auto body = nlohmann::json::parse(r.body, nullptr, /*allow_exceptions=*/false);
    ASSERT_TRUE(body.is_object() && body.contains("error") && body["error"].is_object())
        << what << ": " << r.body;
    EXPECT_TRUE(body["error"].value("message", nlohmann::json()).is_string())
        << what << ": " << r.body;
  }

  fs::path top_;
  fs::path root_;
};

TEST_F(StaticFilesTest, RootServesIndexWithPageHeaders) {
  const Response r = call(files(), "/");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, kIndexHtml);
  EXPECT_EQ(header(r, "Content-Type"), "text/html; charset=utf-8");
  EXPECT_EQ(header(r, "Cache-Control"), "no-cache");
  EXPECT_EQ(header(r, "X-Content-Type-Options"), "nosniff");
  const std::string csp = header(r, "Content-Security-Policy");
  EXPECT_NE(csp.find("default-src 'self'"), std::string::npos) << csp;
  EXPECT_NE(csp.find("connect-src 'self'"), std::string::npos) << csp;
  EXPECT_NE(csp.find("img-src 'self' data:"), std::string::npos) << csp;
  EXPECT_NE(csp.find("style-src 'self' 'unsafe-inline'"), std::string::npos) << csp;
  EXPECT_FALSE(header(r, "ETag").empty());

  const Response named = call(files(), "/index.html");
  EXPECT_EQ(named.status, 200);
  EXPECT_EQ(named.body, kIndexHtml);
  EXPECT_EQ(header(named, "Cache-Control"), "no-cache");
  EXPECT_EQ(header(named, "ETag"), header(r, "ETag"));
}

TEST_F(StaticFilesTest, ContentTypeByExtension) {
  const std::map<std::string, std::string> expected = {
      {"/assets/index-4f2a9c.js", "text/javascript; charset=utf-8"},
      {"/assets/index-4f2a9c.css", "text/css; charset=utf-8"},
      {"/assets/index-4f2a9c.js.map", "application/json"},
      {"/assets/inter-9a8b.woff2", "font/woff2"},
      {"/favicon.svg", "image/svg+xml"},
      {"/favicon.ico", "image/x-icon"},
      {"/logo.png", "image/png"},
      {"/manifest.webmanifest", "application/manifest+json"},
      {"/robots.txt", "text/plain; charset=utf-8"},
      {"/data.json", "application/json"},
      {"/worker.mjs", "text/javascript; charset=utf-8"},
      {"/blob.bin", "application/octet-stream"},
  };
  const StaticFiles f = files();
  for (const auto& [path, type] : expected) {
    const Response r = call(f, path);
    EXPECT_EQ(r.status, 200) << path;
    EXPECT_EQ(header(r, "Content-Type"), type) << path;
    EXPECT_EQ(header(r, "X-Content-Type-Options"), "nosniff") << path;
    // Only HTML carries the page policy.
    EXPECT_EQ(header(r, "Content-Security-Policy"), "") << path;
  }
  EXPECT_EQ(content_type_for("INDEX.HTML"), "text/html; charset=utf-8");
  EXPECT_EQ(content_type_for("a.Js"), "text/javascript; charset=utf-8");
  EXPECT_EQ(content_type_for("noextension"), "application/octet-stream");
  EXPECT_EQ(content_type_for(".html"), "application/octet-stream");
}

TEST_F(StaticFilesTest, HashedAssetsAreImmutableOtherFilesRevalidate) {
  const StaticFiles f = files();
  const Response js = call(f, "/assets/index-4f2a9c.js");
  EXPECT_EQ(js.status, 200);
  EXPECT_EQ(js.body, kAppJs);
  EXPECT_EQ(header(js, "Cache-Control"), "public, max-age=31536000, immutable");
  EXPECT_EQ(header(call(f, "/assets/index-4f2a9c.css"), "Cache-Control"),
            "public, max-age=31536000, immutable");
  EXPECT_EQ(header(call(f, "/favicon.svg"), "Cache-Control"), "no-cache");
  EXPECT_EQ(header(call(f, "/orders/12"), "Cache-Control"), "no-cache");
}

TEST_F(StaticFilesTest, IfNoneMatchWithTheEtagGives304WithoutBody) {
  const StaticFiles f = files();
  const Response first = call(f, "/assets/index-4f2a9c.js");
  const std::string etag = header(first, "ETag");
  ASSERT_TRUE(etag.size() > 2 && etag.front() == '"' && etag.back() == '"') << etag;

  for (const std::string& tags : {etag, "\"other\", " + etag, "W/" + etag, std::string("*")}) {
    const Response again = call(f, "/assets/index-4f2a9c.js", Method::kGet, tags);
    EXPECT_EQ(again.status, 304) << tags;
    EXPECT_TRUE(again.body.empty()) << tags;
    EXPECT_EQ(header(again, "ETag"), etag) << tags;
    EXPECT_EQ(header(again, "Cache-Control"), "public, max-age=31536000, immutable") << tags;
  }
  const Response stale = call(f, "/assets/index-4f2a9c.js", Method::kGet, "\"0-0\"");
  EXPECT_EQ(stale.status, 200);
  EXPECT_EQ(stale.body, kAppJs);

  // The page fallback revalidates against index.html's tag.
  const std::string index_tag = header(call(f, "/"), "ETag");
  EXPECT_EQ(call(f, "/orders/12", Method::kGet, index_tag).status, 304);
}

TEST_F(StaticFilesTest, EtagChangesWhenTheFileChanges) {
  const StaticFiles f = files();
  const std::string before = header(call(f, "/"), "ETag");
  write(root_ / "index.html", "<!doctype html><title>new build</title>");
  const Response after = call(f, "/", Method::kGet, before);
  EXPECT_EQ(after.status, 200);
  EXPECT_EQ(after.body, "<!doctype html><title>new build</title>");
  EXPECT_NE(header(after, "ETag"), before);
}

TEST_F(StaticFilesTest, HeadHasTheHeadersOfGetAndNoBody) {
  const StaticFiles f = files();
  for (const std::string path : {"/", "/assets/index-4f2a9c.js", "/orders/12"}) {
    const Response get = call(f, path);
    const Response head = call(f, path, Method::kHead);
    EXPECT_EQ(head.status, get.status) << path;
    EXPECT_TRUE(head.body.empty()) << path;
    EXPECT_FALSE(get.body.empty()) << path;
    for (const char* name : {"Content-Type", "Cache-Control", "ETag", "Content-Security-Policy",
                             "X-Content-Type-Options"}) {
      EXPECT_EQ(header(head, name), header(get, name)) << path << " " << name;
    }
  }
  const Response missing = call(f, "/assets/nothing.js", Method::kHead);
  EXPECT_EQ(missing.status, 404);
  EXPECT_TRUE(missing.body.empty());
}

TEST_F(StaticFilesTest, PathsWithoutExtensionAreAppPagesServedByIndex) {
  const StaticFiles f = files();
  for (const std::string path :
       {"/orders/12", "/orders/12/", "/orders", "//orders//12", "/wallet/history", "/apis",
        "/healthy", "/v1x/page", "/index.html/deeper"}) {
    const Response r = call(f, path);
    EXPECT_EQ(r.status, 200) << path;
    EXPECT_EQ(r.body, kIndexHtml) << path;
    EXPECT_EQ(header(r, "Content-Type"), "text/html; charset=utf-8") << path;
    EXPECT_FALSE(header(r, "Content-Security-Policy").empty()) << path;
  }
}

TEST_F(StaticFilesTest, ApiSpaceIsNeverAFileNorThePage) {
  const StaticFiles f = files();
  // Even a file that exists under an API prefix in the build output is not served.
  write(root_ / "api" / "v1" / "leak.json", "{}");
  for (const std::string path : {"/api", "/api/", "/api/v1/nothing", "/api/v1/leak.json", "/v1",
                                 "/v1/unknown", "/v1/models/x", "/mcp", "/mcp/session", "/health",
                                 "/health/deep", "/metrics", "/metrics/x", "//api//v1/nothing"}) {
    expect_json_error(call(f, path), 404, path);
    EXPECT_EQ(call(f, path, Method::kHead).status, 404) << path;
  }
  // The list is an option.
  const StaticFiles custom(StaticFilesOptions{.root = root_.string(), .api_prefixes = {"/x"}});
  EXPECT_EQ(call(custom, "/x/y").status, 404);
  EXPECT_EQ(call(custom, "/api/v1/nothing").status, 200);
}

TEST_F(StaticFilesTest, MissingFilesAre404Json) {
  const StaticFiles f = files();
  for (const std::string path : {"/assets/index-0000.js", "/assets/nothing", "/assets", "/assets/",
                                 "/missing.png", "/deep/er/missing.css"}) {
    expect_json_error(call(f, path), 404, path);
  }
}

TEST_F(StaticFilesTest, DotFilesAreNotServed) {
  const StaticFiles f = files();
  expect_json_error(call(f, "/.env"), 404, "/.env");
  expect_json_error(call(f, "/.git/config"), 404, "/.git/config");
}

TEST_F(StaticFilesTest, TraversalIsRefusedAndNothingOutsideLeaks) {
  const StaticFiles f = files();
  // Decoded paths, as the router hands them over (%2e%2e and %2f are already decoded there).
  const std::vector<std::string> attempts = {
      "/../secret.txt",
      "/..",
      "/../",
      "/assets/../../secret.txt",
      "/assets/../index.html",  // would stay inside, but dot segments are refused outright
      "/./index.html",
      "/assets/./index-4f2a9c.js",
      "/../outside/inner.js",
      "/assets/..\\..\\secret.txt",
      "/\\..\\secret.txt",
      "/..\\secret.txt",
      std::string("/secret.txt\0.html", 17),
      std::string("/\0/../secret.txt", 16),
      "/index.html\r\nX-Injected: 1",
      "/assets/\x7f",
  };
  for (const std::string& path : attempts) {
    const Response r = call(f, path);
    EXPECT_EQ(r.status, 400) << path;
    EXPECT_EQ(r.body.find(kSecret), std::string::npos) << path;
    EXPECT_EQ(header(r, "X-Injected"), "");
  }
  // Percent signs are not decoded twice: "%2e%2e" here is a file name, which does not exist.
  for (const std::string path : {"/%2e%2e/secret.txt", "/assets/%2e%2e%2f%2e%2e%2fsecret.txt"}) {
    const Response r = call(f, path);
    EXPECT_EQ(r.status, 404) << path;
    EXPECT_EQ(r.body.find(kSecret), std::string::npos) << path;
  }
  // Not a path at all.
  EXPECT_EQ(call(f, "secret.txt").status, 400);
}

TEST_F(StaticFilesTest, SymlinksLeadingOutOfTheRootAreRefused) {
  fs::create_directory_symlink(top_, root_ / "escape");
  fs::create_symlink(top_ / "secret.txt", root_ / "leak.txt");
  fs::create_directory_symlink(top_ / "outside", root_ / "assets" / "chunks");
  fs::create_symlink("../../secret.txt", root_ / "assets" / "relative.js");
  fs::create_symlink(root_ / "assets" / "index-4f2a9c.js", root_ / "alias.js");
  const StaticFiles f = files();
  for (const std::string path : {"/escape/secret.txt", "/leak.txt", "/assets/chunks/inner.js",
                                 "/assets/relative.js", "/escape/dist/../secret.txt"}) {
    const Response r = call(f, path);
    EXPECT_TRUE(r.status == 404 || r.status == 400) << path << " -> " << r.status;
    EXPECT_EQ(r.body.find(kSecret), std::string::npos) << path;
  }
  // A symlink that stays inside the root is followed.
  const Response inside = call(f, "/alias.js");
  EXPECT_EQ(inside.status, 200);
  EXPECT_EQ(inside.body, kAppJs);
}

TEST_F(StaticFilesTest, RootThatIsASymlinkIsFollowed) {
  fs::create_directory_symlink(root_, top_ / "dist-link");
  const StaticFiles f(StaticFilesOptions{.root = (top_ / "dist-link").string()});
  EXPECT_EQ(call(f, "/assets/index-4f2a9c.js").body, kAppJs);
  EXPECT_EQ(call(f, "/").body, kIndexHtml);
}

TEST_F(StaticFilesTest, NotBuiltAnswersA503PageUntilTheFilesAppear) {
  const fs::path later = top_ / "later" / "dist";
  const StaticFiles f(StaticFilesOptions{.root = later.string()});
  EXPECT_FALSE(f.built());
  for (const std::string path : {"/", "/orders/12"}) {
    const Response r = call(f, path);
    EXPECT_EQ(r.status, 503) << path;
    EXPECT_EQ(header(r, "Content-Type"), "text/html; charset=utf-8") << path;
    EXPECT_EQ(header(r, "Cache-Control"), "no-store") << path;
    EXPECT_NE(r.body.find("npm --prefix web ci &amp;&amp; npm --prefix web run build"),
              std::string::npos)
        << r.body;
    EXPECT_NE(r.body.find("scripts/setup.sh"), std::string::npos);
    // No server path in a 5xx body.
    EXPECT_EQ(r.body.find(top_.string()), std::string::npos);
  }
  EXPECT_EQ(call(f, "/", Method::kHead).body, "");
  EXPECT_EQ(call(f, "/assets/index-4f2a9c.js").status, 404);
  EXPECT_EQ(call(f, "/api/v1/me").status, 404);

  // A folder without index.html is not built either.
  fs::create_directories(later / "assets");
  EXPECT_EQ(call(f, "/").status, 503);

  // Built while the server runs: served at once.
  write(later / "index.html", kIndexHtml);
  EXPECT_TRUE(f.built());
  const Response r = call(f, "/");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, kIndexHtml);
}

TEST_F(StaticFilesTest, OtherMethodsAre405) {
  const Response r = call(files(), "/", Method::kPost);
  expect_json_error(r, 405, "POST /");
  EXPECT_EQ(header(r, "Allow"), "GET, HEAD");
}

TEST_F(StaticFilesTest, LargeFilesAreServedWholeAndTheLimitHolds) {
  std::string big(3 * 1024 * 1024 + 17, '\0');
  for (size_t i = 0; i < big.size(); ++i) big[i] = static_cast<char>('a' + i % 26);
  write(root_ / "assets" / "big-1234.js", big);
  const Response r = call(files(), "/assets/big-1234.js");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body.size(), big.size());
  EXPECT_TRUE(r.body == big);

  const StaticFiles small(StaticFilesOptions{.root = root_.string(), .max_file_bytes = 1024});
  const Response refused = call(small, "/assets/big-1234.js");
  EXPECT_EQ(refused.status, 500);
  EXPECT_EQ(refused.body.find(root_.string()), std::string::npos) << refused.body;
  EXPECT_EQ(call(small, "/assets/index-4f2a9c.js").status, 200);
}

// --- over real sockets -------------------------------------------------------------------

struct WireReply {
  int status = 0;
  std::map<std::string, std::string> headers;  // lower-case names
  std::string body;                            // everything after the head, as sent
  std::string header(const std::string& name) const {
    auto it = headers.find(name);
    return it == headers.end() ? "" : it->second;
  }
};

// Sends `head` (a request with Connection: close) and reads until the server closes.
std::optional<WireReply> exchange(uint16_t port, const std::string& head) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return std::nullopt;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  std::string data;
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0 &&
      ::send(fd, head.data(), head.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(head.size())) {
    for (;;) {
      pollfd p{fd, POLLIN, 0};
      if (::poll(&p, 1, 5000) <= 0) break;
      char buf[65536];
      const ssize_t n = ::recv(fd, buf, sizeof(buf), 0);
      if (n <= 0) break;
      data.append(buf, static_cast<size_t>(n));
    }
  }
  ::close(fd);
  const size_t end = data.find("\r\n\r\n");
  if (end == std::string::npos || !data.starts_with("HTTP/1.1 ")) return std::nullopt;
  WireReply r;
  r.status = std::atoi(data.substr(9, 3).c_str());
  size_t at = data.find("\r\n") + 2;
  while (at < end) {
    const size_t eol = data.find("\r\n", at);
    const std::string line = data.substr(at, eol - at);
    at = eol + 2;
    const size_t colon = line.find(':');
    std::string name = line.substr(0, colon);
    for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    std::string value = line.substr(colon + 1);
    while (!value.empty() && value.front() == ' ') value.erase(0, 1);
    r.headers[name] = value;
  }
  r.body = data.substr(end + 4);
  return r;
}

std::string request(std::string_view method, std::string_view target, std::string extra = "") {
  return fmt::format("{} {} HTTP/1.1\r\nHost: x\r\n{}Connection: close\r\n\r\n", method, target,
                     extra);
}

// A server with a few API routes (as `serve` has) and the files at '/'.
class StaticFilesServerTest : public StaticFilesTest {
 protected:
  void start(const std::string& root) {
    server_ = std::make_unique<Server>(ServerOptions{.port = 0});
    ASSERT_TRUE(
        server_
            ->add_route(Method::kGet, "/v1/models",
                        [](Request&) { return Response::json(R"({"object":"list","data":[]})"); })
            .ok());
    ASSERT_TRUE(server_
                    ->add_route(Method::kPost, "/v1/chat/completions",
                                [](Request&) { return Response::json("{}"); })
                    .ok());
    ASSERT_TRUE(server_
                    ->add_route(Method::kGet, "/health",
                                [](Request&) { return Response::json(R"({"status":"ok"})"); })
                    .ok());
    ASSERT_TRUE(server_
                    ->add_route(Method::kGet, "/api/v1/orders/{id}",
                                [](Request& r) {
                                  return Response::json(
                                      fmt::format(R"({{"order":"{}"}})", r.param("id")));
                                })
                    .ok());
    const StaticFiles files(StaticFilesOptions{.root = root});
    ASSERT_TRUE(files.add_routes(*server_).ok());
    // The fallback holds its own copy: `files` may go now.
    ASSERT_TRUE(server_->start().ok());
  }
  void TearDown() override {
    if (server_) server_->stop(std::chrono::milliseconds(0));
    StaticFilesTest::TearDown();
  }
  std::optional<WireReply> get(std::string_view target, std::string extra = "") {
    return exchange(server_->port(), request("GET", target, std::move(extra)));
  }

  std::unique_ptr<Server> server_;
};

TEST_F(StaticFilesServerTest, ApiRoutesWinAndTheRestIsTheApp) {
  start(root_.string());
  auto models = get("/v1/models");
  ASSERT_TRUE(models);
  EXPECT_EQ(models->status, 200);
  EXPECT_EQ(models->body, R"({"object":"list","data":[]})");
  auto order = get("/api/v1/orders/12");
  ASSERT_TRUE(order);
  EXPECT_EQ(order->body, R"({"order":"12"})");
  auto health = get("/health");
  ASSERT_TRUE(health);
  EXPECT_EQ(health->body, R"({"status":"ok"})");

  // The app's page with the same path shape as an API route.
  auto page = get("/orders/12");
  ASSERT_TRUE(page);
  EXPECT_EQ(page->status, 200);
  EXPECT_EQ(page->body, kIndexHtml);
  EXPECT_EQ(page->header("content-type"), "text/html; charset=utf-8");

  auto root = get("/");
  ASSERT_TRUE(root);
  EXPECT_EQ(root->body, kIndexHtml);
  EXPECT_FALSE(root->header("content-security-policy").empty());
  auto js = get("/assets/index-4f2a9c.js");
  ASSERT_TRUE(js);
  EXPECT_EQ(js->body, kAppJs);
  EXPECT_EQ(js->header("cache-control"), "public, max-age=31536000, immutable");

  // Unknown API paths stay JSON 404s; they never become the page.
  for (const char* target : {"/api/v1/nothing", "/v1/nothing", "/mcp", "/metrics"}) {
    auto r = get(target);
    ASSERT_TRUE(r) << target;
    EXPECT_EQ(r->status, 404) << target;
    EXPECT_EQ(r->header("content-type"), "application/json") << target;
    EXPECT_EQ(r->body.find("INDEX"), std::string::npos) << target;
  }
  // The router's 405 for a path an API route takes under another method is kept.
  for (const char* method : {"GET", "HEAD"}) {
    auto wrong = exchange(server_->port(), request(method, "/v1/chat/completions"));
    ASSERT_TRUE(wrong) << method;
    EXPECT_EQ(wrong->status, 405) << method;
    EXPECT_EQ(wrong->header("allow"), "POST") << method;
  }
  // Other methods on a page path are the router's 404.
  auto post = exchange(server_->port(), request("POST", "/orders/12", "Content-Length: 0\r\n"));
  ASSERT_TRUE(post);
  EXPECT_EQ(post->status, 404);
}

TEST_F(StaticFilesServerTest, EncodedTraversalOverTheWireIsRefused) {
  start(root_.string());
  for (const char* target :
       {"/../secret.txt", "/%2e%2e/secret.txt", "/%2E%2E/%2e%2e/secret.txt",
        "/assets/..%2f..%2fsecret.txt", "/assets/%2e%2e%2f%2e%2e%2fsecret.txt",
        "/assets/..%5c..%5csecret.txt", "/%00", "/secret.txt%00.html", "/assets/%2e%2e/index.html",
        "/escape%2f..%2f..%2fsecret.txt", "/..%252fsecret.txt"}) {
    auto r = get(target);
    ASSERT_TRUE(r) << target;
    EXPECT_TRUE(r->status == 400 || r->status == 404) << target << " -> " << r->status;
    EXPECT_EQ(r->body.find(kSecret), std::string::npos) << target;
  }
}

TEST_F(StaticFilesServerTest, HeadSendsNoBodyAnd304IsEmpty) {
  start(root_.string());
  auto head = exchange(server_->port(), request("HEAD", "/assets/index-4f2a9c.js"));
  ASSERT_TRUE(head);
  EXPECT_EQ(head->status, 200);
  EXPECT_EQ(head->header("content-type"), "text/javascript; charset=utf-8");
  EXPECT_EQ(head->body, "");
  const std::string etag = head->header("etag");
  ASSERT_FALSE(etag.empty());

  auto cached = get("/assets/index-4f2a9c.js", "If-None-Match: " + etag + "\r\n");
  ASSERT_TRUE(cached);
  EXPECT_EQ(cached->status, 304);
  EXPECT_EQ(cached->body, "");
  EXPECT_EQ(cached->header("etag"), etag);
}

TEST_F(StaticFilesServerTest, WithoutABuildThePageIs503AndTheApiWorks) {
  start((top_ / "not-built").string());
  auto page = get("/");
  ASSERT_TRUE(page);
  EXPECT_EQ(page->status, 503);
  EXPECT_NE(page->body.find("npm --prefix web"), std::string::npos);
  auto models = get("/v1/models");
  ASSERT_TRUE(models);
  EXPECT_EQ(models->status, 200);
}

}  // namespace
}  // namespace qwl::http
