// The catalog and map tools (ecosystem_tools_internal.h): search_products, search_merchants,
// get_menu, nearby_places and get_route. They read only; each runs one service call (search
// index, menu, places index, router) and at most one batched read of the rows the model and the
// cards need beside it (variants of the products found, the merchants' fees), so a call costs
// the same whatever the number of results.
#include <algorithm>
#include <map>

#include "agent/ecosystem_tools_internal.h"
#include "services/city_time.h"
#include "services/maps.h"
#include "services/merchant_admin.h"
#include "services/search.h"

namespace qwl::agent::eco {
namespace {

constexpr int64_t kDefaultLimit = 5;
constexpr int64_t kMaxPrice = 100'000'000;

double real_of(const Value& v) {
  return v.type() == Value::Type::kInt64 ? static_cast<double>(v.int64()) : v.real();
}

// "?, ?, ?" for `n` parameters.
std::string placeholders(size_t n) {
  std::string out;
  for (size_t i = 0; i < n; ++i) out += i == 0 ? "?" : ", ?";
  return out;
}

// A category or brand by name (English ASCII case-insensitive, or Chinese), the lowest id when
// several share it. InvalidArgument naming the argument when there is none.
Result<int64_t> id_by_name(const Call& c, std::string_view table, std::string_view arg,
                           const std::string& text) {
  std::string lower = text;
  for (char& ch : lower) {
    if (ch >= 'A' && ch <= 'Z') ch = static_cast<char>(ch - 'A' + 'a');
  }
  int64_t id = 0;
  QWL_RETURN_IF_ERROR(c.h.db->read([&](Tx& tx) -> Status {
    QWL_ASSIGN_OR_RETURN(Rows rows, tx.query(fmt::format("SELECT id FROM {} WHERE LOWER(name_en) = "
                                                         "? OR name_zh = ? ORDER BY id LIMIT 1",
                                                         table),
                                             {lower, text}));
    id = rows.empty() ? 0 : rows[0].int64(0);
    return Status::Ok();
  }));
  if (id == 0)
    return InvalidArgumentError("{}: no {} is called '{}'; leave it out and put the words in query",
                                arg, arg, cut(text, 40));
  return id;
}

// The merchants' fees and places, by id, for the merchants a search found.
struct MerchantInfo {
  int64_t poi_id = 0;
  int64_t delivery_fee = 0;
  int64_t min_order = 0;
  int64_t prep_minutes = 0;
  bool accepting = true;
  std::string address_en, address_zh;
  std::optional<services::LatLon> location;
};

Result<std::map<int64_t, MerchantInfo>> merchant_infos(const Call& c,
                                                       const std::vector<int64_t>& ids) {
  std::map<int64_t, MerchantInfo> out;
  if (ids.empty()) return out;
  std::vector<Value> params(ids.begin(), ids.end());
  QWL_RETURN_IF_ERROR(c.h.db->read([&](Tx& tx) -> Status {
    out.clear();
    QWL_ASSIGN_OR_RETURN(
        Rows rows,
        tx.query(fmt::format("SELECT m.id, m.poi_id, m.delivery_fee, m.min_order, m.prep_minutes, "
                             "m.accepting, p.address_en, p.address_zh, p.lat, p.lon "
                             "FROM merchants m LEFT JOIN pois p ON p.id = m.poi_id "
                             "WHERE m.id IN ({})",
                             placeholders(ids.size())),
                 params));
    for (const Row& r : rows) {
      MerchantInfo& m = out[r.int64(0)];
      m.poi_id = r.is_null(1) ? 0 : r.int64(1);
      m.delivery_fee = r.int64(2);
      m.min_order = r.int64(3);
      m.prep_minutes = r.int64(4);
      m.accepting = r.int64(5) != 0;
      if (!r.is_null(8)) {
        m.address_en = r.text(6);
        m.address_zh = r.text(7);
        m.location = services::LatLon{real_of(r[8]), real_of(r[9])};
      }
    }
    return Status::Ok();
  }));
  return out;
}

json location_json(const std::optional<services::LatLon>& p) {
  return p ? json{{"lat", p->lat}, {"lon", p->lon}} : json();
}

Result<services::SearchSort> sort_arg(const Call& c) {
  QWL_ASSIGN_OR_RETURN(std::optional<std::string> sort, c.args.opt_string("sort", 20));
  if (!sort) return services::SearchSort::kRelevance;
  Result<services::SearchSort> parsed = services::parse_search_sort(*sort);
  if (!parsed.ok()) return parsed.status().with_context("sort");
  return parsed;
}

// How many choices a group takes, after its name: "" for exactly one, " (optional)",
// " (optional, up to 2)", " (1 to 3)".
std::string group_rule(const Call& c, int64_t min, int64_t max) {
  if (min == 1 && max == 1) return "";
  if (min == 0 && max == 1) return std::string(c.say(" (optional)", "（可选）"));
  if (min == 0)
    return c.zh() ? fmt::format("（可选，最多{}项）", max)
                  : fmt::format(" (optional, up to {})", max);
  return c.zh() ? fmt::format("（{}至{}项）", min, max) : fmt::format(" ({} to {})", min, max);
}

}  // namespace

// ---- search_products -------------------------------------------------------------------------

Result<ToolResult> search_products(Call& c) {
  services::SearchQuery q;
  q.kind = services::SearchKind::kProducts;
  QWL_ASSIGN_OR_RETURN(q.text, c.args.req_string("query", 200));
  QWL_ASSIGN_OR_RETURN(std::optional<std::string> category, c.args.opt_string("category", 100));
  if (category && !category->empty()) {
    QWL_ASSIGN_OR_RETURN(q.filters.category_id, id_by_name(c, "categories", "category", *category));
  }
  QWL_ASSIGN_OR_RETURN(std::optional<std::string> brand, c.args.opt_string("brand", 100));
  if (brand && !brand->empty()) {
    QWL_ASSIGN_OR_RETURN(q.filters.brand_id, id_by_name(c, "brands", "brand", *brand));
  }
  QWL_ASSIGN_OR_RETURN(q.filters.min_price, c.args.opt_int("min_price", 0, kMaxPrice));
  QWL_ASSIGN_OR_RETURN(q.filters.max_price, c.args.opt_int("max_price", 0, kMaxPrice));
  if (q.filters.min_price && q.filters.max_price && *q.filters.min_price > *q.filters.max_price)
    return InvalidArgumentError("max_price: {} is below min_price {}", *q.filters.max_price,
                                *q.filters.min_price);
  QWL_ASSIGN_OR_RETURN(q.sort, sort_arg(c));
  if (q.sort == services::SearchSort::kDistance)
    return InvalidArgumentError("sort: products have no distance sort");
  QWL_ASSIGN_OR_RETURN(std::optional<int64_t> limit, c.args.opt_int("limit", 1, kMaxListItems));
  q.limit = static_cast<int>(limit.value_or(kDefaultLimit));
  q.now_us = c.now_us;
  QWL_ASSIGN_OR_RETURN(services::SearchResult found, c.h.search->search(c.user.actor, q));

  // The variants of the products found, in one read: the model needs their ids to buy.
  struct Variant {
    int64_t id = 0;
    std::string sku, name_en, name_zh;
    int64_t price = 0;
    int64_t stock = 0;
  };
  std::map<int64_t, std::vector<Variant>> variants;
  if (!found.hits.empty()) {
    std::vector<Value> ids;
    for (const services::SearchHit& hit : found.hits) ids.emplace_back(hit.id);
    QWL_RETURN_IF_ERROR(c.h.db->read([&](Tx& tx) -> Status {
      variants.clear();
      QWL_ASSIGN_OR_RETURN(
          Rows rows, tx.query(fmt::format("SELECT product_id, id, sku, name_en, name_zh, price, "
                                          "stock FROM product_variants WHERE product_id IN ({}) "
                                          "ORDER BY product_id, id",
                                          placeholders(ids.size())),
                              ids));
      for (const Row& r : rows) {
        variants[r.int64(0)].push_back(Variant{.id = r.int64(1),
                                               .sku = r.text(2),
                                               .name_en = r.text(3),
                                               .name_zh = r.text(4),
                                               .price = r.int64(5),
                                               .stock = r.int64(6)});
      }
      return Status::Ok();
    }));
  }

  ToolResult out;
  json products = json::array();
  for (const services::SearchHit& hit : found.hits) {
    const std::vector<Variant>& vs = variants[hit.id];
    json model_variants = json::array();
    json card_variants = json::array();
    int64_t max_price = 0;
    for (const Variant& v : vs) {
      max_price = std::max(max_price, v.price);
      json mv{{"id", v.id}, {"name", c.name(v.name_en, v.name_zh)}, {"in_stock", v.stock > 0}};
      put_money(mv, "price", v.price);
      model_variants.push_back(std::move(mv));
      card_variants.push_back(json{{"id", v.id},
                                   {"sku", v.sku},
                                   {"name_en", v.name_en},
                                   {"name_zh", v.name_zh},
                                   {"price", v.price},
                                   {"currency", "CNY"},
                                   {"stock", v.stock},
                                   {"in_stock", v.stock > 0}});
    }
    json p{{"id", hit.id},
           {"name", c.name(hit.name_en, hit.name_zh)},
           {"rating", rating(hit.rating_x10)},
           {"in_stock", hit.in_stock},
           {"merchant", json{{"id", hit.merchant_id},
                             {"name", c.name(hit.merchant_name_en, hit.merchant_name_zh)}}},
           {"variants", std::move(model_variants)}};
    if (hit.price) put_money(p, "price", *hit.price);
    if (hit.price && max_price > *hit.price) put_money(p, "max_price", max_price);
    products.push_back(std::move(p));
    out.cards.push_back(Card{.type = "product",
                             .data = json{{"object", "product"},
                                          {"id", hit.id},
                                          {"name_en", hit.name_en},
                                          {"name_zh", hit.name_zh},
                                          {"price", hit.price ? json(*hit.price) : json()},
                                          {"currency", "CNY"},
                                          {"rating", rating(hit.rating_x10)},
                                          {"review_count", hit.review_count},
                                          {"sales", hit.sales},
                                          {"in_stock", hit.in_stock},
                                          {"category_id", hit.category_id},
                                          {"brand_id", hit.brand_id ? json(*hit.brand_id) : json()},
                                          {"merchant", json{{"id", hit.merchant_id},
                                                            {"name_en", hit.merchant_name_en},
                                                            {"name_zh", hit.merchant_name_zh},
                                                            {"kind", hit.merchant_kind}}},
                                          {"variants", std::move(card_variants)}}});
  }
  out.result = json{{"total", found.total}, {"products", std::move(products)}};
  return out;
}

// ---- search_merchants ------------------------------------------------------------------------

Result<ToolResult> search_merchants(Call& c) {
  services::SearchQuery q;
  q.kind = services::SearchKind::kMerchants;
  QWL_ASSIGN_OR_RETURN(q.text, c.args.req_string("query", 200));
  QWL_ASSIGN_OR_RETURN(std::optional<std::string> kind, c.args.opt_string("kind", 20));
  q.filters.merchant_kind = kind.value_or("");
  QWL_ASSIGN_OR_RETURN(std::optional<bool> open_now, c.args.opt_bool("open_now"));
  q.filters.open_now = open_now.value_or(false);
  QWL_ASSIGN_OR_RETURN(std::optional<std::string> near, c.args.opt_string("near", 200));
  const bool near_given = near && !near->empty();
  // Distances from the place asked about, else from where the user is (or lives); a user
  // without either still gets results, only without distances.
  std::optional<Place> from;
  Result<Place> resolved = resolve_place(c, near, "near");
  if (resolved.ok()) {
    from = std::move(resolved).value();
  } else if (near_given || resolved.status().code() != StatusCode::kFailedPrecondition) {
    return resolved.status();
  }
  if (from) {
    q.lat = from->location.lat;
    q.lon = from->location.lon;
  }
  if (c.args.has("sort")) {
    QWL_ASSIGN_OR_RETURN(q.sort, sort_arg(c));
  } else if (near_given) {
    q.sort = services::SearchSort::kDistance;  // "oat latte near the office": nearest first
  }
  if (q.sort == services::SearchSort::kDistance && !from)
    return InvalidArgumentError("sort: distance needs a place (near) or the user's location");
  QWL_ASSIGN_OR_RETURN(std::optional<int64_t> limit, c.args.opt_int("limit", 1, 10));
  q.limit = static_cast<int>(limit.value_or(kDefaultLimit));
  q.now_us = c.now_us;
  QWL_ASSIGN_OR_RETURN(services::SearchResult found, c.h.search->search(c.user.actor, q));
  std::vector<int64_t> ids;
  for (const services::SearchHit& hit : found.hits) ids.push_back(hit.id);
  QWL_ASSIGN_OR_RETURN(auto infos, merchant_infos(c, ids));

  ToolResult out;
  json merchants = json::array();
  for (const services::SearchHit& hit : found.hits) {
    const MerchantInfo& info = infos[hit.id];
    json items = json::array();
    json card_items = json::array();
    for (const services::MatchedItem& m : hit.matched_items) {
      json item{{"id", m.id}, {"name", c.name(m.name_en, m.name_zh)}};
      put_money(item, "price", m.price);
      if (m.sold_out) item["sold_out"] = true;
      items.push_back(std::move(item));
      card_items.push_back(json{{"id", m.id},
                                {"name_en", m.name_en},
                                {"name_zh", m.name_zh},
                                {"price", m.price},
                                {"currency", "CNY"},
                                {"sold_out", m.sold_out}});
    }
    json m{{"id", hit.id},
           {"name", c.name(hit.name_en, hit.name_zh)},
           {"kind", hit.merchant_kind},
           {"rating", rating(hit.rating_x10)},
           {"open_now", hit.open_now.value_or(false)},
           {"items", std::move(items)}};
    if (hit.distance_m) m["distance_m"] = *hit.distance_m;
    put_money(m, "delivery_fee", info.delivery_fee);
    if (info.min_order > 0) put_money(m, "min_order", info.min_order);
    merchants.push_back(std::move(m));
    out.cards.push_back(
        Card{.type = "merchant",
             .data = json{{"object", "merchant"},
                          {"id", hit.id},
                          {"name_en", hit.name_en},
                          {"name_zh", hit.name_zh},
                          {"kind", hit.merchant_kind},
                          {"rating", rating(hit.rating_x10)},
                          {"sales", hit.sales},
                          {"distance_m", hit.distance_m ? json(*hit.distance_m) : json()},
                          {"open_now", hit.open_now.value_or(false)},
                          {"accepting_orders", info.accepting},
                          {"place_id", info.poi_id > 0 ? json(info.poi_id) : json()},
                          {"address_en", info.address_en},
                          {"address_zh", info.address_zh},
                          {"location", location_json(info.location)},
                          {"delivery_fee", info.delivery_fee},
                          {"min_order", info.min_order},
                          {"prep_minutes", info.prep_minutes},
                          {"currency", "CNY"},
                          {"matched_items", std::move(card_items)}}});
  }
  out.result = json{{"total", found.total}, {"merchants", std::move(merchants)}};
  if (from) out.result["near"] = from->display(c.zh());
  return out;
}

// ---- get_menu --------------------------------------------------------------------------------

Result<ToolResult> get_menu(Call& c) {
  QWL_ASSIGN_OR_RETURN(int64_t merchant_id,
                       c.args.req_int("merchant_id", 1, std::numeric_limits<int64_t>::max()));
  Result<std::vector<services::MenuItem>> menu = services::get_menu(*c.h.db, merchant_id);
  if (!menu.ok()) return menu.status().with_context("merchant_id");
  json merchant;
  QWL_RETURN_IF_ERROR(c.h.db->read([&](Tx& tx) -> Status {
    QWL_ASSIGN_OR_RETURN(Row r, tx.query_row("SELECT name_en, name_zh, kind, poi_id, delivery_fee, "
                                             "min_order, accepting FROM merchants WHERE id = ?",
                                             {merchant_id}));
    bool open = r.int64(6) != 0;
    if (open && !r.is_null(3)) {
      QWL_ASSIGN_OR_RETURN(open, services::is_open(tx, r.int64(3), c.now_us));
    }
    merchant = json{{"id", merchant_id},      {"name_en", r.text(0)}, {"name_zh", r.text(1)},
                    {"kind", r.text(2)},      {"open_now", open},     {"delivery_fee", r.int64(4)},
                    {"min_order", r.int64(5)}};
    return Status::Ok();
  }));

  json items = json::array();
  json card_items = json::array();
  for (const services::MenuItem& item : *menu) {
    const bool sold_out = item.stock.has_value() && *item.stock == 0;
    // Each group as one line: "Medium* / Large +¥3" under "Size", "*" marking the default, so
    // that a menu of fifteen items stays a few kilobytes for a small model.
    json groups = json::object();
    json card_groups = json::array();
    for (const services::MenuOptionGroup& g : item.groups) {
      std::string choices;
      json card_options = json::array();
      for (const services::MenuOption& o : g.options) {
        choices += choices.empty() ? "" : " / ";
        choices += c.name(o.name_en, o.name_zh);
        if (o.is_default) choices += "*";
        if (o.price_delta != 0) choices += (o.price_delta > 0 ? " +" : " ") + yuan(o.price_delta);
        card_options.push_back(json{{"id", o.id},
                                    {"name_en", o.name_en},
                                    {"name_zh", o.name_zh},
                                    {"price_delta", o.price_delta},
                                    {"is_default", o.is_default}});
      }
      groups[c.name(g.name_en, g.name_zh) + group_rule(c, g.min_choices, g.max_choices)] =
          std::move(choices);
      card_groups.push_back(json{{"id", g.id},
                                 {"key", g.key},
                                 {"name_en", g.name_en},
                                 {"name_zh", g.name_zh},
                                 {"min_choices", g.min_choices},
                                 {"max_choices", g.max_choices},
                                 {"options", std::move(card_options)}});
    }
    if (items.size() < kMaxMenuItems) {
      json m{{"id", item.id},
             {"name", c.name(item.name_en, item.name_zh)},
             {"category", c.name(item.category_en, item.category_zh)}};
      put_money(m, "price", item.price);
      if (sold_out) m["sold_out"] = true;
      const std::string description =
          cut(c.name(item.description_en, item.description_zh), kMaxTextChars);
      if (!description.empty()) m["description"] = description;
      if (!groups.empty()) m["options"] = std::move(groups);
      items.push_back(std::move(m));
    }
    card_items.push_back(json{{"id", item.id},
                              {"category_en", item.category_en},
                              {"category_zh", item.category_zh},
                              {"name_en", item.name_en},
                              {"name_zh", item.name_zh},
                              {"description_en", item.description_en},
                              {"description_zh", item.description_zh},
                              {"price", item.price},
                              {"currency", "CNY"},
                              {"stock", item.stock ? json(*item.stock) : json()},
                              {"sold_out", sold_out},
                              {"option_groups", std::move(card_groups)}});
  }
  json model_merchant{{"id", merchant_id},
                      {"name", c.name(merchant["name_en"].get<std::string>(),
                                      merchant["name_zh"].get<std::string>())},
                      {"open_now", merchant["open_now"]}};
  put_money(model_merchant, "delivery_fee", merchant["delivery_fee"].get<int64_t>());
  if (merchant["min_order"].get<int64_t>() > 0)
    put_money(model_merchant, "min_order", merchant["min_order"].get<int64_t>());
  ToolResult out;
  out.result = json{{"merchant", std::move(model_merchant)},
                    {"items", std::move(items)},
                    {"options_note", c.say("* marks the default; give add_to_cart option names",
                                           "*为默认选项；加入购物车时给出选项名称")}};
  if (menu->size() > kMaxMenuItems) out.result["more_items"] = menu->size() - kMaxMenuItems;
  merchant["object"] = "menu";
  merchant["currency"] = "CNY";
  merchant["items"] = std::move(card_items);
  out.cards.push_back(Card{.type = "menu", .data = std::move(merchant)});
  return out;
}

// ---- nearby_places ---------------------------------------------------------------------------

Result<ToolResult> nearby_places(Call& c) {
  QWL_ASSIGN_OR_RETURN(std::optional<std::string> near, c.args.opt_string("near", 200));
  QWL_ASSIGN_OR_RETURN(Place center, resolve_place(c, near, "near"));
  services::NearbyQuery q;
  q.center = center.location;
  QWL_ASSIGN_OR_RETURN(std::optional<std::string> kind, c.args.opt_string("kind", 20));
  if (kind && !kind->empty()) {
    const std::optional<services::PoiKind> parsed = services::parse_poi_kind(*kind);
    if (!parsed) return InvalidArgumentError("kind: '{}' is not a kind of place", cut(*kind, 40));
    q.kinds.emplace_back(services::poi_kind_name(*parsed));
  }
  QWL_ASSIGN_OR_RETURN(std::optional<std::string> cuisine, c.args.opt_string("cuisine", 40));
  q.cuisine = cuisine.value_or("");
  QWL_ASSIGN_OR_RETURN(std::optional<int64_t> radius, c.args.opt_int("radius_m", 50, 20'000));
  q.radius_m = static_cast<double>(radius.value_or(1'000));
  QWL_ASSIGN_OR_RETURN(std::optional<bool> open_now, c.args.opt_bool("open_now"));
  q.open_now = open_now.value_or(false);
  QWL_ASSIGN_OR_RETURN(std::optional<int64_t> limit, c.args.opt_int("limit", 1, 10));
  q.limit = static_cast<int>(limit.value_or(kDefaultLimit));
  QWL_ASSIGN_OR_RETURN(std::vector<services::Place> places, c.h.maps->nearby(c.user.actor, q));

  // The merchants at these places (merchants.poi_id is unique): what get_menu takes.
  std::map<int64_t, int64_t> merchant_at;
  if (!places.empty()) {
    std::vector<Value> ids;
    for (const services::Place& p : places) ids.emplace_back(p.id);
    QWL_RETURN_IF_ERROR(c.h.db->read([&](Tx& tx) -> Status {
      merchant_at.clear();
      QWL_ASSIGN_OR_RETURN(Rows rows, tx.query(fmt::format("SELECT poi_id, id FROM merchants "
                                                           "WHERE poi_id IN ({})",
                                                           placeholders(ids.size())),
                                               ids));
      for (const Row& r : rows) merchant_at[r.int64(0)] = r.int64(1);
      return Status::Ok();
    }));
  }
  ToolResult out;
  json list = json::array();
  for (const services::Place& p : places) {
    const int64_t distance = std::llround(std::max(0.0, p.distance_m));
    const auto merchant = merchant_at.find(p.id);
    json m{{"id", p.id},
           {"name", c.name(p.name_en, p.name_zh)},
           {"kind", p.kind},
           {"distance_m", distance},
           {"rating", rating(p.rating_x10)},
           {"open_now", p.open_now}};
    if (!p.cuisine.empty()) m["cuisine"] = p.cuisine;
    if (merchant != merchant_at.end()) m["merchant_id"] = merchant->second;
    list.push_back(std::move(m));
    out.cards.push_back(Card{
        .type = "place",
        .data = json{
            {"object", "place"},
            {"id", p.id},
            {"kind", p.kind},
            {"name_en", p.name_en},
            {"name_zh", p.name_zh},
            {"cuisine", p.cuisine},
            {"location", location_json(p.location)},
            {"rating", rating(p.rating_x10)},
            {"review_count", p.review_count},
            {"price_level", p.price_level},
            {"open_now", p.open_now},
            {"distance_m", distance},
            {"merchant_id", merchant != merchant_at.end() ? json(merchant->second) : json()}}});
  }
  out.result = json{{"near", center.display(c.zh())}, {"places", std::move(list)}};
  return out;
}

// ---- get_route -------------------------------------------------------------------------------

Result<ToolResult> get_route(Call& c) {
  QWL_ASSIGN_OR_RETURN(std::optional<std::string> from_text, c.args.opt_string("from", 200));
  QWL_ASSIGN_OR_RETURN(std::string to_text, c.args.req_string("to", 200));
  QWL_ASSIGN_OR_RETURN(std::string mode_text, c.args.req_string("mode", 20));
  const std::optional<services::TravelMode> mode = services::parse_travel_mode(mode_text);
  if (!mode)
    return InvalidArgumentError("mode: '{}' is not one of walking, cycling, driving",
                                cut(mode_text, 40));
  std::optional<Place> from, to;
  std::optional<services::Route> route;
  QWL_RETURN_IF_ERROR(c.h.db->read([&](Tx& tx) -> Status {
    QWL_ASSIGN_OR_RETURN(from, resolve_place(tx, c, from_text, "from"));
    QWL_ASSIGN_OR_RETURN(to, resolve_place(tx, c, to_text, "to"));
    QWL_ASSIGN_OR_RETURN(
        route, c.h.maps->route(tx, c.user.actor, from->waypoint(), to->waypoint(), *mode));
    return Status::Ok();
  }));
  json steps = json::array();
  json card_steps = json::array();
  for (const services::RouteStep& s : route->steps) {
    if (steps.size() < kMaxRouteSteps) {
      json step{{"turn", services::turn_name(s.turn)}, {"distance_m", s.distance_m}};
      const std::string road = c.name(s.name_en, s.name_zh);
      if (!road.empty()) step["road"] = road;
      steps.push_back(std::move(step));
    }
    card_steps.push_back(json{{"turn", services::turn_name(s.turn)},
                              {"name_en", s.name_en},
                              {"name_zh", s.name_zh},
                              {"road_class", s.road_class},
                              {"distance_m", s.distance_m},
                              {"duration_s", s.duration_s},
                              {"start", location_json(s.start)}});
  }
  const int64_t arrive_us = c.now_us + route->duration_s * 1'000'000;
  ToolResult out;
  out.result = json{{"from", from->display(c.zh())},
                    {"to", to->display(c.zh())},
                    {"mode", services::travel_mode_name(route->mode)},
                    {"distance_m", route->distance_m},
                    {"duration_s", route->duration_s},
                    {"duration", duration_text(route->duration_s, c.zh())},
                    {"arrive_at", local_hhmm(arrive_us)},
                    {"steps", std::move(steps)}};
  if (route->steps.size() > kMaxRouteSteps)
    out.result["more_steps"] = route->steps.size() - kMaxRouteSteps;
  out.cards.push_back(Card{.type = "route",
                           .data = json{{"object", "route"},
                                        {"mode", services::travel_mode_name(route->mode)},
                                        {"from", from->to_json()},
                                        {"to", to->to_json()},
                                        {"distance_m", route->distance_m},
                                        {"duration_s", route->duration_s},
                                        {"eta_at", arrive_us / 1'000'000},
                                        {"polyline", route->polyline_encoded},
                                        {"steps", std::move(card_steps)}}});
  return out;
}

}  // namespace qwl::agent::eco
