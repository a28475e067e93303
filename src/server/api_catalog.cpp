// The catalog routes of the app API (api_catalog.h): search reads the query string into a
// services::SearchQuery and maps the hits to JSON; a product, a merchant and a menu are read
// from the database in one read transaction each (the menu through merchant_admin.h's public
// get_menu()). The rules of matching and ranking are the search service's; this file adds the
// API's names, units (fen with a currency, ratings with one decimal, Unix seconds) and errors,
// and checks every parameter itself first, so that a 400 names the parameter the client sent
// rather than the service's field.
//
// Also here: the query-string readers that api_maps.cpp shares (api_query in the header).
#include "server/api_catalog.h"

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <limits>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "server/http_error.h"
#include "services/city_time.h"
#include "services/merchant_admin.h"

namespace qwl::app {

// ---- api_query -----------------------------------------------------------------------------

namespace api_query {
namespace {

bool is_param_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
         c == '.' || c == '-';
}

size_t param_length(std::string_view text) {
  size_t n = 0;
  while (n < text.size() && is_param_char(text[n])) ++n;
  return n;
}

// The services' field names in their InvalidArgument messages ("search: filters.min_price -1 is
// negative", "nearby: radius_m ...") and the API parameter each one comes from.
constexpr std::array<std::pair<std::string_view, std::string_view>, 20> kServiceFields = {{
    {"filters.min_price", "min_price"},
    {"filters.max_price", "max_price"},
    {"filters.min_rating_x10", "min_rating"},
    {"filters.category_id", "category"},
    {"filters.brand_id", "brand"},
    {"filters.merchant_id", "merchant"},
    {"filters.attributes", "attr"},
    {"filters.merchant_kind", "kind"},
    {"filters.max_distance_m", "radius"},
    {"filters.open_now", "open_now"},
    {"text", "q"},
    {"limit", "limit"},
    {"offset", "offset"},
    {"lat", "lat"},
    {"lon", "lon"},
    {"sort", "sort"},
    {"kind", "type"},
    {"radius_m", "radius"},
    {"kinds", "kind"},
    {"min_rating_x10", "min_rating"},
}};

// Prefixes the services put before their field names.
constexpr std::array<std::string_view, 4> kServicePrefixes = {"search", "nearby", "geocode",
                                                              "place name"};

}  // namespace

Status check_query(const http::Request& request, std::initializer_list<std::string_view> known,
                   std::string_view prefix) {
  for (size_t i = 0; i < request.query.size(); ++i) {
    const std::string& name = request.query[i].first;
    const bool listed = std::find(known.begin(), known.end(), name) != known.end() ||
                        (!prefix.empty() && name.starts_with(prefix));
    if (!listed) {
      std::string accepted;
      for (std::string_view k : known) accepted += (accepted.empty() ? "" : ", ") + std::string(k);
      if (!prefix.empty()) accepted += fmt::format(", {}<name>", prefix);
      return bad_param(shown(name), "unknown query parameter (accepted: {})", accepted);
    }
    for (size_t j = 0; j < i; ++j) {
      if (request.query[j].first == name) return bad_param(shown(name), "is given more than once");
    }
  }
  return Status::Ok();
}

Result<bool> query_bool(const http::Request& request, std::string_view name, bool fallback) {
  const std::optional<std::string_view> text = request.query_param(name);
  if (!text) return fallback;
  if (*text == "true" || *text == "1") return true;
  if (*text == "false" || *text == "0") return false;
  return bad_param(name, "'{}' is not true or false", shown(*text));
}

Result<std::optional<double>> query_double(const http::Request& request, std::string_view name,
                                           double min, double max) {
  const std::optional<std::string_view> text = request.query_param(name);
  if (!text) return std::optional<double>();
  double v = 0;
  const auto [end, ec] = std::from_chars(text->data(), text->data() + text->size(), v);
  if (text->empty() || ec != std::errc() || end != text->data() + text->size() || !std::isfinite(v))
    return bad_param(name, "'{}' is not a number", shown(*text));
  if (v < min || v > max) return bad_param(name, "{} is outside [{}, {}]", v, min, max);
  return std::optional<double>(v);
}

Result<std::optional<std::pair<double, double>>> query_lat_lon(const http::Request& request,
                                                               bool required) {
  QWL_ASSIGN_OR_RETURN(std::optional<double> lat, query_double(request, "lat", -90, 90));
  QWL_ASSIGN_OR_RETURN(std::optional<double> lon, query_double(request, "lon", -180, 180));
  if (lat && !lon) return bad_param("lon", "is required with lat");
  if (lon && !lat) return bad_param("lat", "is required with lon");
  if (!lat) {
    if (required) return bad_param("lat", "is required (with lon)");
    return std::optional<std::pair<double, double>>();
  }
  return std::optional<std::pair<double, double>>(std::pair(*lat, *lon));
}

Result<std::optional<int64_t>> query_rating_x10(const http::Request& request,
                                                std::string_view name) {
  QWL_ASSIGN_OR_RETURN(std::optional<double> rating, query_double(request, name, 0, 5));
  if (!rating) return std::optional<int64_t>();
  const double tenths = *rating * 10;
  const double rounded = std::round(tenths);
  if (std::fabs(tenths - rounded) > 1e-6)
    return bad_param(name, "{} has more than one decimal (ratings go 0.0 to 5.0 by 0.1)", *rating);
  return std::optional<int64_t>(static_cast<int64_t>(rounded));
}

std::string param_of(std::string_view message) {
  std::string_view rest = message;
  for (std::string_view prefix : kServicePrefixes) {
    if (rest.starts_with(prefix) && rest.substr(prefix.size()).starts_with(": ")) {
      rest.remove_prefix(prefix.size() + 2);
      const std::string_view field = rest.substr(0, param_length(rest));
      for (const auto& [name, param] : kServiceFields) {
        if (field == name) return std::string(param);
      }
      return "";
    }
  }
  const size_t n = param_length(rest);
  if (n > 0 && n < rest.size() && rest[n] == ':') return std::string(rest.substr(0, n));
  return "";
}

Result<http::Response> with_param(Result<http::Response> response) {
  if (response.ok()) return response;
  const Status& status = response.status();
  if (status.code() != StatusCode::kInvalidArgument && status.code() != StatusCode::kNotFound)
    return response;
  const std::string param = param_of(status.message());
  if (status.code() == StatusCode::kNotFound && param.empty()) return response;
  return http::error_response(status, param, error_code_for(status.code()));
}

}  // namespace api_query

