// What every ecosystem tool shares (ecosystem_tools_internal.h): argument readers, money, text
// and local-time formatting, the place resolver and the exactly-once wrapper for services that
// have no idempotent path of their own.
#include <algorithm>
#include <array>
#include <charconv>
#include <chrono>
#include <cmath>
#include <thread>

#include "agent/ecosystem_tools_internal.h"
#include "services/actor.h"
#include "services/city_time.h"
#include "services/coupons.h"
#include "services/idempotency.h"
#include "services/maps.h"

namespace qwl::agent::eco {
namespace {

// run_once(): how long a refused commit waits for a racing one's stored result (real time:
// the race is between threads or nodes, not on the injected clock).
constexpr int kRaceChecks = 20;
constexpr std::chrono::milliseconds kRaceWait{50};

double real_of(const Value& v) {
  return v.type() == Value::Type::kInt64 ? static_cast<double>(v.int64()) : v.real();
}

// A text of the model's inside an error message, cut short: echoed, not trusted.
std::string shown(std::string_view text) {
  return cut(text, 40);
}

std::optional<int64_t> parse_positive(std::string_view text) {
  int64_t v = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size() || v <= 0)
    return std::nullopt;
  return v;
}

std::optional<double> parse_number(std::string_view text) {
  while (!text.empty() && text.front() == ' ') text.remove_prefix(1);
  while (!text.empty() && text.back() == ' ') text.remove_suffix(1);
  double v = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size() || !std::isfinite(v))
    return std::nullopt;
  return v;
}

// Coordinates rounded to 6 decimals (about 0.1 m) and their text: the text is the place's ref,
// and the rounded values are what parsing that text gives back, so a draft made from the
// device's position and one re-made from its ref hold the same numbers.
Place location_place(services::LatLon at) {
  Place p;
  p.source = Place::Source::kLocation;
  p.ref = fmt::format("{:.6f},{:.6f}", at.lat, at.lon);
  const size_t comma = p.ref.find(',');
  p.location = {*parse_number(std::string_view(p.ref).substr(0, comma)),
                *parse_number(std::string_view(p.ref).substr(comma + 1))};
  return p;
}

Result<Place> address_place(Tx& tx, const Call& c, int64_t id) {
  QWL_ASSIGN_OR_RETURN(Rows rows, tx.query("SELECT user_id, label, line_en, line_zh, lat, lon "
                                           "FROM addresses WHERE id = ?",
                                           {id}));
  if (rows.empty()) return NotFoundError("address {} not found", id);
  QWL_RETURN_IF_ERROR(services::check_owner(c.user.actor, rows[0].int64(0), "address", id));
  const Row& r = rows[0];
  Place p;
  p.source = Place::Source::kSavedAddress;
  p.ref = fmt::format("address:{}", id);
  p.address_id = id;
  p.label = r.text(1);
  p.name_en = r.text(2);
  p.name_zh = r.text(3);
  p.location = {real_of(r[4]), real_of(r[5])};
  return p;
}

Result<Place> poi_place(const Call& c, int64_t id) {
  std::optional<services::Place> place = c.h.maps->snapshot()->places->place(id, c.now_us);
  if (!place) return NotFoundError("place {} not found", id);
  Place p;
  p.source = Place::Source::kPlace;
  p.ref = fmt::format("place:{}", id);
  p.poi_id = id;
  p.name_en = place->name_en;
  p.name_zh = place->name_zh;
  p.kind = place->kind;
  p.location = place->location;
  return p;
}

// The user's saved labels, for error messages ("home, office").
Result<std::string> saved_labels(Tx& tx, const Call& c) {
  QWL_ASSIGN_OR_RETURN(Rows rows, tx.query("SELECT label FROM addresses WHERE user_id = ? "
                                           "ORDER BY is_default DESC, id",
                                           {c.user.actor.user_id}));
  std::string out;
  for (const Row& r : rows) out += (out.empty() ? "" : ", ") + r.text(0);
  return out.empty() ? std::string("none") : out;
}

