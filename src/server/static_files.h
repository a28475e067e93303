// StaticFiles: the web app's built files (<resources>/web/dist: index.html, assets/*.js|css with
// hashed names, icons, fonts) served at '/' by `qwenlayer serve`, with nothing fetched from
// elsewhere at run time.
//
//   GET|HEAD /                      -> index.html (no-cache, Content-Security-Policy)
//   GET|HEAD /assets/index-4f2a.js  -> the file (public, max-age=31536000, immutable)
//   GET|HEAD /favicon.svg           -> the file (no-cache: its name carries no hash)
//   GET|HEAD /orders/12             -> index.html: a path without an extension is a page of the
//                                      single-page app (deep links), unless it is API space
//   GET|HEAD /api/..., /v1/..., /mcp, /health, /metrics (and below) -> 404 JSON, never a file
//   GET|HEAD /assets/missing.js     -> 404 JSON (the OpenAI error body, as every other route)
//   a path with "..", ".", '\', a control character, or that resolves (through a symlink)
//   outside the root                -> 400 or 404 JSON; no byte from outside the root is sent
//
// Every file response carries an ETag (from the file's size and modification time) and
// X-Content-Type-Options: nosniff; a request whose If-None-Match holds the ETag gets 304 without
// a body. HEAD answers GET's status and headers with an empty body (the server then sends
// Content-Length: 0: it frames every response from its body, see http_server.h).
//
// When the root has no index.html (the web app is not built), a page request (/, /orders/12)
// gets a small HTML page with status 503 that says how to build it; the APIs are untouched, and
// once the files appear they are served without a restart (files are read on each request).
//
// Thread-safety: handle() is const and keeps no state between requests; call it from any
// number of handler threads.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "server/http_message.h"
#include "server/http_server.h"

namespace qwl::http {

// The policy sent with every HTML response: everything from this server only, inline styles
// allowed (components set style attributes), images also as data: URLs; no plugins, no framing.
inline constexpr std::string_view kWebAppContentSecurityPolicy =
    "default-src 'self'; connect-src 'self'; img-src 'self' data:; "
    "style-src 'self' 'unsafe-inline'; object-src 'none'; base-uri 'self'; "
    "frame-ancestors 'none'";

struct StaticFilesOptions {
  // The folder served at '/' (the web app's build output). It may not exist yet.
  std::string root;
  // API space: a path equal to one of these or below it ("/api" covers "/api/v1/x", not
  // "/apis") is never answered with a file or index.html, only a 404 JSON error.
  std::vector<std::string> api_prefixes = {"/api", "/v1", "/mcp", "/health", "/metrics"};
  // Files are read whole into the response: a larger one is refused (500, logged).
  uint64_t max_file_bytes = uint64_t{256} << 20;
};

class StaticFiles {
 public:
  explicit StaticFiles(StaticFilesOptions options);

  // Answers one request by its decoded `path`, its method and its If-None-Match header. GET and
  // HEAD are served; any other method gets 405 (the routes add_routes() registers never pass
  // one). Never fails: errors are responses (400 bad path, 404, 503 not built, 500 unreadable
  // file, logged).
  Response handle(const Request& request) const;

  // True when the root holds index.html now.
  bool built() const;

  // Installs handle() as `server`'s fallback (Server::set_fallback): it answers only the GET and
  // HEAD requests no route takes, so every route wins over it and 405s stay 405s. The fallback
  // holds a copy of this object. Logs where the files come from, or that they are missing and
  // how to build them. Errors: InvalidArgument after the server started.
  Status add_routes(Server& server) const;

  const StaticFilesOptions& options() const { return options_; }

 private:
  StaticFilesOptions options_;
};

// The Content-Type for a file name by its extension (ASCII case-insensitive):
// "index.html" -> "text/html; charset=utf-8"; application/octet-stream when unknown.
std::string_view content_type_for(std::string_view file_name);

}  // namespace qwl::http
