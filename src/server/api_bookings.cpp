// The bookings routes of the app API (api_bookings.h): each handler reads the request's path,
// query and JSON body into the services' request structs, calls one booking service as the
// request's Actor, and maps the result struct to the API's JSON. The rules (who may see what,
// prices, refunds, double booking) are the services'; this file adds only the API's units
// (Unix seconds, local "YYYY-MM-DD" and "HH:MM", fen with a currency) and its errors.
#include "server/api_bookings.h"

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <initializer_list>
#include <limits>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "server/http_error.h"
#include "services/bookings.h"
#include "services/city_time.h"

namespace qwl::app {
namespace {

using nlohmann::json;
using services::Role;

constexpr std::string_view kCurrency = "CNY";
// Booking bodies are small: two texts of at most 500 bytes (6x when \u-escaped) and numbers.
constexpr size_t kMaxBodyBytes = 16 * 1024;
constexpr int64_t kDefaultListLimit = 20;
constexpr int64_t kMaxListLimit = 100;
// A place's booking lists: the services return at most this many rows; a range is at most
// kMaxPlaceListDays days.
constexpr size_t kPlaceListCap = 1000;
constexpr int64_t kMaxPlaceListDays = 31;
constexpr int64_t kMicrosPerSecond = 1'000'000;
constexpr int64_t kSecondsPerDay = 24 * 3600;

// ---- errors that name their parameter ------------------------------------------------------

bool is_param_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
         c == '.' || c == '-';
}

// The API parameter an InvalidArgument message is about, or "" when none. Our messages and
// AppApi's field readers start with "<param>: "; the booking services' messages start with
// their own field names (check_in_day, starts_at_us), which become the API's names here.
std::string param_of(std::string_view message) {
  static constexpr std::array<std::pair<std::string_view, std::string_view>, 4> kPhrases = {{
      {"idempotency key", "Idempotency-Key"},
      {"from and to ", "to"},
      {"a stay is at most", "check_out"},
      {"contact_name and note", "note"},
  }};
  for (const auto& [phrase, param] : kPhrases) {
    if (message.starts_with(phrase)) return std::string(param);
  }
  // An unknown name is whatever the client sent, spaces and all.
  for (std::string_view tail : {": unknown field", ": unknown query parameter"}) {
    if (message.ends_with(tail))
      return std::string(message.substr(0, message.size() - tail.size()));
  }
  size_t n = 0;
  while (n < message.size() && is_param_char(message[n])) ++n;
  const std::string_view token = message.substr(0, n);
  static constexpr std::array<std::pair<std::string_view, std::string_view>, 13> kServiceNames = {{
      {"at_us", "time"},
      {"starts_at_us", "time"},
      {"window_minutes", "window"},
      {"max_alternatives", "alternatives"},
      {"check_in_day", "check_in"},
      {"check_out_day", "check_out"},
      {"to_us", "to"},
      {"to_day", "to"},
      {"party_size", "party_size"},
      {"guests", "guests"},
      {"expected_total", "expected_total"},
      {"expected_price", "expected_price"},
      {"limit", "limit"},
  }};
  for (const auto& [name, param] : kServiceNames) {
    if (token == name) return std::string(param);
  }
  if (!token.empty() && n < message.size() && message[n] == ':') return std::string(token);
  return "";
}

// A handler's InvalidArgument becomes the app API's error JSON with "param" filled in and the
// message starting with it (a service's "idempotency key 'k' was used ..." becomes
// "Idempotency-Key: idempotency key 'k' was used ..."); every other outcome goes back to AppApi
// as it is.
Result<http::Response> with_param(Result<http::Response> response) {
  if (response.ok() || response.status().code() != StatusCode::kInvalidArgument) return response;
  const Status& status = response.status();
  const std::string param = param_of(status.message());
  const bool named = param.empty() || (status.message().starts_with(param) &&
                                       status.message().substr(param.size()).starts_with(": "));
  return http::error_response(named ? status : status.with_context(param), param,
                              error_code_for(status.code()));
}

// ---- local dates and times -----------------------------------------------------------------

// Days since 1970-01-01 of a Gregorian date (the proleptic calendar, as "YYYY-MM-DD" means):
// March-based years put the leap day last, so the day of the year is a linear formula of the
// month, and 400-year eras repeat exactly (146097 days).
int64_t days_from_civil(int64_t year, int64_t month, int64_t day) {
  year -= month <= 2 ? 1 : 0;
  const int64_t era = (year >= 0 ? year : year - 399) / 400;
  const int64_t year_of_era = year - era * 400;                              // [0, 399]
  const int64_t day_of_year = (153 * ((month + 9) % 12) + 2) / 5 + day - 1;  // [0, 365]
  const int64_t day_of_era =
      year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;  // [0, 146096]
  return era * 146097 + day_of_era - 719468;  // 719468: days from 0000-03-01 to 1970-01-01
}

struct CivilDate {
  int64_t year = 0;
  int64_t month = 0;
  int64_t day = 0;
};

// The inverse of days_from_civil().
CivilDate civil_from_days(int64_t days) {
  days += 719468;
  const int64_t era = (days >= 0 ? days : days - 146096) / 146097;
  const int64_t day_of_era = days - era * 146097;
  const int64_t year_of_era =
      (day_of_era - day_of_era / 1460 + day_of_era / 36524 - day_of_era / 146096) / 365;
  const int64_t day_of_year =
      day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
  const int64_t mp = (5 * day_of_year + 2) / 153;  // month from March = 0
  CivilDate date;
  date.day = day_of_year - (153 * mp + 2) / 5 + 1;
  date.month = mp < 10 ? mp + 3 : mp - 9;
  date.year = year_of_era + era * 400 + (date.month <= 2 ? 1 : 0);
  return date;
}

std::string format_date(int64_t day) {
  const CivilDate d = civil_from_days(day);
  return fmt::format("{:04}-{:02}-{:02}", d.year, d.month, d.day);
}

std::string format_time(int minute) {
  return fmt::format("{:02}:{:02}", minute / 60, minute % 60);
}

// "2026-11-23 19:00", the city's local time of an instant.
std::string format_local(int64_t wall_us) {
  const services::LocalTime t = services::local_time(wall_us);
  return format_date(t.day) + " " + format_time(t.minute);
}

// Digits only, as a number (no sign, no spaces); nullopt otherwise.
std::optional<int64_t> parse_digits(std::string_view text) {
  if (text.empty()) return std::nullopt;
  int64_t v = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || end != text.data() + text.size() || text.front() == '-')
    return std::nullopt;
  return v;
}