Result<std::optional<Place>> default_address(Tx& tx, const Call& c) {
  QWL_ASSIGN_OR_RETURN(
      std::vector<services::GeocodeMatch> matches,
      c.h.maps->geocode(tx, c.user.actor, services::GeocodeQuery{.text = "default", .limit = 1}));
  if (matches.empty() || matches[0].source != services::GeocodeSource::kSavedAddress)
    return std::optional<Place>();
  QWL_ASSIGN_OR_RETURN(Place p, address_place(tx, c, matches[0].id));
  return std::optional<Place>(std::move(p));
}

// The explicit forms of a place text: "lat,lon", "place:<id>", "address:<id>"; nullopt for
// any other text (a name to geocode).
Result<std::optional<Place>> explicit_place(Tx& tx, const Call& c, std::string_view text,
                                            std::string_view field) {
  if (const size_t comma = text.find(','); comma != std::string_view::npos) {
    const std::optional<double> lat = parse_number(text.substr(0, comma));
    const std::optional<double> lon = parse_number(text.substr(comma + 1));
    if (lat && lon) {
      QWL_RETURN_IF_ERROR(services::check_lat_lon({*lat, *lon}, field));
      return std::optional<Place>(location_place({*lat, *lon}));
    }
  }
  for (std::string_view prefix : {"place:", "address:"}) {
    if (!text.starts_with(prefix)) continue;
    const std::optional<int64_t> id = parse_positive(text.substr(prefix.size()));
    if (!id)
      return InvalidArgumentError("{}: '{}' needs a positive id after '{}'", field, shown(text),
                                  prefix);
    Result<Place> p = prefix == "place:" ? poi_place(c, *id) : address_place(tx, c, *id);
    if (!p.ok()) return p.status().with_context(field);
    return std::optional<Place>(std::move(p).value());
  }
  return std::optional<Place>();
}

std::optional<services::LatLon> near_point(const Call& c) {
  return c.user.location;
}

}  // namespace

// ---- Args ------------------------------------------------------------------------------------

bool Args::has(std::string_view name) const {
  if (!j_.is_object()) return false;
  auto it = j_.find(std::string(name));
  return it != j_.end() && !it->is_null();
}

Result<std::optional<int64_t>> Args::opt_int(std::string_view name, int64_t min,
                                             int64_t max) const {
  if (!has(name)) return std::optional<int64_t>();
  const json& v = *j_.find(std::string(name));
  int64_t n = 0;
  if (v.is_number_unsigned()) {
    const uint64_t u = v.get<uint64_t>();
    if (u > static_cast<uint64_t>(max))
      return InvalidArgumentError("{}: {} is above {}", name, u, max);
    n = static_cast<int64_t>(u);
  } else if (v.is_number_integer()) {
    n = v.get<int64_t>();
  } else {
    return InvalidArgumentError("{}: expected an integer, got {}", name, v.type_name());
  }
  if (n < min || n > max)
    return InvalidArgumentError("{}: {} is outside {}..{}", name, n, min, max);
  return std::optional<int64_t>(n);
}

Result<int64_t> Args::req_int(std::string_view name, int64_t min, int64_t max) const {
  QWL_ASSIGN_OR_RETURN(std::optional<int64_t> v, opt_int(name, min, max));
  if (!v) return InvalidArgumentError("{}: is required", name);
  return *v;
}

Result<std::optional<std::string>> Args::opt_string(std::string_view name, size_t max_bytes) const {
  if (!has(name)) return std::optional<std::string>();
  const json& v = *j_.find(std::string(name));
  if (!v.is_string())
    return InvalidArgumentError("{}: expected a string, got {}", name, v.type_name());
  std::string s = v.get<std::string>();
  if (s.size() > max_bytes)
    return InvalidArgumentError("{}: is {} bytes, at most {}", name, s.size(), max_bytes);
  return std::optional<std::string>(std::move(s));
}

