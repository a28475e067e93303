// Route table: method + path pattern -> handler, and the URL decoding the matcher needs.
//
// A pattern is a path of '/'-separated segments; a segment is literal text, "{name}" (one
// non-empty segment) or, as the last segment only, "{name...}" (the rest of the path, possibly
// empty, slashes included). Examples: "/v1/chat/completions", "/api/v1/sessions/{id}/messages",
// "/assets/{path...}". Matching is exact (no trailing-slash folding) and done on percent-decoded
// segments, so "%2F" inside a segment never splits it; a rest parameter's value joins the decoded
// segments with '/' and may therefore hold "..": a file-serving handler must check it. When
// several patterns match, the most specific wins: at the first segment where they differ, a
// literal beats {name}, which beats {name...}.
//
// Thread-safety: add() before the server starts; match() is const and safe from any thread.
#pragma once

#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/status.h"
#include "server/http_message.h"

namespace qwl::http {

// Runs on a handler thread (never an I/O thread); may block, but long work belongs elsewhere
// (see Response::deferred and Response::event_stream). An exception escaping it becomes a 500.
using Handler = std::function<Response(Request&)>;

struct RouteOptions {
  // The largest body this route accepts; 0 = ServerOptions::max_body_bytes.
  size_t max_body_bytes = 0;
};

class Router {
 public:
  struct Match {
    const Handler* handler = nullptr;  // owned by the router
    RouteOptions options;
    std::vector<std::pair<std::string, std::string>> params;
  };

  // Errors: InvalidArgument for a malformed pattern (not starting with '/', an unclosed or empty
  // {}, a duplicate parameter name, {name...} not last) or a method + pattern already added.
  Status add(Method method, std::string_view pattern, Handler handler, RouteOptions options = {});

  enum class Outcome { kFound, kNotFound, kMethodNotAllowed, kBadPath };
  struct Lookup {
    Outcome outcome = Outcome::kNotFound;
    Match match;                  // when kFound
    std::vector<Method> allowed;  // when kMethodNotAllowed: the methods that would match
    std::string decoded_path;     // when not kBadPath
  };
  // Matches a raw (still percent-encoded) path without the query. kBadPath when the path does not
  // start with '/' or holds an invalid escape or an encoded NUL.
  Lookup match(Method method, std::string_view raw_path) const;

  size_t size() const { return routes_.size(); }

 private:
  struct Segment {
    enum Kind { kLiteral, kParam, kRest } kind = kLiteral;
    std::string text;  // literal text or parameter name
  };
  struct Route {
    Method method;
    std::string pattern;
    std::vector<Segment> segments;
    Handler handler;
    RouteOptions options;
  };
  std::vector<Route> routes_;
};

// Percent-decodes `text`; with `plus_is_space` (query strings) '+' becomes ' '. Returns nullopt
// for a '%' not followed by two hex digits or for an encoded NUL.
std::optional<std::string> percent_decode(std::string_view text, bool plus_is_space);
// Splits "a=1&b=x%20y&c" into decoded pairs ({"c", ""} for a bare name); skips empty pieces.
// Returns nullopt when a piece does not decode.
std::optional<std::vector<std::pair<std::string, std::string>>> parse_query(std::string_view query);

}  // namespace qwl::http