// "YYYY-MM-DD" (a real calendar date, years 1970 to 9999) as local days since 1970-01-01.
Result<int64_t> parse_date(std::string_view text, std::string_view param) {
  const auto fail = [&] {
    return bad_param(param, "'{}' is not a date (YYYY-MM-DD)", shown(text));
  };
  if (text.size() != 10 || text[4] != '-' || text[7] != '-') return fail();
  const std::optional<int64_t> year = parse_digits(text.substr(0, 4));
  const std::optional<int64_t> month = parse_digits(text.substr(5, 2));
  const std::optional<int64_t> day = parse_digits(text.substr(8, 2));
  if (!year || !month || !day || *year < 1970 || *month < 1 || *month > 12 || *day < 1)
    return fail();
  static constexpr std::array<int64_t, 12> kDays = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  const bool leap = (*year % 4 == 0 && *year % 100 != 0) || *year % 400 == 0;
  if (*day > kDays[*month - 1] + (*month == 2 && leap ? 1 : 0)) return fail();
  return days_from_civil(*year, *month, *day);
}

// "HH:MM" (00:00 to 23:59) as minutes after local midnight.
Result<int> parse_time(std::string_view text, std::string_view param) {
  const auto fail = [&] {
    return bad_param(param, "'{}' is not a time of day (HH:MM, 00:00 to 23:59)", shown(text));
  };
  if (text.size() != 5 || text[2] != ':') return fail();
  const std::optional<int64_t> hour = parse_digits(text.substr(0, 2));
  const std::optional<int64_t> minute = parse_digits(text.substr(3, 2));
  if (!hour || !minute || *hour > 23 || *minute > 59) return fail();
  return static_cast<int>(*hour * 60 + *minute);
}

int64_t to_seconds(int64_t us) {
  return us >= 0 ? us / kMicrosPerSecond : -((-us + kMicrosPerSecond - 1) / kMicrosPerSecond);
}

// ---- request readers -----------------------------------------------------------------------

// InvalidArgument naming the first query parameter that is not in `known`.
Status check_query(const http::Request& request, std::initializer_list<std::string_view> known) {
  for (const auto& [name, value] : request.query) {
    if (std::find(known.begin(), known.end(), name) == known.end())
      return bad_param(shown(name), "unknown query parameter");
  }
  return Status::Ok();
}

// InvalidArgument naming the first field of `object` that is not in `known`; `path` prefixes
// nested objects' fields ("from.").
Status check_fields(const json& object, std::initializer_list<std::string_view> known,
                    std::string_view path = "") {
  for (auto it = object.begin(); it != object.end(); ++it) {
    if (std::find(known.begin(), known.end(), it.key()) == known.end())
      return bad_param(fmt::format("{}{}", path, shown(it.key())), "unknown field");
  }
  return Status::Ok();
}

Result<std::string_view> required_query(const http::Request& request, std::string_view name) {
  const std::optional<std::string_view> value = request.query_param(name);
  if (!value) return bad_param(name, "is required");
  return *value;
}

// A required query parameter that must be a positive integer (a count: party size, guests).
Result<int64_t> query_count(const http::Request& request, std::string_view name) {
  QWL_ASSIGN_OR_RETURN(std::string_view text, required_query(request, name));
  const std::optional<int64_t> v = parse_digits(text);
  if (!v || *v < 1) return bad_param(name, "'{}' is not a positive integer", shown(text));
  return *v;
}

Result<int64_t> required_int(const json& body, std::string_view field) {
  QWL_ASSIGN_OR_RETURN(std::optional<int64_t> value, optional_int(body, field));
  if (!value) return bad_param(field, "is required");
  return *value;
}

Result<int64_t> required_id(const json& body, std::string_view field) {
  QWL_ASSIGN_OR_RETURN(int64_t id, required_int(body, field));
  if (id <= 0) return bad_param(field, "{} is not an id (a positive integer)", id);
  return id;
}

Result<int64_t> required_count(const json& body, std::string_view field) {
  QWL_ASSIGN_OR_RETURN(int64_t n, required_int(body, field));
  if (n < 1) return bad_param(field, "must be at least 1, got {}", n);
  return n;
}