Result<std::string> Args::req_string(std::string_view name, size_t max_bytes) const {
  QWL_ASSIGN_OR_RETURN(std::optional<std::string> v, opt_string(name, max_bytes));
  if (!v || v->empty()) return InvalidArgumentError("{}: is required", name);
  return *v;
}

Result<std::optional<bool>> Args::opt_bool(std::string_view name) const {
  if (!has(name)) return std::optional<bool>();
  const json& v = *j_.find(std::string(name));
  if (!v.is_boolean())
    return InvalidArgumentError("{}: expected true or false, got {}", name, v.type_name());
  return std::optional<bool>(v.get<bool>());
}

Result<std::vector<std::string>> Args::string_list(std::string_view name, size_t max_items,
                                                   size_t max_bytes) const {
  std::vector<std::string> out;
  if (!has(name)) return out;
  const json& v = *j_.find(std::string(name));
  if (!v.is_array())
    return InvalidArgumentError("{}: expected a list, got {}", name, v.type_name());
  if (v.size() > max_items)
    return InvalidArgumentError("{}: holds {} entries, at most {}", name, v.size(), max_items);
  for (size_t i = 0; i < v.size(); ++i) {
    if (!v[i].is_string() || v[i].get<std::string>().empty())
      return InvalidArgumentError("{}[{}]: expected a non-empty string", name, i);
    std::string s = v[i].get<std::string>();
    if (s.size() > max_bytes)
      return InvalidArgumentError("{}[{}]: is {} bytes, at most {}", name, i, s.size(), max_bytes);
    out.push_back(std::move(s));
  }
  return out;
}

std::string Call::name(const std::string& en, const std::string& zh_name) const {
  if (zh()) return zh_name.empty() ? en : zh_name;
  return en.empty() ? zh_name : en;
}

// ---- formatting ------------------------------------------------------------------------------

std::string yuan(int64_t fen) {
  return services::format_yuan(fen);
}

void put_money(json& j, std::string_view key, int64_t fen) {
  j[std::string(key)] = fen;
  j[fmt::format("{}_text", key)] = yuan(fen);
}

std::string cut(std::string_view text, size_t max_chars) {
  size_t chars = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    if ((static_cast<unsigned char>(text[i]) & 0xC0) == 0x80) continue;  // a continuation byte
    if (chars == max_chars) return std::string(text.substr(0, i)) + "…";
    ++chars;
  }
  return std::string(text);
}

double rating(int64_t rating_x10) {
  return static_cast<double>(rating_x10) / 10.0;
}

// Days since 1970-01-01 of a proleptic Gregorian date: March-based years put the leap day last,
// so the day of the year is a linear formula of the month, and 400-year eras repeat exactly.
int64_t days_from_civil(int64_t year, int64_t month, int64_t day) {
  year -= month <= 2 ? 1 : 0;
  const int64_t era = (year >= 0 ? year : year - 399) / 400;
  const int64_t year_of_era = year - era * 400;
  const int64_t day_of_year = (153 * ((month + 9) % 12) + 2) / 5 + day - 1;
  const int64_t day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
  return era * 146097 + day_of_era - 719468;
}

std::string format_date(int64_t days) {
  days += 719468;
  const int64_t era = (days >= 0 ? days : days - 146096) / 146097;
  const int64_t day_of_era = days - era * 146097;
  const int64_t year_of_era =
      (day_of_era - day_of_era / 1460 + day_of_era / 36524 - day_of_era / 146096) / 365;
  const int64_t day_of_year =
      day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
  const int64_t mp = (5 * day_of_year + 2) / 153;
  const int64_t day = day_of_year - (153 * mp + 2) / 5 + 1;
  const int64_t month = mp < 10 ? mp + 3 : mp - 9;
  const int64_t year = year_of_era + era * 400 + (month <= 2 ? 1 : 0);
  return fmt::format("{:04}-{:02}-{:02}", year, month, day);
}

