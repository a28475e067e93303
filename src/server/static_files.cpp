// The web app's files at '/': path checks, confinement to the root, types, caching headers, the
// single-page-app fallback and the page shown while the app is not built.
//
// Confinement is done twice, on purpose. The decoded path is first split into segments and any
// ".", "..", backslash or control character refuses the request outright (the router has
// already decoded %2e%2e and %2f, so encoded traversal arrives here as plain ".." and is refused
// the same way). The file is then resolved with every symlink followed (weakly_canonical) and
// must lie inside the canonical root, so a symlink in the build output cannot lead out either.
// The resolved path is opened with O_NOFOLLOW, and size and modification time for the ETag come
// from fstat on that same descriptor, so the tag always describes the bytes sent.
#include "server/static_files.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fmt/format.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <optional>
#include <span>
#include <utility>

#include "base/log.h"
#include "server/http_error.h"

namespace qwl::http {

namespace fs = std::filesystem;

namespace {

constexpr std::string_view kIndexFile = "index.html";
constexpr std::string_view kAssetsFolder = "assets";  // Vite's output: names carry a hash
constexpr std::string_view kImmutable = "public, max-age=31536000, immutable";
constexpr std::string_view kRevalidate = "no-cache";
constexpr std::string_view kBuildCommand = "npm --prefix web ci && npm --prefix web run build";

struct TypeByExtension {
  std::string_view extension;  // lower case, without the dot
  std::string_view type;
};

constexpr std::array<TypeByExtension, 22> kTypes = {{
    {"html", "text/html; charset=utf-8"},
    {"htm", "text/html; charset=utf-8"},
    {"js", "text/javascript; charset=utf-8"},
    {"mjs", "text/javascript; charset=utf-8"},
    {"css", "text/css; charset=utf-8"},
    {"json", "application/json"},
    {"map", "application/json"},
    {"webmanifest", "application/manifest+json"},
    {"txt", "text/plain; charset=utf-8"},
    {"svg", "image/svg+xml"},
    {"png", "image/png"},
    {"jpg", "image/jpeg"},
    {"jpeg", "image/jpeg"},
    {"gif", "image/gif"},
    {"webp", "image/webp"},
    {"avif", "image/avif"},
    {"ico", "image/x-icon"},
    {"woff2", "font/woff2"},
    {"woff", "font/woff"},
    {"ttf", "font/ttf"},
    {"otf", "font/otf"},
    {"wasm", "application/wasm"},
}};

// Shown for page requests while the root has no index.html. It names no server path: 5xx
// bodies never reveal the file system (http_error.h); the operator's log has the folder.
constexpr std::string_view kNotBuiltPage = R"(<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>qwenlayer: the web app is not built</title>
<style>body{font-family:system-ui,sans-serif;max-width:40rem;margin:3rem auto;padding:0 1rem;line-height:1.5}code,pre{background:#f3f3f3;padding:.1rem .3rem}pre{padding:.6rem}</style>
</head>
<body>
<h1>The web app is not built</h1>
<p>This server is running and its APIs answer (<code>/v1</code>, <code>/api/v1</code>,
<code>/mcp</code>, <code>/health</code>), but the web app's files (<code>web/dist</code> in the
resource folder) are not there yet.</p>
<p>Build them in the source tree:</p>
<pre>npm --prefix web ci &amp;&amp; npm --prefix web run build</pre>
<p>or run <code>scripts/setup.sh</code>. Then reload this page: the server picks the files up
without a restart. A server started with <code>--resources DIR</code> serves
<code>DIR/web/dist</code>.</p>
</body>
</html>
)";

char ascii_lower(char c) {
  return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}

// The extension of a file name ("app.4f2a.js" -> "js"); empty when there is none. A leading dot
// does not start an extension.
std::string_view extension_of(std::string_view name) {
  const size_t dot = name.rfind('.');
  if (dot == std::string_view::npos || dot == 0) return {};
  return name.substr(dot + 1);
}

// True when `path` is `prefix` or lies below it ("/api" covers "/api" and "/api/x", not "/apis").
bool is_under(std::string_view path, std::string_view prefix) {
  while (prefix.size() > 1 && prefix.back() == '/') prefix.remove_suffix(1);
  if (!path.starts_with(prefix)) return false;
  return path.size() == prefix.size() || prefix == "/" || path[prefix.size()] == '/';
}

// The non-empty segments of a decoded path; nullopt when one is "." or "..", or the path holds a
// backslash or a control character (NUL included). Empty segments ("//", a trailing '/') are
// dropped, so "/orders/12/" and "/orders/12" name the same thing.
std::optional<std::vector<std::string_view>> path_segments(std::string_view path) {
  for (const char c : path) {
    const auto u = static_cast<unsigned char>(c);
    if (c == '\\' || u < 0x20 || u == 0x7f) return std::nullopt;
  }
  std::vector<std::string_view> out;
  while (!path.empty()) {
    const size_t slash = path.find('/');
    const std::string_view segment = path.substr(0, slash);
    path = slash == std::string_view::npos ? std::string_view() : path.substr(slash + 1);
    if (segment.empty()) continue;
    if (segment == "." || segment == "..") return std::nullopt;
    out.push_back(segment);
  }
  return out;
}

// True when every component of `base` starts `path` (both canonical).
bool is_within(const fs::path& base, const fs::path& path) {
  auto p = path.begin();
  for (const fs::path& component : base) {
    if (p == path.end() || *p != component) return false;
    ++p;
  }
  return true;
}

// The regular file that `segments` names below `root`, every symlink resolved; nullopt when the
// root or the file does not exist, when it is not a regular file, or when it resolves outside
// the root.
std::optional<fs::path> resolve_inside(const std::string& root,
                                       std::span<const std::string_view> segments) {
  std::error_code ec;
  const fs::path base = fs::canonical(root, ec);
  if (ec) return std::nullopt;
  fs::path candidate = base;
  // Each segment is non-empty and holds no '/', so appending never replaces the base.
  for (const std::string_view s : segments) candidate /= fs::path(std::string(s));
  const fs::path resolved = fs::weakly_canonical(candidate, ec);
  if (ec) return std::nullopt;
  if (!is_within(base, resolved)) {
    QWL_LOG_WARN("web app: {} resolves outside {}; not served", candidate.string(), base.string());
    return std::nullopt;
  }
  if (!fs::is_regular_file(resolved, ec)) return std::nullopt;
  return resolved;
}

// Weak comparison (RFC 9110 13.1.2): "W/" prefixes are ignored; "*" matches any current file.
bool if_none_match_hits(std::string_view header, std::string_view etag) {
  while (!header.empty()) {
    const size_t comma = header.find(',');
    std::string_view tag = header.substr(0, comma);
    header = comma == std::string_view::npos ? std::string_view() : header.substr(comma + 1);
    while (!tag.empty() && (tag.front() == ' ' || tag.front() == '\t')) tag.remove_prefix(1);
    while (!tag.empty() && (tag.back() == ' ' || tag.back() == '\t')) tag.remove_suffix(1);
    if (tag == "*") return true;
    if (tag.starts_with("W/")) tag.remove_prefix(2);
    if (tag == etag) return true;
  }
  return false;
}

// Closes a descriptor on every path out of serve_file().
class FdCloser {
 public:
  explicit FdCloser(int fd) : fd_(fd) {}
  ~FdCloser() { ::close(fd_); }
  FdCloser(const FdCloser&) = delete;
  FdCloser& operator=(const FdCloser&) = delete;