Result<int64_t> required_amount(const json& body, std::string_view field) {
  QWL_ASSIGN_OR_RETURN(int64_t amount, required_int(body, field));
  if (amount < 0) return bad_param(field, "must not be negative, got {}", amount);
  return amount;
}

Result<std::string> optional_text(const json& body, std::string_view field, size_t max_bytes) {
  QWL_ASSIGN_OR_RETURN(std::optional<std::string> text, optional_string(body, field));
  if (!text) return std::string();
  if (text->size() > max_bytes)
    return bad_param(field, "must be at most {} bytes, got {}", max_bytes, text->size());
  return std::move(*text);
}

// A write's body; cancels take none, so an empty body is an empty object there.
Result<json> body_or_empty(const http::Request& request) {
  if (std::all_of(request.body.begin(), request.body.end(),
                  [](char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }))
    return json::object();
  return parse_json_body(request);
}

// {"lat": degrees, "lon": degrees, "label"?: text} at body[field].
Result<services::RidePlace> ride_place(const json& body, std::string_view field) {
  auto it = body.find(std::string(field));
  if (it == body.end() || it->is_null()) return bad_param(field, "is required");
  if (!it->is_object())
    return bad_param(field, "expected an object {{\"lat\",\"lon\",\"label\"}}, got {}",
                     it->type_name());
  QWL_RETURN_IF_ERROR(check_fields(*it, {"lat", "lon", "label"}, fmt::format("{}.", field)));
  const auto degrees = [&](std::string_view name, double limit) -> Result<double> {
    const std::string param = fmt::format("{}.{}", field, name);
    auto v = it->find(std::string(name));
    if (v == it->end() || v->is_null()) return bad_param(param, "is required");
    if (!v->is_number()) return bad_param(param, "expected a number, got {}", v->type_name());
    const double d = v->get<double>();
    if (!std::isfinite(d) || d < -limit || d > limit)
      return bad_param(param, "{} is outside [-{}, {}] degrees", d, limit, limit);
    return d;
  };
  services::RidePlace place;
  QWL_ASSIGN_OR_RETURN(place.at.lat, degrees("lat", 90));
  QWL_ASSIGN_OR_RETURN(place.at.lon, degrees("lon", 180));
  auto label = it->find("label");
  if (label != it->end() && !label->is_null()) {
    const std::string param = fmt::format("{}.label", field);
    if (!label->is_string())
      return bad_param(param, "expected a string, got {}", label->type_name());
    place.label = label->get<std::string>();
    if (place.label.size() > services::kMaxRideLabelBytes)
      return bad_param(param, "must be at most {} bytes, got {}", services::kMaxRideLabelBytes,
                       place.label.size());
  }
  return place;
}

// The start of a table booking or an availability question: in the future, at most
// kTableBookingAheadDays ahead. `param` is what the client sent the time as.
Status check_table_start(int64_t start_us, int64_t now_us, std::string_view param) {
  if (start_us <= now_us)
    return bad_param(param, "{} is not in the future (now {})", format_local(start_us),
                     format_local(now_us));
  if (start_us - now_us > services::kTableBookingAheadDays * services::kMicrosPerDay)
    return bad_param(param, "{} is more than {} days ahead", format_local(start_us),
                     services::kTableBookingAheadDays);
  return Status::Ok();
}

// A place list's local days [from, to] (inclusive; default today) from ?from=&to=.
struct DayRange {
  int64_t from_day = 0;
  int64_t to_day = 0;  // inclusive
};
Result<DayRange> day_range(const http::Request& request, const Clock& clock) {
  DayRange range;
  range.from_day = services::local_time(clock.wall_us()).day;
  if (auto from = request.query_param("from")) {
    QWL_ASSIGN_OR_RETURN(range.from_day, parse_date(*from, "from"));
  }
  range.to_day = range.from_day;
  if (auto to = request.query_param("to")) {
    QWL_ASSIGN_OR_RETURN(range.to_day, parse_date(*to, "to"));
  }
  if (range.to_day < range.from_day)
    return bad_param("to", "{} is before from {}", format_date(range.to_day),
                     format_date(range.from_day));
  if (range.to_day - range.from_day >= kMaxPlaceListDays)
    return bad_param("to", "a range is at most {} days", kMaxPlaceListDays);
  return range;
}

// ---- JSON of the services' results ---------------------------------------------------------

json list_json(json data, bool has_more) {
  return json{{"object", "list"}, {"data", std::move(data)}, {"has_more", has_more}};
}

json optional_id(int64_t id) {
  return id > 0 ? json(id) : json();
}

json table_slot_json(const services::TableSlot& slot) {
  const services::LocalTime t = services::local_time(slot.starts_at_us);
  const bool has_table = slot.table_id > 0;
  return json{{"starts_at", to_seconds(slot.starts_at_us)},
              {"ends_at", to_seconds(slot.starts_at_us + services::kTableBookingUs)},
              {"date", format_date(t.day)},
              {"time", format_time(t.minute)},
              {"state", services::table_slot_state_name(slot.state)},
              {"table_id", optional_id(slot.table_id)},
              {"table_label", has_table ? json(slot.table_label) : json()},
              {"seats", has_table ? json(slot.seats) : json()},
              {"free_tables", slot.free_tables}};
}