std::string format_hhmm(int minute) {
  return fmt::format("{:02}:{:02}", minute / 60, minute % 60);
}

std::string local_hhmm(int64_t wall_us) {
  return format_hhmm(services::local_time(wall_us).minute);
}

std::string local_datetime(int64_t wall_us) {
  const services::LocalTime t = services::local_time(wall_us);
  return format_date(t.day) + " " + format_hhmm(t.minute);
}

Result<int64_t> parse_date(std::string_view text, std::string_view name) {
  const auto fail = [&] {
    return InvalidArgumentError("{}: '{}' is not a date (YYYY-MM-DD)", name, shown(text));
  };
  if (text.size() != 10 || text[4] != '-' || text[7] != '-') return fail();
  const auto digits = [](std::string_view s) -> std::optional<int64_t> {
    if (!std::all_of(s.begin(), s.end(), [](char ch) { return ch >= '0' && ch <= '9'; }))
      return std::nullopt;
    int64_t v = 0;
    std::from_chars(s.data(), s.data() + s.size(), v);
    return v;
  };
  const std::optional<int64_t> year = digits(text.substr(0, 4));
  const std::optional<int64_t> month = digits(text.substr(5, 2));
  const std::optional<int64_t> day = digits(text.substr(8, 2));
  if (!year || !month || !day || *year < 1970 || *month < 1 || *month > 12 || *day < 1)
    return fail();
  static constexpr std::array<int64_t, 12> kDays = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  const bool leap = (*year % 4 == 0 && *year % 100 != 0) || *year % 400 == 0;
  if (*day > kDays[*month - 1] + (*month == 2 && leap ? 1 : 0)) return fail();
  return days_from_civil(*year, *month, *day);
}

Result<int> parse_hhmm(std::string_view text, std::string_view name) {
  const auto fail = [&] {
    return InvalidArgumentError("{}: '{}' is not a time of day (HH:MM, 00:00 to 23:59)", name,
                                shown(text));
  };
  if (text.size() != 5 || text[2] != ':') return fail();
  for (size_t i : {0, 1, 3, 4}) {
    if (text[i] < '0' || text[i] > '9') return fail();
  }
  const int hour = (text[0] - '0') * 10 + (text[1] - '0');
  const int minute = (text[3] - '0') * 10 + (text[4] - '0');
  if (hour > 23 || minute > 59) return fail();
  return hour * 60 + minute;
}

std::string duration_text(int64_t seconds, bool zh) {
  const int64_t minutes = std::max<int64_t>(1, (seconds + 30) / 60);
  const int64_t h = minutes / 60, m = minutes % 60;
  if (zh) return h == 0 ? fmt::format("{}分钟", m) : fmt::format("{}小时{}分钟", h, m);
  return h == 0 ? fmt::format("{} min", m) : fmt::format("{} h {} min", h, m);
}

// ---- places ----------------------------------------------------------------------------------

services::Waypoint Place::waypoint() const {
  if (address_id != 0) return services::Waypoint::address(address_id);
  if (poi_id != 0) return services::Waypoint::poi(poi_id);
  return services::Waypoint::at(location);
}

std::string Place::display(bool zh) const {
  if (source == Source::kSavedAddress) return label;
  if (source == Source::kLocation) return zh ? "当前位置" : "current location";
  if (zh) return name_zh.empty() ? name_en : name_zh;
  return name_en.empty() ? name_zh : name_en;
}

json Place::to_json() const {
  json j{{"ref", ref},         {"label", label},      {"name_en", name_en},
         {"name_zh", name_zh}, {"lat", location.lat}, {"lon", location.lon}};
  if (address_id != 0) j["address_id"] = address_id;
  if (poi_id != 0) j["place_id"] = poi_id;
  return j;
}