 private:
  int fd_;
};

Response not_found(std::string_view path) {
  return error_response(404, fmt::format("no file {}", path));
}

// The response for one resolved file. `path` is the request's normalized path (for messages).
Response serve_file(const Request& request, const fs::path& file, std::string_view path,
                    bool immutable, uint64_t max_bytes) {
  const int fd = ::open(file.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0) {
    // Gone (or swapped for a symlink) since it was resolved: a build is replacing the files.
    if (errno == ENOENT || errno == ELOOP) return not_found(path);
    return error_response(
        IoErrorError("web app: open {}: {}", file.string(), std::strerror(errno)));
  }
  FdCloser closer(fd);
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    return error_response(
        IoErrorError("web app: stat {}: {}", file.string(), std::strerror(errno)));
  }
  if (!S_ISREG(st.st_mode)) return not_found(path);
  const auto size = static_cast<uint64_t>(st.st_size);
  if (size > max_bytes) {
    return error_response(IoErrorError("web app: {} is {} bytes, over the {} bytes served",
                                       file.string(), size, max_bytes));
  }
  const int64_t mtime_ns = int64_t{st.st_mtim.tv_sec} * 1'000'000'000 + st.st_mtim.tv_nsec;
  const std::string etag = fmt::format("\"{:x}-{:x}\"", size, mtime_ns);
  const std::string_view type = content_type_for(file.filename().string());