json table_availability_json(const services::TableAvailability& a) {
  json slots = json::array();
  for (const services::TableSlot& s : a.slots) slots.push_back(table_slot_json(s));
  json alternatives = json::array();
  for (const services::TableSlot& s : a.alternatives) alternatives.push_back(table_slot_json(s));
  return json{{"object", "availability"},
              {"type", "table"},
              {"place_id", a.poi_id},
              {"name_en", a.name_en},
              {"name_zh", a.name_zh},
              {"party_size", a.party_size},
              {"largest_table", a.largest_table},
              {"requested", table_slot_json(a.requested)},
              {"slots", std::move(slots)},
              {"alternatives", std::move(alternatives)}};
}

json table_booking_json(const services::TableBooking& b) {
  const services::LocalTime t = services::local_time(b.starts_at_us);
  return json{{"object", "table_booking"},
              {"id", b.id},
              {"user_id", b.user_id},
              {"place_id", b.poi_id},
              {"place_name_en", b.place_name_en},
              {"place_name_zh", b.place_name_zh},
              {"table_id", b.table_id},
              {"table_label", b.table_label},
              {"seats", b.seats},
              {"party_size", b.party_size},
              {"starts_at", to_seconds(b.starts_at_us)},
              {"ends_at", to_seconds(b.ends_at_us)},
              {"date", format_date(t.day)},
              {"time", format_time(t.minute)},
              {"status", b.status},
              {"contact_name", b.contact_name},
              {"note", b.note},
              {"created_at", to_seconds(b.created_at_us)},
              {"updated_at", to_seconds(b.updated_at_us)}};
}

json room_type_json(const services::RoomTypeOffer& o) {
  return json{{"object", "room_type"},      {"id", o.room_type_id},
              {"place_id", o.poi_id},       {"name_en", o.name_en},
              {"name_zh", o.name_zh},       {"beds", o.beds},
              {"max_guests", o.max_guests}, {"price_per_night", o.price_per_night},
              {"nights", o.nights},         {"total", o.total},
              {"currency", kCurrency},      {"free_rooms", o.free_rooms}};
}

json hotel_availability_json(const services::HotelAvailability& a) {
  json types = json::array();
  for (const services::RoomTypeOffer& o : a.room_types) types.push_back(room_type_json(o));
  return json{{"object", "availability"},
              {"type", "hotel"},
              {"place_id", a.poi_id},
              {"name_en", a.name_en},
              {"name_zh", a.name_zh},
              {"check_in", format_date(a.stay.check_in_day)},
              {"check_out", format_date(a.stay.check_out_day)},
              {"guests", a.stay.guests},
              {"nights", a.nights},
              {"room_types", std::move(types)}};
}

json hotel_booking_json(const services::HotelBooking& b) {
  return json{{"object", "hotel_booking"},
              {"id", b.id},
              {"user_id", b.user_id},
              {"place_id", b.poi_id},
              {"place_name_en", b.hotel_name_en},
              {"place_name_zh", b.hotel_name_zh},
              {"room_type_id", b.room_type_id},
              {"room_type_name_en", b.room_type_name_en},
              {"room_type_name_zh", b.room_type_name_zh},
              {"room_id", b.room_id},
              {"room_number", b.room_number},
              {"check_in", format_date(b.check_in_day)},
              {"check_out", format_date(b.check_out_day)},
              {"nights", b.nights},
              {"guests", b.guests},
              {"total", b.total},
              {"refunded", b.refunded},
              {"currency", kCurrency},
              {"status", b.status},
              {"created_at", to_seconds(b.created_at_us)},
              {"updated_at", to_seconds(b.updated_at_us)}};
}

json ride_place_json(const services::RidePlace& p) {
  return json{{"lat", p.at.lat}, {"lon", p.at.lon}, {"label", p.label}};
}

json ride_quote_json(const services::RideQuote& q, const services::RidePlace& from,
                     const services::RidePlace& to) {
  json options = json::array();
  for (const services::RideOption& o : q.options) {
    options.push_back(json{{"vehicle", services::ride_vehicle_name(o.vehicle)},
                           {"price", o.price},
                           {"pickup_s", o.pickup_s}});
  }
  return json{{"object", "ride_quote"},           {"from", ride_place_json(from)},
              {"to", ride_place_json(to)},        {"distance_m", q.route.distance_m},
              {"duration_s", q.route.duration_s}, {"currency", kCurrency},
              {"options", std::move(options)}};
}

json ride_json(const services::Ride& r) {
  return json{{"object", "ride"},
              {"id", r.id},
              {"user_id", r.user_id},
              {"vehicle", services::ride_vehicle_name(r.vehicle)},
              {"from", ride_place_json(r.from)},
              {"to", ride_place_json(r.to)},
              {"distance_m", r.distance_m},
              {"duration_s", r.duration_s},
              {"price", r.price},
              {"refunded", r.refunded},
              {"currency", kCurrency},
              {"status", r.status},
              {"requested_at", to_seconds(r.requested_at_us)},
              {"updated_at", to_seconds(r.updated_at_us)},
              {"next_step_at", r.next_step_at_us ? json(to_seconds(*r.next_step_at_us)) : json()}};
}

// A created booking: 201 both the first time and on a replay (the same body, as long as the
// booking has not changed since), with a header that tells the two apart.
http::Response created(const json& body, bool replayed) {
  http::Response r = json_response(body, 201);
  if (replayed) r.headers.set("Idempotent-Replayed", "true");
  return r;
}