Result<Place> resolve_place(Tx& tx, const Call& c, const std::optional<std::string>& text,
                            std::string_view field) {
  std::string_view t = text ? std::string_view(*text) : std::string_view();
  while (!t.empty() && t.front() == ' ') t.remove_prefix(1);
  while (!t.empty() && t.back() == ' ') t.remove_suffix(1);
  if (t.empty()) {
    if (c.user.location) {
      QWL_RETURN_IF_ERROR(services::check_lat_lon(*c.user.location, "location"));
      return location_place(*c.user.location);
    }
    QWL_ASSIGN_OR_RETURN(std::optional<Place> home, default_address(tx, c));
    if (home) return std::move(*home);
    return FailedPreconditionError(
        "{}: no place given, and the user has no current location or default address; ask "
        "where",
        field);
  }
  QWL_ASSIGN_OR_RETURN(std::optional<Place> given, explicit_place(tx, c, t, field));
  if (given) return std::move(*given);
  Result<std::vector<services::GeocodeMatch>> matches = c.h.maps->geocode(
      tx, c.user.actor,
      services::GeocodeQuery{.text = std::string(t), .near = near_point(c), .limit = 1});
  if (!matches.ok()) return matches.status().with_context(field);
  if (matches->empty())
    return NotFoundError("{}: no saved place or place matches '{}'", field, shown(t));
  const services::GeocodeMatch& m = matches->front();
  Result<Place> p = m.source == services::GeocodeSource::kSavedAddress ? address_place(tx, c, m.id)
                                                                       : poi_place(c, m.id);
  if (!p.ok()) return p.status().with_context(field);
  return p;
}

Result<Place> resolve_address(Tx& tx, const Call& c, const std::optional<std::string>& text,
                              std::string_view field) {
  std::string_view t = text ? std::string_view(*text) : std::string_view();
  while (!t.empty() && t.front() == ' ') t.remove_prefix(1);
  while (!t.empty() && t.back() == ' ') t.remove_suffix(1);
  if (t.empty()) {
    QWL_ASSIGN_OR_RETURN(std::optional<Place> home, default_address(tx, c));
    if (home) return std::move(*home);
    return FailedPreconditionError("{}: the user has no saved address; ask where to deliver",
                                   field);
  }
  if (t.starts_with("address:")) {
    QWL_ASSIGN_OR_RETURN(std::optional<Place> p, explicit_place(tx, c, t, field));
    return std::move(*p);
  }
  Result<std::vector<services::GeocodeMatch>> matches = c.h.maps->geocode(
      tx, c.user.actor, services::GeocodeQuery{.text = std::string(t), .limit = 1});
  if (!matches.ok()) return matches.status().with_context(field);
  if (matches->empty() || matches->front().source != services::GeocodeSource::kSavedAddress) {
    QWL_ASSIGN_OR_RETURN(std::string labels, saved_labels(tx, c));
    return InvalidArgumentError(
        "{}: '{}' is not one of the user's saved addresses (saved: {}); deliveries go to a "
        "saved address",
        field, shown(t), labels);
  }
  Result<Place> p = address_place(tx, c, matches->front().id);
  if (!p.ok()) return p.status().with_context(field);
  return p;
}

Result<Place> resolve_place(const Call& c, const std::optional<std::string>& text,
                            std::string_view field) {
  std::optional<Place> out;
  QWL_RETURN_IF_ERROR(c.h.db->read([&](Tx& tx) -> Status {
    QWL_ASSIGN_OR_RETURN(out, resolve_place(tx, c, text, field));
    return Status::Ok();
  }));
  return std::move(*out);
}

Result<Place> resolve_address(const Call& c, const std::optional<std::string>& text,
                              std::string_view field) {
  std::optional<Place> out;
  QWL_RETURN_IF_ERROR(c.h.db->read([&](Tx& tx) -> Status {
    QWL_ASSIGN_OR_RETURN(out, resolve_address(tx, c, text, field));
    return Status::Ok();
  }));
  return std::move(*out);
}