  Response r(200);
  r.headers.set("Content-Type", type);
  r.headers.set("Cache-Control", immutable ? kImmutable : kRevalidate);
  r.headers.set("ETag", etag);
  if (type.starts_with("text/html")) {
    r.headers.set("Content-Security-Policy", kWebAppContentSecurityPolicy);
  }
  if (const auto tags = request.header("If-None-Match"); tags && if_none_match_hits(*tags, etag)) {
    r.status = 304;
    return r;
  }
  if (request.method == Method::kHead) return r;

  r.body.resize(size);
  size_t got = 0;
  while (got < size) {
    const ssize_t n = ::pread(fd, r.body.data() + got, size - got, static_cast<off_t>(got));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      return error_response(
          IoErrorError("web app: read {}: {}", file.string(), std::strerror(errno)));
    }
    if (n == 0) break;  // truncated while being read: send what is there, the next ETag differs
    got += static_cast<size_t>(n);
  }
  r.body.resize(got);
  return r;
}

Response not_built_page() {
  Response r(503);
  r.headers.set("Content-Type", "text/html; charset=utf-8");
  r.headers.set("Cache-Control", "no-store");
  r.headers.set("Content-Security-Policy", kWebAppContentSecurityPolicy);
  r.body = std::string(kNotBuiltPage);
  return r;
}

}  // namespace

std::string_view content_type_for(std::string_view file_name) {
  const std::string_view ext = extension_of(file_name);
  for (const TypeByExtension& t : kTypes) {
    if (t.extension.size() != ext.size()) continue;
    bool same = true;
    for (size_t i = 0; i < ext.size() && same; ++i) same = ascii_lower(ext[i]) == t.extension[i];
    if (same) return t.type;
  }
  return "application/octet-stream";
}

StaticFiles::StaticFiles(StaticFilesOptions options) : options_(std::move(options)) {}

bool StaticFiles::built() const {
  const std::array<std::string_view, 1> index = {kIndexFile};
  return resolve_inside(options_.root, index).has_value();
}

Response StaticFiles::handle(const Request& request) const {
  Response r = [&] {
    if (request.method != Method::kGet && request.method != Method::kHead) {
      Response e = error_response(
          405, fmt::format("method {} not allowed for {}", request.method_text, request.path));
      e.headers.set("Allow", "GET, HEAD");
      return e;
    }
    const auto segments = path_segments(request.path);
    if (!segments || !request.path.starts_with('/')) {
      return error_response(400,
                            "a file path may not hold '.' or '..' segments, '\\' or "
                            "control characters");
    }
    std::string path;
    for (const std::string_view s : *segments) path.append("/").append(s);
    if (path.empty()) path.push_back('/');
    for (const std::string& prefix : options_.api_prefixes) {
      if (is_under(path, prefix)) {
        return error_response(404,
                              fmt::format("no route for {} {}", request.method_text, request.path));
      }
    }
    // Dot files (.env, .git) are never part of a build's output.
    for (const std::string_view s : *segments) {
      if (s.front() == '.') return not_found(path);
    }
    const bool in_assets = !segments->empty() && segments->front() == kAssetsFolder;
    if (!segments->empty()) {
      if (const auto file = resolve_inside(options_.root, *segments)) {
        return serve_file(request, *file, path, in_assets, options_.max_file_bytes);
      }
      // A name with an extension, or anything under assets/, is a file that is missing; any
      // other path is one of the app's pages, which index.html routes on the client.
      if (in_assets || !extension_of(segments->back()).empty()) return not_found(path);
    }
    const std::array<std::string_view, 1> index = {kIndexFile};
    const auto index_file = resolve_inside(options_.root, index);
    if (!index_file) return not_built_page();
    return serve_file(request, *index_file, path, /*immutable=*/false, options_.max_file_bytes);
  }();
  r.headers.set("X-Content-Type-Options", "nosniff");
  if (request.method == Method::kHead) r.body.clear();
  return r;
}

Status StaticFiles::add_routes(Server& server) const {
  if (built()) {
    QWL_LOG_INFO("web app: serving {} at /", options_.root);
  } else {
    QWL_LOG_WARN(
        "web app: {} has no {}: / answers 503 until the app is built ({}, or scripts/setup.sh)",
        options_.root, kIndexFile, kBuildCommand);
  }
  return server.set_fallback([files = *this](Request& request) { return files.handle(request); });
}

}  // namespace qwl::http