// The first `limit` of `rows` (read as limit + 1 rows to learn whether there are more).
template <typename T, typename ToJson>
http::Response list_response(const std::vector<T>& rows, size_t limit, ToJson&& to_json) {
  json data = json::array();
  for (size_t i = 0; i < rows.size() && i < limit; ++i) data.push_back(to_json(rows[i]));
  return json_response(list_json(std::move(data), rows.size() > limit));
}

// A place's list, which the services cut at kPlaceListCap rows: a full one may have more.
template <typename T, typename ToJson>
http::Response place_list_response(const std::vector<T>& rows, ToJson&& to_json) {
  json data = json::array();
  for (const T& row : rows) data.push_back(to_json(row));
  return json_response(list_json(std::move(data), rows.size() >= kPlaceListCap));
}

// ---- the routes ----------------------------------------------------------------------------

class BookingRoutes {
 public:
  BookingRoutes(Db& db, const Clock& clock, services::RouteQuoter quoter)
      : db_(db), clock_(clock), quoter_(std::move(quoter)) {}

  // GET /api/v1/places/{id}/tables?date=&time=&party_size=&window=&alternatives=
  Result<http::Response> table_availability(http::Request& req, const Caller& caller) const {
    QWL_RETURN_IF_ERROR(check_query(req, {"date", "time", "party_size", "window", "alternatives"}));
    QWL_ASSIGN_OR_RETURN(int64_t poi_id, path_id(req, "id"));
    QWL_ASSIGN_OR_RETURN(std::string_view date, required_query(req, "date"));
    QWL_ASSIGN_OR_RETURN(int64_t day, parse_date(date, "date"));
    QWL_ASSIGN_OR_RETURN(std::string_view time, required_query(req, "time"));
    QWL_ASSIGN_OR_RETURN(int minute, parse_time(time, "time"));
    QWL_ASSIGN_OR_RETURN(int64_t party_size, query_count(req, "party_size"));
    QWL_ASSIGN_OR_RETURN(int64_t window,
                         query_int(req, "window", 120, 0, services::kMaxTableWindowMinutes));
    QWL_ASSIGN_OR_RETURN(int64_t alternatives, query_int(req, "alternatives", 3, 0, 48));
    const int64_t at_us = services::local_instant_us(day, minute);
    QWL_RETURN_IF_ERROR(check_table_start(at_us, clock_.wall_us(), day_param(at_us)));
    QWL_ASSIGN_OR_RETURN(
        services::TableAvailability a,
        services::table_availability(db_, clock_, caller.actor,
                                     {.poi_id = poi_id,
                                      .at_us = at_us,
                                      .party_size = party_size,
                                      .window_minutes = static_cast<int>(window),
                                      .max_alternatives = static_cast<int>(alternatives)}));
    return json_response(table_availability_json(a));
  }

  // POST /api/v1/bookings/tables
  // {"place_id", "date" + "time" | "starts_at", "party_size", "contact_name"?, "note"?}
  Result<http::Response> book_table(http::Request& req, const Caller& caller) const {
    QWL_ASSIGN_OR_RETURN(json body, parse_json_body(req));
    QWL_RETURN_IF_ERROR(check_fields(
        body, {"place_id", "date", "time", "starts_at", "party_size", "contact_name", "note"}));
    services::TableBookingRequest request;
    QWL_ASSIGN_OR_RETURN(request.poi_id, required_id(body, "place_id"));
    QWL_ASSIGN_OR_RETURN(request.starts_at_us, table_start(body));
    QWL_ASSIGN_OR_RETURN(request.party_size, required_count(body, "party_size"));
    QWL_ASSIGN_OR_RETURN(request.contact_name,
                         optional_text(body, "contact_name", services::kMaxBookingTextBytes));
    QWL_ASSIGN_OR_RETURN(request.note, optional_text(body, "note", services::kMaxBookingTextBytes));
    request.idempotency_key = caller.idempotency_key;
    QWL_ASSIGN_OR_RETURN(services::TableBookingResult result,
                         services::book_table(db_, clock_, caller.actor, request));
    return created(table_booking_json(result.booking), result.replayed);
  }

  // GET /api/v1/bookings/tables?limit=
  Result<http::Response> list_table_bookings(http::Request& req, const Caller& caller) const {
    QWL_RETURN_IF_ERROR(check_query(req, {"limit"}));
    QWL_ASSIGN_OR_RETURN(int64_t limit,
                         query_int(req, "limit", kDefaultListLimit, 1, kMaxListLimit));
    QWL_ASSIGN_OR_RETURN(std::vector<services::TableBooking> rows,
                         services::list_my_table_bookings(db_, caller.actor, limit + 1));
    return list_response(rows, static_cast<size_t>(limit), table_booking_json);
  }

  // GET /api/v1/bookings/tables/{id}
  Result<http::Response> get_table_booking(http::Request& req, const Caller& caller) const {
    QWL_RETURN_IF_ERROR(check_query(req, {}));
    QWL_ASSIGN_OR_RETURN(int64_t id, path_id(req, "id"));
    QWL_ASSIGN_OR_RETURN(services::TableBooking b,
                         services::get_table_booking(db_, caller.actor, id));
    return json_response(table_booking_json(b));
  }