namespace {

using nlohmann::json;
using namespace api_query;

constexpr std::string_view kCurrency = "CNY";
constexpr int64_t kMicrosPerSecond = 1'000'000;
// Prices in a query: at most ¥10 billion, far above any real price, so sums never overflow.
constexpr int64_t kMaxQueryPrice = 1'000'000'000'000;
constexpr size_t kMaxAttributeFilters = 10;
constexpr size_t kMaxAttributeBytes = 64;
constexpr int64_t kMaxSearchRadiusM = 50'000;
constexpr int kMaxCategoryDepth = 16;  // a parent chain longer than this is treated as a cycle

constexpr std::array<std::string_view, 6> kMerchantKinds = {"cafe",        "tea",      "restaurant",
                                                            "supermarket", "pharmacy", "shop"};
constexpr std::array<std::string_view, 7> kWeekdays = {
    "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"};

int64_t to_seconds(int64_t us) {
  return us >= 0 ? us / kMicrosPerSecond : -((-us + kMicrosPerSecond - 1) / kMicrosPerSecond);
}

// 45 -> 4.5: the API's ratings are numbers with one decimal.
json rating_json(int64_t rating_x10) {
  return json(static_cast<double>(rating_x10) / 10.0);
}

json optional_json(const std::optional<int64_t>& v) {
  return v ? json(*v) : json();
}

double real_of(const Value& v) {
  return v.type() == Value::Type::kInt64 ? static_cast<double>(v.int64()) : v.real();
}

std::string hhmm(int64_t minute) {
  return fmt::format("{:02}:{:02}", minute / 60, minute % 60);
}

std::string lower_ascii(std::string_view text) {
  std::string out(text);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

std::optional<int64_t> parse_id(std::string_view text) {
  int64_t v = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size() || v <= 0)
    return std::nullopt;
  return v;
}

json list_json(json data, bool has_more) {
  return json{{"object", "list"}, {"data", std::move(data)}, {"has_more", has_more}};
}

// ---- JSON of search hits -------------------------------------------------------------------

json merchant_ref_json(int64_t id, const std::string& name_en, const std::string& name_zh,
                       const std::string& kind) {
  return json{{"object", "merchant"},
              {"id", id},
              {"name_en", name_en},
              {"name_zh", name_zh},
              {"kind", kind}};
}

json hit_common(const services::SearchHit& h, std::string_view object) {
  return json{{"object", object},
              {"id", h.id},
              {"name_en", h.name_en},
              {"name_zh", h.name_zh},
              {"price", optional_json(h.price)},
              {"currency", kCurrency},
              {"rating", rating_json(h.rating_x10)},
              {"sales", h.sales},
              {"distance_m", optional_json(h.distance_m)},
              {"open_now", h.open_now ? json(*h.open_now) : json()},
              // Relevance is a ranking aid, not a contract: three decimals are plenty.
              {"score", std::round(h.score * 1000) / 1000}};
}

json product_hit_json(const services::SearchHit& h) {
  json j = hit_common(h, "product");
  j["review_count"] = h.review_count;
  j["in_stock"] = h.in_stock;
  j["category_id"] = h.category_id;
  j["brand_id"] = optional_json(h.brand_id);
  j["merchant"] =
      merchant_ref_json(h.merchant_id, h.merchant_name_en, h.merchant_name_zh, h.merchant_kind);
  return j;
}

json merchant_hit_json(const services::SearchHit& h) {
  json j = hit_common(h, "merchant");
  j["kind"] = h.merchant_kind;
  json items = json::array();
  for (const services::MatchedItem& m : h.matched_items) {
    items.push_back(json{{"object", "menu_item"},
                         {"id", m.id},
                         {"name_en", m.name_en},
                         {"name_zh", m.name_zh},
                         {"price", m.price},
                         {"currency", kCurrency},
                         {"sold_out", m.sold_out}});
  }
  j["matched_items"] = std::move(items);
  return j;
}

// ---- JSON of menus -------------------------------------------------------------------------

json menu_item_json(const services::MenuItem& item) {
  json groups = json::array();
  for (const services::MenuOptionGroup& g : item.groups) {
    json options = json::array();
    for (const services::MenuOption& o : g.options) {
      options.push_back(json{{"object", "menu_option"},
                             {"id", o.id},
                             {"name_en", o.name_en},
                             {"name_zh", o.name_zh},
                             {"price_delta", o.price_delta},
                             {"is_default", o.is_default}});
    }
    groups.push_back(json{{"object", "menu_option_group"},
                          {"id", g.id},
                          {"key", g.key},
                          {"name_en", g.name_en},
                          {"name_zh", g.name_zh},
                          {"min_choices", g.min_choices},
                          {"max_choices", g.max_choices},
                          {"required", g.min_choices > 0},
                          {"options", std::move(options)}});
  }
  return json{{"object", "menu_item"},
              {"id", item.id},
              {"merchant_id", item.merchant_id},
              {"category_en", item.category_en},
              {"category_zh", item.category_zh},
              {"name_en", item.name_en},
              {"name_zh", item.name_zh},
              {"description_en", item.description_en},
              {"description_zh", item.description_zh},
              {"price", item.price},
              {"currency", kCurrency},
              {"available", item.available},
              {"stock", optional_json(item.stock)},
              {"sold_out", item.stock.has_value() && *item.stock == 0},
              {"sales", item.sales},
              {"updated_at", to_seconds(item.updated_at_us)},
              {"option_groups", std::move(groups)}};
}

// ---- reads ---------------------------------------------------------------------------------

// A product with everything its page shows, or NotFound (also for a delisted product that the
// actor does not manage).
Result<json> read_product(Tx& tx, const services::Actor& actor, int64_t id) {
  QWL_ASSIGN_OR_RETURN(
      Rows rows,
      tx.query("SELECT p.merchant_id, p.category_id, p.brand_id, p.name_en, p.name_zh, "
               "p.description_en, p.description_zh, p.rating_x10, p.review_count, p.sales, "
               "p.listed, p.created_at_us, p.updated_at_us, m.name_en, m.name_zh, m.kind, "
               "m.owner_user_id, b.name_en, b.name_zh "
               "FROM products p JOIN merchants m ON m.id = p.merchant_id "
               "LEFT JOIN brands b ON b.id = p.brand_id WHERE p.id = ?",
               {id}));
  if (rows.empty()) return NotFoundError("product {} not found", id);
  const Row& r = rows[0];
  const bool listed = r.int64(10) != 0;
  const int64_t owner = r.is_null(16) ? 0 : r.int64(16);
  if (!listed && !actor.is_admin() && (owner == 0 || owner != actor.user_id))
    return NotFoundError("product {} not found", id);

  QWL_ASSIGN_OR_RETURN(Rows variants, tx.query("SELECT id, sku, name_en, name_zh, price, stock "
                                               "FROM product_variants WHERE product_id = ? "
                                               "ORDER BY id",
                                               {id}));
  std::optional<int64_t> price;
  bool in_stock = false;
  json variants_json = json::array();
  for (const Row& v : variants) {
    const int64_t p = v.int64(4), stock = v.int64(5);
    price = price ? std::min(*price, p) : p;
    in_stock = in_stock || stock > 0;
    variants_json.push_back(json{{"object", "product_variant"},
                                 {"id", v.int64(0)},
                                 {"sku", v.text(1)},
                                 {"name_en", v.text(2)},
                                 {"name_zh", v.text(3)},
                                 {"price", p},
                                 {"currency", kCurrency},
                                 {"stock", stock},
                                 {"in_stock", stock > 0}});
  }
  QWL_ASSIGN_OR_RETURN(Rows attributes, tx.query("SELECT name, value FROM product_attributes "
                                                 "WHERE product_id = ? ORDER BY name",
                                                 {id}));
  json attributes_json = json::object();
  for (const Row& a : attributes) attributes_json[a.text(0)] = a.text(1);

  // The category and its parents, root first.
  json path = json::array();
  for (int64_t category = r.int64(1), depth = 0; category != 0 && depth < kMaxCategoryDepth;
       ++depth) {
    QWL_ASSIGN_OR_RETURN(Rows c, tx.query("SELECT parent_id, name_en, name_zh FROM categories "
                                          "WHERE id = ?",
                                          {category}));
    if (c.empty()) break;
    path.insert(path.begin(), json{{"object", "category"},
                                   {"id", category},
                                   {"name_en", c[0].text(1)},
                                   {"name_zh", c[0].text(2)}});
    category = c[0].is_null(0) ? 0 : c[0].int64(0);
  }
  json category = path.empty() ? json() : path.back();

  json brand;
  if (!r.is_null(2)) {
    brand = json{{"object", "brand"},
                 {"id", r.int64(2)},
                 {"name_en", r.is_null(17) ? "" : r.text(17)},
                 {"name_zh", r.is_null(18) ? "" : r.text(18)}};
  }
  return json{{"object", "product"},
              {"id", id},
              {"name_en", r.text(3)},
              {"name_zh", r.text(4)},
              {"description_en", r.text(5)},
              {"description_zh", r.text(6)},
              {"price", optional_json(price)},
              {"currency", kCurrency},
              {"in_stock", in_stock},
              {"rating", rating_json(r.int64(7))},
              {"review_count", r.int64(8)},
              {"sales", r.int64(9)},
              {"listed", listed},
              {"category", std::move(category)},
              {"category_path", std::move(path)},
              {"brand", std::move(brand)},
              {"merchant", merchant_ref_json(r.int64(0), r.text(13), r.text(14), r.text(15))},
              {"attributes", std::move(attributes_json)},
              {"variants", std::move(variants_json)},
              {"created_at", to_seconds(r.int64(11))},
              {"updated_at", to_seconds(r.int64(12))}};
}

// A merchant with its place, opening hours and whether it takes orders now.
Result<json> read_merchant(Tx& tx, int64_t id, int64_t now_us) {
  QWL_ASSIGN_OR_RETURN(
      Rows rows,
      tx.query("SELECT m.poi_id, m.kind, m.name_en, m.name_zh, m.description_en, m.description_zh, "
               "m.prep_minutes, m.delivery_fee, m.min_order, m.delivery_radius_m, m.rating_x10, "
               "m.sales, m.accepting, m.created_at_us, p.lat, p.lon, p.address_en, p.address_zh, "
               "p.phone, p.review_count "
               "FROM merchants m LEFT JOIN pois p ON p.id = m.poi_id WHERE m.id = ?",
               {id}));
  if (rows.empty()) return NotFoundError("merchant {} not found", id);
  const Row& r = rows[0];
  const bool has_place = !r.is_null(0) && !r.is_null(14);
  const int64_t poi_id = has_place ? r.int64(0) : 0;
  const bool accepting = r.int64(12) != 0;

  json hours = json::array();
  bool open_by_hours = true;  // an online shop keeps no hours
  if (has_place) {
    QWL_ASSIGN_OR_RETURN(Rows h, tx.query("SELECT weekday, open_min, close_min FROM poi_hours "
                                          "WHERE poi_id = ? ORDER BY weekday, open_min",
                                          {poi_id}));
    for (const Row& row : h) {
      const int64_t weekday = row.int64(0), open = row.int64(1), close = row.int64(2);
      hours.push_back(json{{"weekday", kWeekdays[static_cast<size_t>(weekday % 7)]},
                           {"open", hhmm(open)},
                           {"close", hhmm(close % 1440)},
                           {"closes_next_day", close >= 1440}});
    }
    QWL_ASSIGN_OR_RETURN(open_by_hours, services::is_open(tx, poi_id, now_us));
  }
  QWL_ASSIGN_OR_RETURN(int64_t items, tx.query_int64("SELECT COUNT(*) FROM menu_items WHERE "
                                                     "merchant_id = ? AND available",
                                                     {id}));
  QWL_ASSIGN_OR_RETURN(int64_t products, tx.query_int64("SELECT COUNT(*) FROM products WHERE "
                                                        "merchant_id = ? AND listed",
                                                        {id}));
  json location;
  if (has_place) location = json{{"lat", real_of(r[14])}, {"lon", real_of(r[15])}};
  return json{{"object", "merchant"},
              {"id", id},
              {"name_en", r.text(2)},
              {"name_zh", r.text(3)},
              {"kind", r.text(1)},
              {"description_en", r.text(4)},
              {"description_zh", r.text(5)},
              {"rating", rating_json(r.int64(10))},
              {"review_count", has_place && !r.is_null(19) ? json(r.int64(19)) : json(0)},
              {"sales", r.int64(11)},
              {"place_id", has_place ? json(poi_id) : json()},
              {"location", std::move(location)},
              {"address_en", has_place ? json(r.text(16)) : json("")},
              {"address_zh", has_place ? json(r.text(17)) : json("")},
              {"phone", has_place ? json(r.text(18)) : json("")},
              {"accepting_orders", accepting},
              {"open_now", accepting && open_by_hours},
              {"always_open", has_place && hours.empty()},
              {"opening_hours", std::move(hours)},
              {"prep_minutes", r.int64(6)},
              {"delivery_fee", r.int64(7)},
              {"min_order", r.int64(8)},
              {"currency", kCurrency},
              {"delivery_radius_m", r.int64(9)},
              {"menu_item_count", items},
              {"product_count", products},
              {"created_at", to_seconds(r.int64(13))}};
}

// ?category= / ?brand=: an id, or a name in either language (English ASCII case-insensitive),
// the lowest id when several share it. InvalidArgument naming `param` when there is none.
Result<int64_t> resolve_named(Db& db, std::string_view table, std::string_view param,
                              std::string_view text) {
  if (text.empty()) return bad_param(param, "is empty");
  int64_t id = 0;
  const std::optional<int64_t> numeric = parse_id(text);
  QWL_RETURN_IF_ERROR(db.read([&](Tx& tx) -> Status {
    id = 0;
    if (numeric) {
      QWL_ASSIGN_OR_RETURN(int64_t n, tx.query_int64(fmt::format("SELECT COUNT(*) FROM {} "
                                                                 "WHERE id = ?",
                                                                 table),
                                                     {*numeric}));
      if (n > 0) id = *numeric;
      return Status::Ok();
    }
    QWL_ASSIGN_OR_RETURN(Rows rows, tx.query(fmt::format("SELECT id FROM {} WHERE LOWER(name_en) "
                                                         "= ? OR name_zh = ? ORDER BY id LIMIT 1",
                                                         table),
                                             {lower_ascii(text), text}));
    if (!rows.empty()) id = rows[0].int64(0);
    return Status::Ok();
  }));
  if (id == 0) return bad_param(param, "no {} '{}' (give an id or a name)", param, shown(text));
  return id;
}

// ---- the routes ----------------------------------------------------------------------------

class CatalogRoutes {
 public:
  CatalogRoutes(Db& db, const Clock& clock, const services::SearchIndex& index)
      : db_(db), clock_(clock), index_(index) {}

