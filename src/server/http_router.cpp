// Route matching. A linear scan over the routes: a server has tens of routes, each match is a
// few string compares per segment, and a scan makes "most specific wins" easy to state and check.
#include "server/http_router.h"

#include <algorithm>

namespace qwl::http {

namespace {

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// "/a/b/" -> {"a", "b", ""}; the text must start with '/'.
std::vector<std::string_view> split_path(std::string_view path) {
  std::vector<std::string_view> out;
  path.remove_prefix(1);
  for (;;) {
    const size_t slash = path.find('/');
    out.push_back(path.substr(0, slash));
    if (slash == std::string_view::npos) break;
    path.remove_prefix(slash + 1);
  }
  return out;
}

bool valid_param_name(std::string_view name) {
  if (name.empty()) return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
  });
}

}  // namespace

std::optional<std::string> percent_decode(std::string_view text, bool plus_is_space) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '%') {
      if (i + 2 >= text.size()) return std::nullopt;
      const int hi = hex_value(text[i + 1]);
      const int lo = hex_value(text[i + 2]);
      if (hi < 0 || lo < 0) return std::nullopt;
      const char decoded = static_cast<char>(hi * 16 + lo);
      if (decoded == '\0') return std::nullopt;
      out.push_back(decoded);
      i += 2;
    } else if (c == '+' && plus_is_space) {
      out.push_back(' ');
    } else {
      out.push_back(c);
    }
  }
  return out;
}

std::optional<std::vector<std::pair<std::string, std::string>>> parse_query(
    std::string_view query) {
  std::vector<std::pair<std::string, std::string>> out;
  while (!query.empty()) {
    const size_t amp = query.find('&');
    const std::string_view piece = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
    if (piece.empty()) continue;
    const size_t eq = piece.find('=');
    auto name = percent_decode(piece.substr(0, eq), /*plus_is_space=*/true);
    auto value = percent_decode(
        eq == std::string_view::npos ? std::string_view() : piece.substr(eq + 1), true);
    if (!name || !value) return std::nullopt;
    out.emplace_back(std::move(*name), std::move(*value));
  }
  return out;
}

Status Router::add(Method method, std::string_view pattern, Handler handler, RouteOptions options) {
  if (pattern.empty() || pattern[0] != '/') {
    return InvalidArgumentError("http: route '{}': a pattern starts with '/'", pattern);
  }
  if (!handler) return InvalidArgumentError("http: route '{}': empty handler", pattern);
  Route route{method, std::string(pattern), {}, std::move(handler), options};
  const std::vector<std::string_view> parts = split_path(pattern);
  for (size_t i = 0; i < parts.size(); ++i) {
    const std::string_view part = parts[i];
    const bool braced = !part.empty() && part.front() == '{';
    if (!braced) {
      if (part.find_first_of("{}") != std::string_view::npos) {
        return InvalidArgumentError("http: route '{}': segment '{}' mixes text and a parameter",
                                    pattern, part);
      }
      route.segments.push_back({Segment::kLiteral, std::string(part)});
      continue;
    }
    if (part.size() < 2 || part.back() != '}') {
      return InvalidArgumentError("http: route '{}': segment '{}' is not '{{name}}'", pattern,
                                  part);
    }
    std::string_view name = part.substr(1, part.size() - 2);
    Segment::Kind kind = Segment::kParam;
    if (name.size() > 3 && name.substr(name.size() - 3) == "...") {
      name.remove_suffix(3);
      kind = Segment::kRest;
      if (i + 1 != parts.size()) {
        return InvalidArgumentError("http: route '{}': '{{{}...}}' must be the last segment",
                                    pattern, name);
      }
    }
    if (!valid_param_name(name)) {
      return InvalidArgumentError("http: route '{}': bad parameter name '{}'", pattern, name);
    }
    for (const Segment& s : route.segments) {
      if (s.kind != Segment::kLiteral && s.text == name) {
        return InvalidArgumentError("http: route '{}': parameter '{}' appears twice", pattern,
                                    name);
      }
    }
    route.segments.push_back({kind, std::string(name)});
  }
  for (const Route& r : routes_) {
    if (r.method != method || r.segments.size() != route.segments.size()) continue;
    bool same = true;
    for (size_t i = 0; i < r.segments.size() && same; ++i) {
      const Segment& a = r.segments[i];
      const Segment& b = route.segments[i];
      same = a.kind == b.kind && (a.kind != Segment::kLiteral || a.text == b.text);
    }
    if (same) {
      return InvalidArgumentError("http: route {} '{}' duplicates '{}'", method_name(method),
                                  pattern, r.pattern);
    }
  }
  routes_.push_back(std::move(route));
  return Status::Ok();
}

Router::Lookup Router::match(Method method, std::string_view raw_path) const {
  Lookup lookup;
  if (raw_path.empty() || raw_path[0] != '/') {
    lookup.outcome = Outcome::kBadPath;
    return lookup;
  }
  std::vector<std::string> segments;
  for (std::string_view raw : split_path(raw_path)) {
    auto decoded = percent_decode(raw, /*plus_is_space=*/false);
    if (!decoded) {
      lookup.outcome = Outcome::kBadPath;
      return lookup;
    }
    lookup.decoded_path.append("/").append(*decoded);
    segments.push_back(std::move(*decoded));
  }

  // Specificity: one rank per pattern segment (0 literal, 1 param, 2 rest); lower is more
  // specific, compared lexicographically.
  const Route* best = nullptr;
  std::vector<int> best_rank;
  for (const Route& route : routes_) {
    const std::vector<Segment>& pattern = route.segments;
    const bool has_rest = !pattern.empty() && pattern.back().kind == Segment::kRest;
    const size_t fixed = has_rest ? pattern.size() - 1 : pattern.size();
    if (has_rest ? segments.size() < fixed : segments.size() != fixed) continue;
    bool ok = true;
    std::vector<int> rank;
    for (size_t i = 0; i < fixed && ok; ++i) {
      const Segment& s = pattern[i];
      if (s.kind == Segment::kLiteral) {
        ok = s.text == segments[i];
        rank.push_back(0);
      } else {
        ok = !segments[i].empty();
        rank.push_back(1);
      }
    }
    if (!ok) continue;
    if (has_rest) rank.push_back(2);
    if (route.method != method) {
      if (std::find(lookup.allowed.begin(), lookup.allowed.end(), route.method) ==
          lookup.allowed.end()) {
        lookup.allowed.push_back(route.method);
      }
      continue;
    }
    if (best == nullptr || rank < best_rank) {
      best = &route;
      best_rank = std::move(rank);
    }
  }
  if (best == nullptr) {
    lookup.outcome = lookup.allowed.empty() ? Outcome::kNotFound : Outcome::kMethodNotAllowed;
    return lookup;
  }
  lookup.allowed.clear();
  lookup.outcome = Outcome::kFound;
  lookup.match.handler = &best->handler;
  lookup.match.options = best->options;
  const std::vector<Segment>& pattern = best->segments;
  for (size_t i = 0; i < pattern.size(); ++i) {
    const Segment& s = pattern[i];
    if (s.kind == Segment::kParam) {
      lookup.match.params.emplace_back(s.text, segments[i]);
    } else if (s.kind == Segment::kRest) {
      std::string rest;
      for (size_t j = i; j < segments.size(); ++j) {
        if (j > i) rest.push_back('/');
        rest.append(segments[j]);
      }
      lookup.match.params.emplace_back(s.text, std::move(rest));
    }
  }
  return lookup;
}

}  // namespace qwl::http