  // POST /api/v1/bookings/tables/{id}/cancel
  Result<http::Response> cancel_table_booking(http::Request& req, const Caller& caller) const {
    QWL_ASSIGN_OR_RETURN(int64_t id, path_id(req, "id"));
    QWL_ASSIGN_OR_RETURN(json body, body_or_empty(req));
    QWL_RETURN_IF_ERROR(check_fields(body, {}));
    QWL_ASSIGN_OR_RETURN(services::TableBooking b,
                         services::cancel_table_booking(db_, clock_, caller.actor, id));
    return json_response(table_booking_json(b));
  }

  // GET /api/v1/places/{id}/table-bookings?from=&to=
  Result<http::Response> place_table_bookings(http::Request& req, const Caller& caller) const {
    QWL_RETURN_IF_ERROR(check_query(req, {"from", "to"}));
    QWL_ASSIGN_OR_RETURN(int64_t poi_id, path_id(req, "id"));
    QWL_ASSIGN_OR_RETURN(DayRange range, day_range(req, clock_));
    QWL_ASSIGN_OR_RETURN(
        std::vector<services::TableBooking> rows,
        services::list_place_table_bookings(db_, caller.actor, poi_id,
                                            services::local_instant_us(range.from_day, 0),
                                            services::local_instant_us(range.to_day + 1, 0)));
    return place_list_response(rows, table_booking_json);
  }

  // GET /api/v1/places/{id}/rooms?check_in=&check_out=&guests=
  Result<http::Response> hotel_availability(http::Request& req, const Caller& caller) const {
    QWL_RETURN_IF_ERROR(check_query(req, {"check_in", "check_out", "guests"}));
    QWL_ASSIGN_OR_RETURN(int64_t poi_id, path_id(req, "id"));
    services::HotelStay stay;
    QWL_ASSIGN_OR_RETURN(std::string_view check_in, required_query(req, "check_in"));
    QWL_ASSIGN_OR_RETURN(stay.check_in_day, parse_date(check_in, "check_in"));
    QWL_ASSIGN_OR_RETURN(std::string_view check_out, required_query(req, "check_out"));
    QWL_ASSIGN_OR_RETURN(stay.check_out_day, parse_date(check_out, "check_out"));
    QWL_ASSIGN_OR_RETURN(stay.guests, query_count(req, "guests"));
    QWL_RETURN_IF_ERROR(check_stay_dates(stay));
    QWL_ASSIGN_OR_RETURN(services::HotelAvailability a,
                         services::hotel_availability(db_, clock_, caller.actor, poi_id, stay));
    return json_response(hotel_availability_json(a));
  }

  // POST /api/v1/bookings/hotels
  // {"room_type_id", "check_in", "check_out", "guests", "expected_total"}
  Result<http::Response> book_hotel(http::Request& req, const Caller& caller) const {
    QWL_ASSIGN_OR_RETURN(json body, parse_json_body(req));
    QWL_RETURN_IF_ERROR(
        check_fields(body, {"room_type_id", "check_in", "check_out", "guests", "expected_total"}));
    services::HotelBookingRequest request;
    QWL_ASSIGN_OR_RETURN(request.room_type_id, required_id(body, "room_type_id"));
    QWL_ASSIGN_OR_RETURN(std::string check_in, required_string(body, "check_in"));
    QWL_ASSIGN_OR_RETURN(request.stay.check_in_day, parse_date(check_in, "check_in"));
    QWL_ASSIGN_OR_RETURN(std::string check_out, required_string(body, "check_out"));
    QWL_ASSIGN_OR_RETURN(request.stay.check_out_day, parse_date(check_out, "check_out"));
    QWL_ASSIGN_OR_RETURN(request.stay.guests, required_count(body, "guests"));
    QWL_RETURN_IF_ERROR(check_stay_dates(request.stay));
    QWL_ASSIGN_OR_RETURN(request.expected_total, required_amount(body, "expected_total"));
    request.idempotency_key = caller.idempotency_key;
    QWL_ASSIGN_OR_RETURN(services::HotelBookingResult result,
                         services::book_hotel(db_, clock_, caller.actor, request));
    return created(hotel_booking_json(result.booking), result.replayed);
  }

  // GET /api/v1/bookings/hotels?limit=
  Result<http::Response> list_hotel_bookings(http::Request& req, const Caller& caller) const {
    QWL_RETURN_IF_ERROR(check_query(req, {"limit"}));
    QWL_ASSIGN_OR_RETURN(int64_t limit,
                         query_int(req, "limit", kDefaultListLimit, 1, kMaxListLimit));
    QWL_ASSIGN_OR_RETURN(std::vector<services::HotelBooking> rows,
                         services::list_my_hotel_bookings(db_, caller.actor, limit + 1));
    return list_response(rows, static_cast<size_t>(limit), hotel_booking_json);
  }

  // GET /api/v1/bookings/hotels/{id}
  Result<http::Response> get_hotel_booking(http::Request& req, const Caller& caller) const {
    QWL_RETURN_IF_ERROR(check_query(req, {}));
    QWL_ASSIGN_OR_RETURN(int64_t id, path_id(req, "id"));
    QWL_ASSIGN_OR_RETURN(services::HotelBooking b,
                         services::get_hotel_booking(db_, caller.actor, id));
    return json_response(hotel_booking_json(b));
  }

  // POST /api/v1/bookings/hotels/{id}/cancel
  Result<http::Response> cancel_hotel_booking(http::Request& req, const Caller& caller) const {
    QWL_ASSIGN_OR_RETURN(int64_t id, path_id(req, "id"));
    QWL_ASSIGN_OR_RETURN(json body, body_or_empty(req));
    QWL_RETURN_IF_ERROR(check_fields(body, {}));
    QWL_ASSIGN_OR_RETURN(services::HotelBooking b,
                         services::cancel_hotel_booking(db_, clock_, caller.actor, id));
    return json_response(hotel_booking_json(b));
  }