  // GET /api/v1/search
  Result<http::Response> search(http::Request& req, const Caller& caller) const {
    QWL_RETURN_IF_ERROR(check_query(
        req,
        {"q", "type", "category", "brand", "merchant", "kind", "min_price", "max_price", "open_now",
         "in_stock", "min_rating", "sort", "lat", "lon", "radius", "prefix", "limit", "offset"},
        "attr."));
    services::SearchQuery q;
    if (auto text = req.query_param("q")) {
      if (text->size() > services::kSearchMaxTextBytes)
        return bad_param("q", "is {} bytes, more than {}", text->size(),
                         services::kSearchMaxTextBytes);
      q.text = std::string(*text);
    }
    if (auto type = req.query_param("type")) {
      if (*type == "products") {
        q.kind = services::SearchKind::kProducts;
      } else if (*type == "merchants") {
        q.kind = services::SearchKind::kMerchants;
      } else {
        return bad_param("type", "'{}' is not products or merchants", shown(*type));
      }
    }
    const bool products = q.kind == services::SearchKind::kProducts;
    // Filters that belong to one type only.
    for (std::string_view name : {"category", "brand", "merchant", "in_stock"}) {
      if (!products && req.query_param(name))
        return bad_param(name, "is a filter of type=products");
    }
    if (products && req.query_param("kind"))
      return bad_param("kind", "is a filter of type=merchants");

    services::SearchFilters& f = q.filters;
    if (auto category = req.query_param("category")) {
      QWL_ASSIGN_OR_RETURN(f.category_id, resolve_named(db_, "categories", "category", *category));
    }
    if (auto brand = req.query_param("brand")) {
      QWL_ASSIGN_OR_RETURN(f.brand_id, resolve_named(db_, "brands", "brand", *brand));
    }
    if (req.query_param("merchant")) {
      QWL_ASSIGN_OR_RETURN(int64_t merchant,
                           query_int(req, "merchant", 0, 1, std::numeric_limits<int64_t>::max()));
      f.merchant_id = merchant;
    }
    if (auto kind = req.query_param("kind")) {
      if (std::find(kMerchantKinds.begin(), kMerchantKinds.end(), *kind) == kMerchantKinds.end())
        return bad_param("kind",
                         "'{}' is not one of cafe, tea, restaurant, supermarket, pharmacy, "
                         "shop",
                         shown(*kind));
      f.merchant_kind = std::string(*kind);
    }
    if (req.query_param("min_price")) {
      QWL_ASSIGN_OR_RETURN(f.min_price, query_int(req, "min_price", 0, 0, kMaxQueryPrice));
    }
    if (req.query_param("max_price")) {
      QWL_ASSIGN_OR_RETURN(f.max_price, query_int(req, "max_price", 0, 0, kMaxQueryPrice));
    }
    if (f.min_price && f.max_price && *f.min_price > *f.max_price)
      return bad_param("max_price", "{} is below min_price {}", *f.max_price, *f.min_price);
    for (const auto& [name, value] : req.query) {
      if (!name.starts_with("attr.")) continue;
      const std::string_view attribute = std::string_view(name).substr(5);
      if (!products) return bad_param(shown(name), "attributes are filters of type=products");
      if (attribute.empty() || attribute.size() > kMaxAttributeBytes)
        return bad_param(shown(name), "needs an attribute name of 1 to {} bytes (attr.colour=red)",
                         kMaxAttributeBytes);
      if (value.empty() || value.size() > kMaxAttributeBytes)
        return bad_param(shown(name), "needs a value of 1 to {} bytes", kMaxAttributeBytes);
      if (f.attributes.size() == kMaxAttributeFilters)
        return bad_param(shown(name), "at most {} attribute filters", kMaxAttributeFilters);
      f.attributes.emplace_back(std::string(attribute), value);
    }
    QWL_ASSIGN_OR_RETURN(f.open_now, query_bool(req, "open_now", false));
    QWL_ASSIGN_OR_RETURN(f.in_stock, query_bool(req, "in_stock", false));
    QWL_ASSIGN_OR_RETURN(f.min_rating_x10, query_rating_x10(req, "min_rating"));
    if (auto sort = req.query_param("sort")) {
      Result<services::SearchSort> parsed = services::parse_search_sort(*sort);
      if (!parsed.ok())
        return bad_param("sort",
                         "'{}' is not one of relevance, price_asc, price_desc, rating, "
                         "sales, distance",
                         shown(*sort));
      q.sort = *parsed;
    }
    QWL_ASSIGN_OR_RETURN(auto at, query_lat_lon(req, /*required=*/false));
    if (at) {
      q.lat = at->first;
      q.lon = at->second;
    }
    if (q.sort == services::SearchSort::kDistance && !at)
      return bad_param("sort", "distance needs lat and lon");
    if (req.query_param("radius")) {
      if (!at) return bad_param("radius", "needs lat and lon");
      QWL_ASSIGN_OR_RETURN(f.max_distance_m, query_int(req, "radius", 0, 1, kMaxSearchRadiusM));
    }
    QWL_ASSIGN_OR_RETURN(q.prefix, query_bool(req, "prefix", false));
    QWL_ASSIGN_OR_RETURN(int64_t limit, query_int(req, "limit", services::kSearchDefaultLimit, 1,
                                                  services::kSearchMaxLimit));
    QWL_ASSIGN_OR_RETURN(int64_t offset,
                         query_int(req, "offset", 0, 0, services::kSearchMaxOffset));
    q.limit = static_cast<int>(limit);
    q.offset = static_cast<int>(offset);
    q.now_us = clock_.wall_us();

    QWL_ASSIGN_OR_RETURN(services::SearchResult result, index_.search(caller.actor, q));
    json data = json::array();
    for (const services::SearchHit& h : result.hits)
      data.push_back(products ? product_hit_json(h) : merchant_hit_json(h));
    const bool has_more = offset + static_cast<int64_t>(result.hits.size()) < result.total;
    json out = list_json(std::move(data), has_more);
    out["total"] = result.total;
    return json_response(out);
  }