// ---- exactly once ----------------------------------------------------------------------------

json tool_result_json(const ToolResult& r) {
  json cards = json::array();
  for (const Card& card : r.cards) cards.push_back(card.to_json());
  return json{{"result", r.result}, {"cards", std::move(cards)}};
}

ToolResult tool_result_from(const json& j) {
  ToolResult r;
  if (!j.is_object()) return r;
  if (auto it = j.find("result"); it != j.end()) r.result = *it;
  if (auto it = j.find("cards"); it != j.end() && it->is_array()) {
    for (const json& card : *it) {
      if (!card.is_object() || !card.contains("type") || !card["type"].is_string()) continue;
      r.cards.push_back(Card{.type = card["type"].get<std::string>(),
                             .data = card.contains("data") ? card["data"] : json()});
    }
  }
  return r;
}

Result<ToolResult> run_once(const Call& c, const ActionDraft& draft, std::string_view key,
                            const std::function<Result<ToolResult>()>& fn) {
  const std::string operation = fmt::format("agent.{}", draft.tool);
  // Arguments and content bind the key: the same key with another draft is refused.
  const std::string request = json{{"arguments", draft.arguments}, {"content", draft.content}}.dump(
      -1, ' ', false, json::error_handler_t::replace);
  const services::IdempotentRequest req{
      .user_id = c.user.actor.user_id, .key = key, .operation = operation, .request = request};
  // Looking up is a run whose callable refuses: a stored response comes back without running
  // it, and a refusal stores nothing.
  constexpr std::string_view kNotStored = "agent: no stored result under this key";
  const auto replay = [](const services::IdempotentResult& stored) -> Result<ToolResult> {
    json j = json::parse(stored.response, nullptr, /*allow_exceptions=*/false);
    if (j.is_discarded()) return InternalError("agent: the stored result is not JSON");
    ToolResult r = tool_result_from(j);
    if (r.result.is_object()) r.result["replayed"] = true;
    return r;
  };
  Result<services::IdempotentResult> looked = services::run_idempotent(
      *c.h.db, req, c.now_us,
      [&](Tx&) -> Result<std::string> { return CancelledError("{}", kNotStored); });
  if (looked.ok()) return replay(*looked);
  if (looked.status().code() != StatusCode::kCancelled || looked.status().message() != kNotStored)
    return looked.status();

  Result<ToolResult> done = fn();
  if (!done.ok()) {
    // A commit racing with this one under the same key may have executed it (so the service
    // refused this one: "already cancelled") and be about to store its result: wait for it a
    // little, then answer as it did. Other errors are this call's own.
    const int tries = done.status().code() == StatusCode::kFailedPrecondition ? kRaceChecks : 1;
    for (int i = 0; i < tries; ++i) {
      if (i > 0) std::this_thread::sleep_for(kRaceWait);
      Result<services::IdempotentResult> again = services::run_idempotent(
          *c.h.db, req, c.now_us,
          [&](Tx&) -> Result<std::string> { return CancelledError("{}", kNotStored); });
      if (again.ok()) return replay(*again);
    }
    return done.status();
  }
  const std::string response =
      tool_result_json(*done).dump(-1, ' ', false, json::error_handler_t::replace);
  QWL_ASSIGN_OR_RETURN(
      services::IdempotentResult stored,
      services::run_idempotent(*c.h.db, req, c.now_us,
                               [&](Tx&) -> Result<std::string> { return response; }));
  if (stored.replayed) return replay(stored);
  return std::move(done).value();
}

Result<int64_t> draft_int(const json& j, std::string_view name) {
  auto it = j.find(std::string(name));
  if (it == j.end() || !it->is_number_integer())
    return InternalError("draft: '{}' is missing; commit a draft that prepare() made", name);
  return it->get<int64_t>();
}

}  // namespace qwl::agent::eco