  // GET /api/v1/places/{id}/hotel-bookings?from=&to=
  Result<http::Response> place_hotel_bookings(http::Request& req, const Caller& caller) const {
    QWL_RETURN_IF_ERROR(check_query(req, {"from", "to"}));
    QWL_ASSIGN_OR_RETURN(int64_t poi_id, path_id(req, "id"));
    QWL_ASSIGN_OR_RETURN(DayRange range, day_range(req, clock_));
    QWL_ASSIGN_OR_RETURN(std::vector<services::HotelBooking> rows,
                         services::list_place_hotel_bookings(db_, caller.actor, poi_id,
                                                             range.from_day, range.to_day + 1));
    return place_list_response(rows, hotel_booking_json);
  }

  // POST /api/v1/rides/quote {"from", "to"}
  Result<http::Response> quote_ride(http::Request& req, const Caller& caller) const {
    QWL_ASSIGN_OR_RETURN(json body, parse_json_body(req));
    QWL_RETURN_IF_ERROR(check_fields(body, {"from", "to"}));
    QWL_ASSIGN_OR_RETURN(services::RidePlace from, ride_place(body, "from"));
    QWL_ASSIGN_OR_RETURN(services::RidePlace to, ride_place(body, "to"));
    QWL_ASSIGN_OR_RETURN(services::RideQuote quote,
                         services::quote_ride(quoter_, caller.actor, from, to));
    return json_response(ride_quote_json(quote, from, to));
  }

  // POST /api/v1/rides {"from", "to", "vehicle", "expected_price"}
  Result<http::Response> request_ride(http::Request& req, const Caller& caller) const {
    QWL_ASSIGN_OR_RETURN(json body, parse_json_body(req));
    QWL_RETURN_IF_ERROR(check_fields(body, {"from", "to", "vehicle", "expected_price"}));
    services::RideRequest request;
    QWL_ASSIGN_OR_RETURN(request.from, ride_place(body, "from"));
    QWL_ASSIGN_OR_RETURN(request.to, ride_place(body, "to"));
    QWL_ASSIGN_OR_RETURN(std::string vehicle, required_string(body, "vehicle"));
    const std::optional<services::RideVehicle> parsed = services::parse_ride_vehicle(vehicle);
    if (!parsed)
      return bad_param("vehicle", "'{}' is not one of economy, comfort, xl", shown(vehicle));
    request.vehicle = *parsed;
    QWL_ASSIGN_OR_RETURN(request.expected_price, required_amount(body, "expected_price"));
    request.idempotency_key = caller.idempotency_key;
    QWL_ASSIGN_OR_RETURN(services::RideResult result,
                         services::request_ride(db_, clock_, quoter_, caller.actor, request));
    return created(ride_json(result.ride), result.replayed);
  }

  // GET /api/v1/rides?limit=
  Result<http::Response> list_rides(http::Request& req, const Caller& caller) const {
    QWL_RETURN_IF_ERROR(check_query(req, {"limit"}));
    QWL_ASSIGN_OR_RETURN(int64_t limit,
                         query_int(req, "limit", kDefaultListLimit, 1, kMaxListLimit));
    QWL_ASSIGN_OR_RETURN(std::vector<services::Ride> rows,
                         services::list_my_rides(db_, caller.actor, limit + 1));
    return list_response(rows, static_cast<size_t>(limit), ride_json);
  }

  // GET /api/v1/rides/{id}
  Result<http::Response> get_ride(http::Request& req, const Caller& caller) const {
    QWL_RETURN_IF_ERROR(check_query(req, {}));
    QWL_ASSIGN_OR_RETURN(int64_t id, path_id(req, "id"));
    QWL_ASSIGN_OR_RETURN(services::Ride ride, services::get_ride(db_, caller.actor, id));
    return json_response(ride_json(ride));
  }

  // POST /api/v1/rides/{id}/cancel
  Result<http::Response> cancel_ride(http::Request& req, const Caller& caller) const {
    QWL_ASSIGN_OR_RETURN(int64_t id, path_id(req, "id"));
    QWL_ASSIGN_OR_RETURN(json body, body_or_empty(req));
    QWL_RETURN_IF_ERROR(check_fields(body, {}));
    QWL_ASSIGN_OR_RETURN(services::Ride ride, services::cancel_ride(db_, clock_, caller.actor, id));
    return json_response(ride_json(ride));
  }

 private:
  // Which parameter a bad local start time is about: the date when it is not today's.
  std::string_view day_param(int64_t start_us) const {
    return services::local_time(start_us).day == services::local_time(clock_.wall_us()).day
               ? "time"
               : "date";
  }