  // GET /api/v1/products/{id}
  Result<http::Response> product(http::Request& req, const Caller& caller) const {
    QWL_RETURN_IF_ERROR(check_query(req, {}));
    QWL_ASSIGN_OR_RETURN(int64_t id, path_id(req, "id"));
    json out;
    QWL_RETURN_IF_ERROR(db_.read([&](Tx& tx) -> Status {
      QWL_ASSIGN_OR_RETURN(out, read_product(tx, caller.actor, id));
      return Status::Ok();
    }));
    return json_response(out);
  }

  // GET /api/v1/merchants/{id}
  Result<http::Response> merchant(http::Request& req, const Caller&) const {
    QWL_RETURN_IF_ERROR(check_query(req, {}));
    QWL_ASSIGN_OR_RETURN(int64_t id, path_id(req, "id"));
    const int64_t now_us = clock_.wall_us();
    json out;
    QWL_RETURN_IF_ERROR(db_.read([&](Tx& tx) -> Status {
      QWL_ASSIGN_OR_RETURN(out, read_merchant(tx, id, now_us));
      return Status::Ok();
    }));
    return json_response(out);
  }

  // GET /api/v1/merchants/{id}/menu
  Result<http::Response> menu(http::Request& req, const Caller&) const {
    QWL_RETURN_IF_ERROR(check_query(req, {}));
    QWL_ASSIGN_OR_RETURN(int64_t id, path_id(req, "id"));
    QWL_ASSIGN_OR_RETURN(std::vector<services::MenuItem> items, services::get_menu(db_, id));
    json data = json::array();
    json categories = json::array();
    for (const services::MenuItem& item : items) {
      // Items come by (sort, id), so a category's items are together unless the merchant
      // interleaved them; a category is listed once, where it first appears.
      const bool seen = std::any_of(categories.begin(), categories.end(), [&](const json& c) {
        return c["name_en"] == item.category_en && c["name_zh"] == item.category_zh;
      });
      if (!seen)
        categories.push_back(json{{"name_en", item.category_en}, {"name_zh", item.category_zh}});
      data.push_back(menu_item_json(item));
    }
    return json_response(json{{"object", "menu"},
                              {"merchant_id", id},
                              {"currency", kCurrency},
                              {"categories", std::move(categories)},
                              {"items", std::move(data)}});
  }

 private:
  Db& db_;
  const Clock& clock_;
  const services::SearchIndex& index_;
};

}  // namespace

Status add_catalog_routes(AppApi& api, Db& db, const Clock& clock,
                          const services::SearchIndex& index) {
  using Member = Result<http::Response> (CatalogRoutes::*)(http::Request&, const Caller&) const;
  struct Entry {
    std::string_view pattern;
    Member member;
  };
  static constexpr Entry kRoutes[] = {
      {"/api/v1/search", &CatalogRoutes::search},
      {"/api/v1/products/{id}", &CatalogRoutes::product},
      {"/api/v1/merchants/{id}", &CatalogRoutes::merchant},
      {"/api/v1/merchants/{id}/menu", &CatalogRoutes::menu},
  };
  // Shared by every handler: the handlers are copied into the server's route table.
  auto routes = std::make_shared<const CatalogRoutes>(db, clock, index);
  for (const Entry& e : kRoutes) {
    QWL_RETURN_IF_ERROR(api.add_route(
        http::Method::kGet, e.pattern,
        [routes, member = e.member](http::Request& req, const Caller& caller)
            -> Result<http::Response> { return with_param(((*routes).*member)(req, caller)); }));
  }
  return Status::Ok();
}

}  // namespace qwl::app