  // A table booking's start: "date" + "time" (local, as a user says it) or "starts_at" (Unix
  // seconds, as availability lists it), exactly one of the two; in the future, on the grid.
  Result<int64_t> table_start(const json& body) const {
    const int64_t now_us = clock_.wall_us();
    QWL_ASSIGN_OR_RETURN(std::optional<int64_t> starts_at, optional_int(body, "starts_at"));
    QWL_ASSIGN_OR_RETURN(std::optional<std::string> date, optional_string(body, "date"));
    QWL_ASSIGN_OR_RETURN(std::optional<std::string> time, optional_string(body, "time"));
    int64_t start_us = 0;
    std::string_view param = "starts_at";
    if (starts_at) {
      if (date || time)
        return bad_param("starts_at", "give either starts_at or date and time, not both");
      // Checked in seconds first so that the conversion to microseconds cannot overflow.
      const int64_t now_s = to_seconds(now_us);
      const int64_t ahead_s = services::kTableBookingAheadDays * kSecondsPerDay;
      if (*starts_at <= now_s || *starts_at - now_s > ahead_s)
        return bad_param("starts_at", "{} is not within the next {} days (now {})", *starts_at,
                         services::kTableBookingAheadDays, now_s);
      start_us = *starts_at * kMicrosPerSecond;
    } else {
      if (!date) return bad_param("date", "is required (or starts_at)");
      if (!time) return bad_param("time", "is required (or starts_at)");
      QWL_ASSIGN_OR_RETURN(int64_t day, parse_date(*date, "date"));
      QWL_ASSIGN_OR_RETURN(int minute, parse_time(*time, "time"));
      start_us = services::local_instant_us(day, minute);
      param = day_param(start_us);
    }
    QWL_RETURN_IF_ERROR(check_table_start(start_us, now_us, param));
    if (start_us % services::kTableSlotUs != 0) {
      const std::string_view grid_param = starts_at ? "starts_at" : "time";
      return bad_param(grid_param, "{} is not on the {}-minute grid (book at :00 or :30)",
                       format_local(start_us), services::kTableSlotMinutes);
    }
    return start_us;
  }

  // The checks of a stay that need no clock, with the API's names (the services check the
  // rest: check-in not before today and at most a year ahead).
  static Status check_stay_dates(const services::HotelStay& stay) {
    if (stay.check_out_day <= stay.check_in_day)
      return bad_param("check_out", "{} must be after check_in {}", format_date(stay.check_out_day),
                       format_date(stay.check_in_day));
    if (stay.check_out_day - stay.check_in_day > services::kMaxHotelNights)
      return bad_param("check_out", "a stay is at most {} nights, got {}",
                       services::kMaxHotelNights, stay.check_out_day - stay.check_in_day);
    return Status::Ok();
  }

  Db& db_;
  const Clock& clock_;
  const services::RouteQuoter quoter_;
};

}  // namespace

Status add_booking_routes(AppApi& api, Db& db, const Clock& clock, services::RouteQuoter quoter) {
  using http::Method;
  using Member = Result<http::Response> (BookingRoutes::*)(http::Request&, const Caller&) const;
  struct Entry {
    Method method;
    std::string_view pattern;
    Member member;
    bool place_managers_only = false;  // the place's merchant owner (the service checks) or admins
  };
  static constexpr Entry kRoutes[] = {
      {Method::kGet, "/api/v1/places/{id}/tables", &BookingRoutes::table_availability},
      {Method::kPost, "/api/v1/bookings/tables", &BookingRoutes::book_table},
      {Method::kGet, "/api/v1/bookings/tables", &BookingRoutes::list_table_bookings},
      {Method::kGet, "/api/v1/bookings/tables/{id}", &BookingRoutes::get_table_booking},
      {Method::kPost, "/api/v1/bookings/tables/{id}/cancel", &BookingRoutes::cancel_table_booking},
      {Method::kGet, "/api/v1/places/{id}/table-bookings", &BookingRoutes::place_table_bookings,
       true},
      {Method::kGet, "/api/v1/places/{id}/rooms", &BookingRoutes::hotel_availability},
      {Method::kPost, "/api/v1/bookings/hotels", &BookingRoutes::book_hotel},
      {Method::kGet, "/api/v1/bookings/hotels", &BookingRoutes::list_hotel_bookings},
      {Method::kGet, "/api/v1/bookings/hotels/{id}", &BookingRoutes::get_hotel_booking},
      {Method::kPost, "/api/v1/bookings/hotels/{id}/cancel", &BookingRoutes::cancel_hotel_booking},
      {Method::kGet, "/api/v1/places/{id}/hotel-bookings", &BookingRoutes::place_hotel_bookings,
       true},
      {Method::kPost, "/api/v1/rides/quote", &BookingRoutes::quote_ride},
      {Method::kPost, "/api/v1/rides", &BookingRoutes::request_ride},
      {Method::kGet, "/api/v1/rides", &BookingRoutes::list_rides},
      {Method::kGet, "/api/v1/rides/{id}", &BookingRoutes::get_ride},
      {Method::kPost, "/api/v1/rides/{id}/cancel", &BookingRoutes::cancel_ride},
  };
  // Shared by every handler: the handlers are copied into the server's route table.
  auto routes = std::make_shared<const BookingRoutes>(db, clock, std::move(quoter));
  for (const Entry& e : kRoutes) {
    AppRouteOptions options{.max_body_bytes = kMaxBodyBytes};
    if (e.place_managers_only) options.roles = {Role::kMerchant, Role::kAdmin};
    QWL_RETURN_IF_ERROR(api.add_route(
        e.method, e.pattern,
        [routes, member = e.member](http::Request& req, const Caller& caller)
            -> Result<http::Response> { return with_param(((*routes).*member)(req, caller)); },
        std::move(options)));
  }
  return Status::Ok();
}

}  // namespace qwl::app
