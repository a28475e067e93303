// The commerce routes of the app API (api_commerce.h): each handler reads the request's path,
// query and JSON body into the services' request structs, calls one commerce service as the
// request's Actor, and maps the result struct to the API's JSON. The rules (who may see what,
// prices, coupons, money, the order's life) are the services'; this file adds only the API's
// units (Unix seconds, fen with a currency), its input checks and its errors.
#include "server/api_commerce.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>
#include <functional>
#include <initializer_list>
#include <limits>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "server/http_error.h"
#include "services/cart.h"
#include "services/coupons.h"
#include "services/ledger.h"
#include "services/merchant_admin.h"
#include "services/payments.h"

namespace qwl::app {
namespace {

using nlohmann::json;
using services::Role;

constexpr std::string_view kCurrency = "CNY";
constexpr int64_t kMicrosPerSecond = 1'000'000;
constexpr int64_t kMaxId = std::numeric_limits<int64_t>::max();
// Bodies of the customer routes are small (ids, a note, a few option words); menu and product
// edits carry descriptions (4000 bytes each, up to twice that when \u-escaped).
constexpr size_t kSmallBody = 16 * 1024;
constexpr size_t kEditorBody = 64 * 1024;
constexpr int64_t kDefaultListLimit = 20;
constexpr int64_t kMaxListLimit = 100;
constexpr size_t kMaxOptionIds = 50;
constexpr size_t kMaxOptionWords = 20;
constexpr size_t kMaxWordBytes = 100;
constexpr size_t kMaxCouponIds = 10;
constexpr size_t kMaxNoteBytes = 500;     // as orders.cpp: notes to the merchant
constexpr size_t kMaxReasonBytes = 1000;  // as orders.cpp: reasons and resolutions
constexpr size_t kMaxTextBytes = 4000;    // names and descriptions of the editor (the service
                                          // bounds them again, tighter for names)
constexpr size_t kMaxVariants = 100;
constexpr size_t kMaxGroupOptions = 50;

// ---- errors that name their parameter ------------------------------------------------------

bool is_word_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '_';
}

// Whether `word` occurs in `text` as a whole word.
bool has_word(std::string_view text, std::string_view word) {
  for (size_t at = text.find(word); at != std::string_view::npos; at = text.find(word, at + 1)) {
    const bool start = at == 0 || !is_word_char(text[at - 1]);
    const size_t end = at + word.size();
    const bool stop = end >= text.size() || !is_word_char(text[end]);
    if (start && stop) return true;
  }
  return false;
}

// Phrases of the services' messages and the API parameter each is about.
constexpr std::array<std::pair<std::string_view, std::string_view>, 18> kPhrases = {{
    {"idempotency key", "Idempotency-Key"},
    {"user coupon", "user_coupon_ids"},
    {"option words", "option_words"},
    {"has no option group", "option_words"},
    {"is not a choice", "option_words"},
    {"is ambiguous", "option_words"},
    {"option", "option_ids"},
    {"option", "option_words"},
    {"before_id", "before"},
    {"group key", "key"},
    {"choices", "max_choices"},
    {"category", "category_id"},
    {"brand", "brand_id"},
    {"variant", "variants"},
    {"top-up", "amount"},
    {"refund request", "amount"},
    {"choose at least", "option_ids"},
    {"nothing to change", ""},
}};

// The parameter an InvalidArgument message is about, among the route's `params` (its body
// fields and query parameters; the Idempotency-Key header and the path's "id" always count): the
// message's
// "<param>: " prefix (ours and AppApi's readers), else a phrase of the services' messages, else
// the first of the route's parameters the message names as a word; "" when none.
std::string param_of(std::string_view message, const std::vector<std::string>& params) {
  auto known = [&](std::string_view p) {
    return p == "Idempotency-Key" || p == "id" ||
           std::find(params.begin(), params.end(), p) != params.end();
  };
  const size_t colon = message.find(": ");
  if (colon != std::string_view::npos) {
    const std::string_view head = message.substr(0, colon);
    const std::string_view root = head.substr(0, head.find_first_of(".["));
    const std::string_view rest = message.substr(colon + 2);
    // An unknown or repeated name is named whatever it is.
    const bool about_name =
        rest == "unknown field" || rest == "unknown query parameter" || rest == "is given twice";
    if (about_name || (known(root) && head.find(' ') == std::string_view::npos))
      return std::string(head);
  }
  for (const auto& [phrase, param] : kPhrases) {
    if (message.find(phrase) == std::string_view::npos) continue;
    if (param.empty()) return "";
    if (known(param)) return std::string(param);
  }
  for (const std::string& p : params) {
    if (has_word(message, p)) return p;
  }
  return "";
}

using Handler = std::function<Result<http::Response>(http::Request&, const Caller&)>;

// A route's handler whose InvalidArgument comes back with "param" filled in.
AppHandler with_params(std::vector<std::string> params, Handler handler) {
  return [params = std::move(params), handler = std::move(handler)](
             http::Request& req, const Caller& caller) -> Result<http::Response> {
    Result<http::Response> r = handler(req, caller);
    if (r.ok() || r.status().code() != StatusCode::kInvalidArgument) return r;
    const Status& s = r.status();
    return http::error_response(s, param_of(s.message(), params), error_code_for(s.code()));
  };
}

// ---- reading requests ----------------------------------------------------------------------

// InvalidArgument naming the first query parameter that is not in `known`, or repeated.
Status check_query(const http::Request& req, std::initializer_list<std::string_view> known) {
  for (size_t i = 0; i < req.query.size(); ++i) {
    const std::string& name = req.query[i].first;
    if (std::find(known.begin(), known.end(), name) == known.end())
      return bad_param(shown(name), "unknown query parameter");
    for (size_t j = 0; j < i; ++j) {
      if (req.query[j].first == name) return bad_param(name, "is given twice");
    }
  }
  return Status::Ok();
}

Result<std::optional<bool>> query_bool(const http::Request& req, std::string_view name) {
  const std::optional<std::string_view> text = req.query_param(name);
  if (!text) return std::optional<bool>();
  if (*text == "true" || *text == "1") return std::optional<bool>(true);
  if (*text == "false" || *text == "0") return std::optional<bool>(false);
  return bad_param(name, "'{}' is not true or false", shown(*text));
}

Result<std::optional<services::OrderStatus>> query_status(const http::Request& req) {
  const std::optional<std::string_view> text = req.query_param("status");
  if (!text) return std::optional<services::OrderStatus>();
  const std::optional<services::OrderStatus> s = services::parse_order_status(*text);
  if (!s)
    return bad_param("status",
                     "'{}' is not one of placed, accepted, preparing, on_the_way, delivered, "
                     "cancelled, refunded",
                     shown(*text));
  return s;
}

// A JSON object body and the fields a route knows. A missing field and a null one read alike
// (absent) except where a route gives null a meaning (has_null()).
class Body {
 public:
  // An empty body reads as {} when `empty_ok` (routes whose fields are all optional).
  static Result<Body> parse(const http::Request& req, std::initializer_list<std::string_view> known,
                            bool empty_ok = false) {
    return parse(req, std::span<const std::string_view>(known.begin(), known.size()), empty_ok);
  }
  static Result<Body> parse(const http::Request& req, std::span<const std::string_view> known,
                            bool empty_ok = false) {
    Body b;
    const bool empty = std::all_of(req.body.begin(), req.body.end(), [](char c) {
      return c == ' ' || c == '\t' || c == '\r' || c == '\n';
    });
    if (empty && empty_ok) {
      b.j_ = json::object();
    } else {
      QWL_ASSIGN_OR_RETURN(b.j_, parse_json_body(req));
    }
    for (auto it = b.j_.begin(); it != b.j_.end(); ++it) {
      if (std::find(known.begin(), known.end(), it.key()) == known.end())
        return bad_param(shown(it.key()), "unknown field");
    }
    return b;
  }

  bool has(std::string_view f) const {
    auto it = j_.find(std::string(f));
    return it != j_.end() && !it->is_null();
  }
  bool has_null(std::string_view f) const {
    auto it = j_.find(std::string(f));
    return it != j_.end() && it->is_null();
  }
  const json& raw() const { return j_; }

  Result<std::optional<int64_t>> opt_int(std::string_view f, int64_t min, int64_t max) const {
    auto it = j_.find(std::string(f));
    if (it == j_.end() || it->is_null()) return std::optional<int64_t>();
    QWL_ASSIGN_OR_RETURN(int64_t v, int_value(*it, f, min, max));
    return std::optional<int64_t>(v);
  }
  Result<int64_t> req_int(std::string_view f, int64_t min, int64_t max) const {
    QWL_ASSIGN_OR_RETURN(std::optional<int64_t> v, opt_int(f, min, max));
    if (!v) return bad_param(f, "is required");
    return *v;
  }
  Result<std::optional<std::string>> opt_text(std::string_view f, size_t max_bytes) const {
    auto it = j_.find(std::string(f));
    if (it == j_.end() || it->is_null()) return std::optional<std::string>();
    QWL_ASSIGN_OR_RETURN(std::string v, text_value(*it, f, max_bytes));
    return std::optional<std::string>(std::move(v));
  }
  Result<std::string> req_text(std::string_view f, size_t max_bytes) const {
    QWL_ASSIGN_OR_RETURN(std::optional<std::string> v, opt_text(f, max_bytes));
    if (!v) return bad_param(f, "is required");
    return *v;
  }
  Result<std::optional<bool>> opt_bool(std::string_view f) const {
    auto it = j_.find(std::string(f));
    if (it == j_.end() || it->is_null()) return std::optional<bool>();
    if (!it->is_boolean()) return bad_param(f, "expected true or false, got {}", it->type_name());
    return std::optional<bool>(it->get<bool>());
  }
  // A list of ids (positive integers, no repeats), at most `max_count`.
  Result<std::optional<std::vector<int64_t>>> opt_ids(std::string_view f, size_t max_count) const {
    auto it = j_.find(std::string(f));
    if (it == j_.end() || it->is_null()) return std::optional<std::vector<int64_t>>();
    if (!it->is_array()) return bad_param(f, "expected a list of ids, got {}", it->type_name());
    if (it->size() > max_count)
      return bad_param(f, "holds {} ids, at most {}", it->size(), max_count);
    std::vector<int64_t> ids;
    for (size_t i = 0; i < it->size(); ++i) {
      const std::string name = fmt::format("{}[{}]", f, i);
      QWL_ASSIGN_OR_RETURN(int64_t id, int_value((*it)[i], name, 1, kMaxId));
      if (std::find(ids.begin(), ids.end(), id) != ids.end())
        return bad_param(name, "{} is given twice", id);
      ids.push_back(id);
    }
    return std::optional<std::vector<int64_t>>(std::move(ids));
  }

  static Result<int64_t> int_value(const json& v, std::string_view f, int64_t min, int64_t max) {
    int64_t n = 0;
    if (v.is_number_unsigned()) {
      const uint64_t u = v.get<uint64_t>();
      if (u > static_cast<uint64_t>(max)) return bad_param(f, "{} is above {}", u, max);
      n = static_cast<int64_t>(u);
    } else if (v.is_number_integer()) {
      n = v.get<int64_t>();
    } else if (v.is_number_float()) {
      // Money is integer fen: 12.5 is refused rather than rounded.
      return bad_param(f, "expected an integer, got a fraction or an out-of-range number");
    } else {
      return bad_param(f, "expected an integer, got {}", v.type_name());
    }
    if (n < min || n > max) return bad_param(f, "{} is outside {}..{}", n, min, max);
    return n;
  }
  static Result<std::string> text_value(const json& v, std::string_view f, size_t max_bytes) {
    if (!v.is_string()) return bad_param(f, "expected a string, got {}", v.type_name());
    std::string s = v.get<std::string>();
    if (s.size() > max_bytes) return bad_param(f, "is {} bytes, at most {}", s.size(), max_bytes);
    return s;
  }

 private:
  json j_;
};

// ---- JSON out ------------------------------------------------------------------------------

int64_t seconds(int64_t us) {
  return us / kMicrosPerSecond;
}
// An instant where 0 means "none".
json instant(int64_t us) {
  return us == 0 ? json() : json(seconds(us));
}
json id_or_null(int64_t id) {
  return id == 0 ? json() : json(id);
}
template <typename T>
json optional_json(const std::optional<T>& v) {
  return v ? json(*v) : json();
}

json list_json(json data, bool has_more) {
  return json{{"object", "list"}, {"data", std::move(data)}, {"has_more", has_more}};
}

// "3,7" -> [3, 7].
json option_ids_json(std::string_view key) {
  json ids = json::array();
  while (!key.empty()) {
    const size_t comma = key.find(',');
    const std::string_view part = key.substr(0, comma);
    int64_t id = 0;
    if (std::from_chars(part.data(), part.data() + part.size(), id).ec == std::errc())
      ids.push_back(id);
    if (comma == std::string_view::npos) break;
    key.remove_prefix(comma + 1);
  }
  return ids;
}

json cart_line_json(const services::CartLine& line) {
  const services::PricedLine& p = line.priced;
  json options = json::array();
  for (const services::ChosenOption& o : p.options) {
    options.push_back(json{{"object", "cart_option"},
                           {"id", o.id},
                           {"group_id", o.group_id},
                           {"group_key", o.group_key},
                           {"name_en", o.name_en},
                           {"name_zh", o.name_zh},
                           {"price_delta", o.price_delta}});
  }
  return json{{"object", "cart_line"},
              {"id", line.id},
              {"merchant_id", p.merchant_id},
              {"menu_item_id", id_or_null(p.menu_item_id)},
              {"variant_id", id_or_null(p.variant_id)},
              {"name_en", p.name_en},
              {"name_zh", p.name_zh},
              {"options", std::move(options)},
              {"options_en", p.options_en},
              {"options_zh", p.options_zh},
              {"unit_price", p.unit_price},
              {"quantity", p.quantity},
              {"line_total", p.line_total},
              {"currency", kCurrency},
              {"stock", optional_json(p.stock)},
              {"added_at", instant(line.added_at_us)},
              {"problem", line.problem.empty() ? json() : json(line.problem)}};
}

json cart_json(const services::Cart& cart) {
  json merchants = json::array();
  int64_t lines = 0, items = 0;
  for (const services::MerchantCart& m : cart.merchants) {
    json ls = json::array();
    for (const services::CartLine& l : m.lines) ls.push_back(cart_line_json(l));
    lines += static_cast<int64_t>(m.lines.size());
    items += m.item_count;
    merchants.push_back(json{{"object", "merchant_cart"},
                             {"merchant_id", m.merchant_id},
                             {"merchant_name_en", m.merchant_name_en},
                             {"merchant_name_zh", m.merchant_name_zh},
                             {"lines", std::move(ls)},
                             {"subtotal", m.subtotal},
                             {"item_count", m.item_count},
                             {"currency", kCurrency}});
  }
  return json{{"object", "cart"},
              {"merchants", std::move(merchants)},
              {"line_count", lines},
              {"item_count", items},
              {"currency", kCurrency}};
}

json coupon_json(const services::Coupon& c) {
  return json{{"object", "coupon"},
              {"id", c.id},
              {"code", c.code},
              {"title_en", c.title_en},
              {"title_zh", c.title_zh},
              {"merchant_id", id_or_null(c.merchant_id)},
              {"funded_by", c.funded_by},
              {"min_subtotal", c.min_subtotal},
              {"amount_off", c.amount_off == 0 ? json() : json(c.amount_off)},
              {"percent_off", c.percent_off == 0 ? json() : json(c.percent_off)},
              {"max_discount", optional_json(c.max_discount)},
              {"stackable", c.stackable},
              {"starts_at", seconds(c.starts_at_us)},
              {"ends_at", seconds(c.ends_at_us)},
              {"total_limit", optional_json(c.total_limit)},
              {"used_count", c.used_count},
              {"terms_en", c.terms_en()},
              {"terms_zh", c.terms_zh()},
              {"currency", kCurrency}};
}

json user_coupon_json(const services::UserCoupon& uc) {
  json j = coupon_json(uc.coupon);
  j["user_coupon_id"] = uc.id;
  j["claimed"] = true;
  j["claimable"] = false;
  j["claimed_at"] = instant(uc.claimed_at_us);
  j["used_at"] = instant(uc.used_at_us);
  j["order_id"] = id_or_null(uc.order_id);
  return j;
}

json claimable_coupon_json(const services::Coupon& c) {
  json j = coupon_json(c);
  j["user_coupon_id"] = nullptr;
  j["claimed"] = false;
  j["claimable"] = true;
  j["claimed_at"] = nullptr;
  j["used_at"] = nullptr;
  j["order_id"] = nullptr;
  return j;
}

json quote_json(const services::CouponQuote& q) {
  json applied = json::array();
  for (const services::AppliedCoupon& a : q.applied) {
    applied.push_back(json{{"object", "applied_coupon"},
                           {"user_coupon_id", a.user_coupon_id},
                           {"amount", a.amount},
                           {"currency", kCurrency},
                           {"coupon", coupon_json(a.coupon)}});
  }
  json skipped = json::array();
  for (const services::SkippedCoupon& s : q.skipped) {
    skipped.push_back(json{{"object", "skipped_coupon"},
                           {"user_coupon_id", s.user_coupon_id},
                           {"reason", services::coupon_skip_name(s.why)},
                           {"reason_en", s.reason_en},
                           {"reason_zh", s.reason_zh},
                           {"coupon", coupon_json(s.coupon)}});
  }
  return json{{"object", "coupon_quote"},
              {"subtotal", q.subtotal},
              {"discount", q.discount},
              {"platform_funded", q.platform_funded},
              {"merchant_funded", q.merchant_funded},
              {"currency", kCurrency},
              {"applied", std::move(applied)},
              {"skipped", std::move(skipped)},
              {"explanation_en", q.explanation_en},
              {"explanation_zh", q.explanation_zh}};
}

json preview_json(const services::CheckoutPreview& p, const services::CheckoutRequest& req) {
  json lines = json::array();
  for (const services::CartLine& l : p.lines) lines.push_back(cart_line_json(l));
  return json{{"object", "checkout_preview"},
              {"merchant_id", p.merchant_id},
              {"merchant_name_en", p.merchant_name_en},
              {"merchant_name_zh", p.merchant_name_zh},
              {"fulfilment", req.fulfilment},
              {"address_id", id_or_null(req.address_id)},
              {"lines", std::move(lines)},
              {"subtotal", p.subtotal},
              {"coupons", quote_json(p.coupons)},
              {"discount", p.coupons.discount},
              {"delivery_fee", p.delivery_fee},
              {"total", p.total},
              {"currency", kCurrency},
              {"distance_m", p.distance_m},
              {"eta_at", instant(p.eta_at_us)},
              {"wallet_balance", p.wallet_balance}};
}

json order_json(const services::Order& o, bool with_timeline) {
  json items = json::array();
  for (const services::OrderItem& it : o.items) {
    items.push_back(json{{"object", "order_item"},
                         {"id", it.id},
                         {"menu_item_id", id_or_null(it.menu_item_id)},
                         {"variant_id", id_or_null(it.variant_id)},
                         {"name_en", it.name_en},
                         {"name_zh", it.name_zh},
                         {"option_ids", option_ids_json(it.options)},
                         {"options_en", it.options_en},
                         {"options_zh", it.options_zh},
                         {"quantity", it.quantity},
                         {"unit_price", it.unit_price},
                         {"line_total", it.line_total},
                         {"currency", o.currency}});
  }
  json coupons = json::array();
  for (const services::OrderCoupon& c : o.coupons) {
    coupons.push_back(json{{"object", "order_coupon"},
                           {"coupon_id", c.coupon_id},
                           {"user_coupon_id", c.user_coupon_id},
                           {"code", c.code},
                           {"title_en", c.title_en},
                           {"title_zh", c.title_zh},
                           {"amount", c.amount},
                           {"funded_by", c.funded_by},
                           {"currency", o.currency}});
  }
  json location;
  if (o.delivery_lat && o.delivery_lon)
    location = json{{"lat", *o.delivery_lat}, {"lon", *o.delivery_lon}};
  json j{{"object", "order"},
         {"id", o.id},
         {"user_id", o.user_id},
         {"merchant_id", o.merchant_id},
         {"merchant_name_en", o.merchant_name_en},
         {"merchant_name_zh", o.merchant_name_zh},
         {"fulfilment", o.fulfilment},
         {"status", services::order_status_name(o.status)},
         {"subtotal", o.subtotal},
         {"discount", o.discount},
         {"delivery_fee", o.delivery_fee},
         {"total", o.total},
         {"refunded", o.refunded},
         {"currency", o.currency},
         {"address_id", id_or_null(o.address_id)},
         {"delivery_line", o.delivery_line},
         {"delivery_location", std::move(location)},
         {"eta_at", instant(o.eta_at_us)},
         {"note", o.note},
         {"placed_at", seconds(o.placed_at_us)},
         {"updated_at", seconds(o.updated_at_us)},
         {"next_step_at", instant(o.next_step_at_us)},
         {"items", std::move(items)},
         {"coupons", std::move(coupons)}};
  if (with_timeline) {
    json timeline = json::array();
    for (const services::OrderEvent& e : o.events) {
      timeline.push_back(json{{"object", "order_event"},
                              {"id", e.id},
                              {"status", e.status},
                              {"actor_user_id", id_or_null(e.actor_user_id)},
                              {"note", e.note},
                              {"created_at", seconds(e.at_us)}});
    }
    j["timeline"] = std::move(timeline);
  }
  return j;
}

json orders_list_json(std::vector<services::Order> orders, int64_t limit) {
  const bool has_more = static_cast<int64_t>(orders.size()) > limit;
  if (has_more) orders.resize(static_cast<size_t>(limit));
  json data = json::array();
  for (const services::Order& o : orders) data.push_back(order_json(o, false));
  return list_json(std::move(data), has_more);
}

json after_sale_json(const services::AfterSale& a) {
  return json{{"object", "after_sale"},
              {"id", a.id},
              {"order_id", a.order_id},
              {"user_id", a.user_id},
              {"kind", services::after_sale_kind_name(a.kind)},
              {"reason", a.reason},
              {"amount", a.amount},
              {"currency", kCurrency},
              {"status", services::after_sale_status_name(a.status)},
              {"resolution", a.resolution},
              {"created_at", seconds(a.created_at_us)},
              {"resolved_at", instant(a.resolved_at_us)}};
}

json wallet_json(const services::Wallet& w) {
  return json{{"object", "wallet"},
              {"user_id", w.user_id},
              {"balance", w.balance},
              {"currency", kCurrency},
              {"daily_spend_limit", optional_json(w.daily_spend_limit)},
              {"spent_today", w.spent_today},
              {"left_today", optional_json(w.left_today)}};
}

json wallet_entry_json(const services::WalletEntry& e) {
  return json{{"object", "wallet_entry"}, {"id", e.entry_id},
              {"txn_id", e.txn_id},       {"kind", e.kind},
              {"amount", e.amount},       {"balance_after", e.balance_after},
              {"currency", kCurrency},    {"order_id", id_or_null(e.order_id)},
              {"memo", e.memo},           {"created_at", seconds(e.at_us)}};
}

json merchant_json(const services::MerchantSummary& m) {
  return json{{"object", "merchant"}, {"id", m.id},     {"name_en", m.name_en},
              {"name_zh", m.name_zh}, {"kind", m.kind}, {"accepting", m.accepting}};
}

json menu_item_json(const services::MenuItem& item) {
  json groups = json::array();
  for (const services::MenuOptionGroup& g : item.groups) {
    json options = json::array();
    for (const services::MenuOption& o : g.options) {
      options.push_back(json{{"object", "menu_option"},
                             {"id", o.id},
                             {"group_id", o.group_id},
                             {"name_en", o.name_en},
                             {"name_zh", o.name_zh},
                             {"price_delta", o.price_delta},
                             {"is_default", o.is_default},
                             {"sort", o.sort}});
    }
    groups.push_back(json{{"object", "menu_option_group"},
                          {"id", g.id},
                          {"item_id", g.item_id},
                          {"key", g.key},
                          {"name_en", g.name_en},
                          {"name_zh", g.name_zh},
                          {"min_choices", g.min_choices},
                          {"max_choices", g.max_choices},
                          {"required", g.min_choices > 0},
                          {"sort", g.sort},
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
              {"sort", item.sort},
              {"updated_at", seconds(item.updated_at_us)},
              {"option_groups", std::move(groups)}};
}

json product_json(const services::Product& p) {
  json variants = json::array();
  for (const services::ProductVariant& v : p.variants) {
    variants.push_back(json{{"object", "product_variant"},
                            {"id", v.id},
                            {"product_id", v.product_id},
                            {"sku", v.sku},
                            {"name_en", v.name_en},
                            {"name_zh", v.name_zh},
                            {"price", v.price},
                            {"currency", kCurrency},
                            {"stock", v.stock},
                            {"in_stock", v.stock > 0}});
  }
  return json{{"object", "product"},
              {"id", p.id},
              {"merchant_id", p.merchant_id},
              {"category_id", p.category_id},
              {"brand_id", id_or_null(p.brand_id)},
              {"name_en", p.name_en},
              {"name_zh", p.name_zh},
              {"description_en", p.description_en},
              {"description_zh", p.description_zh},
              {"listed", p.listed},
              {"sales", p.sales},
              {"updated_at", seconds(p.updated_at_us)},
              {"variants", std::move(variants)}};
}

// A response to an idempotent write: "Idempotent-Replayed: true" when it is a retry's.
http::Response replayable(const json& body, int status, bool replayed) {
  http::Response r = json_response(body, status);
  if (replayed) r.headers.set("Idempotent-Replayed", "true");
  return r;
}

// ---- request structs from bodies -----------------------------------------------------------

// "option_words": ["less ice", {"group": "size", "value": "large"}, {"value": "少冰"}].
Result<std::vector<services::OptionWords>> option_words(const Body& body) {
  std::vector<services::OptionWords> words;
  const json& list = body.raw()["option_words"];
  if (!list.is_array())
    return bad_param("option_words", "expected a list of words, got {}", list.type_name());
  if (list.size() > kMaxOptionWords)
    return bad_param("option_words", "holds {} entries, at most {}", list.size(), kMaxOptionWords);
  for (size_t i = 0; i < list.size(); ++i) {
    const json& w = list[i];
    const std::string name = fmt::format("option_words[{}]", i);
    services::OptionWords ow;
    if (w.is_string()) {
      QWL_ASSIGN_OR_RETURN(ow.value, Body::text_value(w, name, kMaxWordBytes));
    } else if (w.is_object()) {
      for (auto it = w.begin(); it != w.end(); ++it) {
        if (it.key() != "group" && it.key() != "value")
          return bad_param(fmt::format("{}.{}", name, shown(it.key())), "unknown field");
      }
      if (w.contains("group") && !w["group"].is_null()) {
        QWL_ASSIGN_OR_RETURN(ow.group,
                             Body::text_value(w["group"], name + ".group", kMaxWordBytes));
      }
      if (!w.contains("value") || w["value"].is_null())
        return bad_param(name + ".value", "is required");
      QWL_ASSIGN_OR_RETURN(ow.value, Body::text_value(w["value"], name + ".value", kMaxWordBytes));
    } else {
      return bad_param(name, "expected a string or {{\"group\",\"value\"}}, got {}", w.type_name());
    }
    if (ow.value.empty()) return bad_param(name, "is empty");
    words.push_back(std::move(ow));
  }
  return words;
}

// The option ids of a cart request: "option_ids" and the ids "option_words" resolve to for
// `menu_item_id`, without repeats.
Result<std::vector<int64_t>> chosen_options(Db& db, const Body& body, int64_t menu_item_id) {
  std::vector<int64_t> ids;
  QWL_ASSIGN_OR_RETURN(std::optional<std::vector<int64_t>> given,
                       body.opt_ids("option_ids", kMaxOptionIds));
  if (given) ids = std::move(*given);
  if (body.has("option_words")) {
    QWL_ASSIGN_OR_RETURN(std::vector<services::OptionWords> words, option_words(body));
    QWL_ASSIGN_OR_RETURN(std::vector<int64_t> resolved,
                         services::resolve_options(db, menu_item_id, words));
    for (int64_t id : resolved) {
      if (std::find(ids.begin(), ids.end(), id) == ids.end()) ids.push_back(id);
    }
  }
  return ids;
}

// A cart service's InvalidArgument about the chosen options, prefixed with the parameter that
// chose them (the services name the item and the group, not the API's field).
Status blame_options(const Status& s, const Body& body) {
  if (s.code() != StatusCode::kInvalidArgument) return s;
  const bool ids = body.has("option_ids"), words = body.has("option_words");
  if (!ids && !words) return s;
  const std::string_view m = s.message();
  if (m.find("quantity") != std::string_view::npos || m.find("option_") == 0) return s;
  if (m.find("option") == std::string_view::npos && m.find("group") == std::string_view::npos &&
      m.find("choose") == std::string_view::npos)
    return s;
  return InvalidArgumentError("{}: {}", ids ? "option_ids" : "option_words", m);
}

constexpr std::array<std::string_view, 5> kCheckoutFields = {
    "merchant_id", "fulfilment", "address_id", "user_coupon_ids", "note"};
constexpr std::array<std::string_view, 6> kOrderFields = {
    "merchant_id", "fulfilment", "address_id", "user_coupon_ids", "note", "expected_total"};
constexpr std::array<std::string_view, 10> kItemFields = {
    "name_en",        "name_zh", "category_en", "category_zh", "description_en",
    "description_zh", "price",   "available",   "stock",       "sort"};
constexpr std::array<std::string_view, 7> kGroupFields = {
    "key", "name_en", "name_zh", "min_choices", "max_choices", "sort", "options"};
constexpr std::array<std::string_view, 5> kOptionFields = {"name_en", "name_zh", "price_delta",
                                                           "is_default", "sort"};
constexpr std::array<std::string_view, 8> kProductFields = {
    "category_id",    "brand_id",       "name_en", "name_zh",
    "description_en", "description_zh", "listed",  "variants"};
constexpr std::array<std::string_view, 5> kVariantFields = {"sku", "name_en", "name_zh", "price",
                                                            "stock"};

template <size_t N>
std::vector<std::string> names(const std::array<std::string_view, N>& fields) {
  return std::vector<std::string>(fields.begin(), fields.end());
}

Result<services::CheckoutRequest> checkout_request(const Body& body) {
  services::CheckoutRequest r;
  QWL_ASSIGN_OR_RETURN(r.merchant_id, body.req_int("merchant_id", 1, kMaxId));
  QWL_ASSIGN_OR_RETURN(std::optional<std::string> fulfilment, body.opt_text("fulfilment", 16));
  if (fulfilment) {
    if (*fulfilment != "delivery" && *fulfilment != "pickup")
      return bad_param("fulfilment", "'{}' is not delivery or pickup", shown(*fulfilment));
    r.fulfilment = *fulfilment;
  }
  QWL_ASSIGN_OR_RETURN(std::optional<int64_t> address, body.opt_int("address_id", 1, kMaxId));
  if (r.fulfilment == "delivery" && !address)
    return bad_param("address_id", "is required for delivery (or set fulfilment to pickup)");
  if (r.fulfilment == "pickup" && address)
    return bad_param("address_id", "a pickup order has no delivery address");
  r.address_id = address.value_or(0);
  QWL_ASSIGN_OR_RETURN(r.user_coupon_ids, body.opt_ids("user_coupon_ids", kMaxCouponIds));
  QWL_ASSIGN_OR_RETURN(std::optional<std::string> note, body.opt_text("note", kMaxNoteBytes));
  r.note = note.value_or("");
  return r;
}

Result<services::MenuItemDraft> menu_item_draft(const Body& b) {
  services::MenuItemDraft d;
  QWL_ASSIGN_OR_RETURN(d.name_en, b.req_text("name_en", kMaxTextBytes));
  QWL_ASSIGN_OR_RETURN(d.name_zh, b.req_text("name_zh", kMaxTextBytes));
  QWL_ASSIGN_OR_RETURN(auto category_en, b.opt_text("category_en", kMaxTextBytes));
  QWL_ASSIGN_OR_RETURN(auto category_zh, b.opt_text("category_zh", kMaxTextBytes));
  QWL_ASSIGN_OR_RETURN(auto description_en, b.opt_text("description_en", kMaxTextBytes));
  QWL_ASSIGN_OR_RETURN(auto description_zh, b.opt_text("description_zh", kMaxTextBytes));
  d.category_en = category_en.value_or("");
  d.category_zh = category_zh.value_or("");
  d.description_en = description_en.value_or("");
  d.description_zh = description_zh.value_or("");
  QWL_ASSIGN_OR_RETURN(d.price, b.req_int("price", 0, services::kMaxAmount));
  QWL_ASSIGN_OR_RETURN(auto available, b.opt_bool("available"));
  d.available = available.value_or(true);
  QWL_ASSIGN_OR_RETURN(d.stock, b.opt_int("stock", 0, services::kMaxStock));
  QWL_ASSIGN_OR_RETURN(auto sort, b.opt_int("sort", -1'000'000, 1'000'000));
  d.sort = sort.value_or(0);
  return d;
}

Result<services::MenuItemPatch> menu_item_patch(const Body& b) {
  services::MenuItemPatch p;
  QWL_ASSIGN_OR_RETURN(p.name_en, b.opt_text("name_en", kMaxTextBytes));
  QWL_ASSIGN_OR_RETURN(p.name_zh, b.opt_text("name_zh", kMaxTextBytes));
  QWL_ASSIGN_OR_RETURN(p.category_en, b.opt_text("category_en", kMaxTextBytes));
  QWL_ASSIGN_OR_RETURN(p.category_zh, b.opt_text("category_zh", kMaxTextBytes));
  QWL_ASSIGN_OR_RETURN(p.description_en, b.opt_text("description_en", kMaxTextBytes));
  QWL_ASSIGN_OR_RETURN(p.description_zh, b.opt_text("description_zh", kMaxTextBytes));
  QWL_ASSIGN_OR_RETURN(p.price, b.opt_int("price", 0, services::kMaxAmount));
  QWL_ASSIGN_OR_RETURN(p.available, b.opt_bool("available"));
  // "stock": null makes the item made to order; a number sets the stock; absent keeps it.
  if (b.has_null("stock")) {
    p.stock = std::optional<int64_t>();
  } else {
    QWL_ASSIGN_OR_RETURN(std::optional<int64_t> stock, b.opt_int("stock", 0, services::kMaxStock));
    if (stock) p.stock = stock;
  }
  QWL_ASSIGN_OR_RETURN(p.sort, b.opt_int("sort", -1'000'000, 1'000'000));
  return p;
}

Result<services::OptionDraft> option_draft(const json& j, const std::string& at) {
  if (!j.is_object()) return bad_param(at, "expected an object, got {}", j.type_name());
  for (auto it = j.begin(); it != j.end(); ++it) {
    const std::string_view k = it.key();
    if (k != "name_en" && k != "name_zh" && k != "price_delta" && k != "is_default" && k != "sort")
      return bad_param(fmt::format("{}{}", at, shown(k)), "unknown field");
  }
  services::OptionDraft d;
  auto field = [&](std::string_view f) { return fmt::format("{}{}", at, f); };
  if (!j.contains("name_en") || j["name_en"].is_null())
    return bad_param(field("name_en"), "is required");
  QWL_ASSIGN_OR_RETURN(d.name_en, Body::text_value(j["name_en"], field("name_en"), kMaxTextBytes));
  if (!j.contains("name_zh") || j["name_zh"].is_null())
    return bad_param(field("name_zh"), "is required");
  QWL_ASSIGN_OR_RETURN(d.name_zh, Body::text_value(j["name_zh"], field("name_zh"), kMaxTextBytes));
  if (j.contains("price_delta") && !j["price_delta"].is_null()) {
    QWL_ASSIGN_OR_RETURN(d.price_delta,
                         Body::int_value(j["price_delta"], field("price_delta"),
                                         -services::kMaxAmount, services::kMaxAmount));
  }
  if (j.contains("is_default") && !j["is_default"].is_null()) {
    if (!j["is_default"].is_boolean())
      return bad_param(field("is_default"), "expected true or false");
    d.is_default = j["is_default"].get<bool>();
  }
  if (j.contains("sort") && !j["sort"].is_null()) {
    QWL_ASSIGN_OR_RETURN(d.sort, Body::int_value(j["sort"], field("sort"), -1'000'000, 1'000'000));
  }
  return d;
}

Result<services::VariantDraft> variant_draft(const json& j, const std::string& at) {
  if (!j.is_object()) return bad_param(at, "expected an object, got {}", j.type_name());
  for (auto it = j.begin(); it != j.end(); ++it) {
    const std::string_view k = it.key();
    if (k != "sku" && k != "name_en" && k != "name_zh" && k != "price" && k != "stock")
      return bad_param(fmt::format("{}{}", at, shown(k)), "unknown field");
  }
  services::VariantDraft d;
  auto field = [&](std::string_view f) { return fmt::format("{}{}", at, f); };
  if (!j.contains("sku") || j["sku"].is_null()) return bad_param(field("sku"), "is required");
  QWL_ASSIGN_OR_RETURN(d.sku, Body::text_value(j["sku"], field("sku"), 64));
  if (j.contains("name_en") && !j["name_en"].is_null()) {
    QWL_ASSIGN_OR_RETURN(d.name_en,
                         Body::text_value(j["name_en"], field("name_en"), kMaxTextBytes));
  }
  if (j.contains("name_zh") && !j["name_zh"].is_null()) {
    QWL_ASSIGN_OR_RETURN(d.name_zh,
                         Body::text_value(j["name_zh"], field("name_zh"), kMaxTextBytes));
  }
  if (!j.contains("price") || j["price"].is_null()) return bad_param(field("price"), "is required");
  QWL_ASSIGN_OR_RETURN(d.price,
                       Body::int_value(j["price"], field("price"), 0, services::kMaxAmount));
  if (j.contains("stock") && !j["stock"].is_null()) {
    QWL_ASSIGN_OR_RETURN(d.stock,
                         Body::int_value(j["stock"], field("stock"), 0, services::kMaxStock));
  }
  return d;
}

// ---- the routes ----------------------------------------------------------------------------

// The routes and what their handlers share. Each handler keeps the Routes alive (a
// shared_ptr in add()), so it lives exactly as long as the AppApi's routes do.
class Routes : public std::enable_shared_from_this<Routes> {
 public:
  Routes(AppApi& api, services::Orders& orders)
      : api_(api), orders_(orders), db_(orders.db()), clock_(orders.clock()) {}

  Status add_all() {
    QWL_RETURN_IF_ERROR(add_cart());
    QWL_RETURN_IF_ERROR(add_coupons());
    QWL_RETURN_IF_ERROR(add_orders());
    QWL_RETURN_IF_ERROR(add_wallet());
    QWL_RETURN_IF_ERROR(add_merchant());
    return add_editor();
  }

 private:
  Status add(http::Method method, std::string_view pattern, std::vector<std::string> params,
             Handler handler, AppRouteOptions options = {}) {
    if (options.max_body_bytes == 0) options.max_body_bytes = kSmallBody;
    Handler owned = [self = shared_from_this(), handler = std::move(handler)](
                        http::Request& req, const Caller& caller) { return handler(req, caller); };
    return api_.add_route(method, pattern, with_params(std::move(params), std::move(owned)),
                          std::move(options));
  }

  // ---- cart ----

  Status add_cart() {
    using http::Method;
    QWL_RETURN_IF_ERROR(add(
        Method::kGet, "/api/v1/cart", {"merchant_id"},
        [this](http::Request& req, const Caller& c) -> Result<http::Response> {
          QWL_RETURN_IF_ERROR(check_query(req, {"merchant_id"}));
          QWL_ASSIGN_OR_RETURN(int64_t merchant, query_int(req, "merchant_id", 0, 1, kMaxId));
          QWL_ASSIGN_OR_RETURN(services::Cart cart, services::list_cart(db_, c.actor, merchant));
          return json_response(cart_json(cart));
        }));
    QWL_RETURN_IF_ERROR(
        add(Method::kDelete, "/api/v1/cart", {"merchant_id"},
            [this](http::Request& req, const Caller& c) -> Result<http::Response> {
              QWL_RETURN_IF_ERROR(check_query(req, {"merchant_id"}));
              QWL_ASSIGN_OR_RETURN(int64_t merchant, query_int(req, "merchant_id", 0, 1, kMaxId));
              QWL_ASSIGN_OR_RETURN(int64_t removed, services::clear_cart(db_, c.actor, merchant));
              return json_response(json{{"object", "cart"}, {"deleted_lines", removed}});
            }));
    QWL_RETURN_IF_ERROR(
        add(Method::kPost, "/api/v1/cart/lines",
            {"menu_item_id", "variant_id", "option_ids", "option_words", "quantity"},
            [this](http::Request& req, const Caller& c) -> Result<http::Response> {
              QWL_ASSIGN_OR_RETURN(Body body,
                                   Body::parse(req, {"menu_item_id", "variant_id", "option_ids",
                                                     "option_words", "quantity"}));
              services::CartLineInput in;
              QWL_ASSIGN_OR_RETURN(std::optional<int64_t> item,
                                   body.opt_int("menu_item_id", 1, kMaxId));
              QWL_ASSIGN_OR_RETURN(std::optional<int64_t> variant,
                                   body.opt_int("variant_id", 1, kMaxId));
              if (item.has_value() == variant.has_value())
                return bad_param(item ? "variant_id" : "menu_item_id",
                                 "give exactly one of menu_item_id and variant_id");
              QWL_ASSIGN_OR_RETURN(std::optional<int64_t> quantity,
                                   body.opt_int("quantity", 1, services::kMaxLineQuantity));
              in.quantity = quantity.value_or(1);
              if (variant) {
                if (body.has("option_ids") || body.has("option_words"))
                  return bad_param(body.has("option_ids") ? "option_ids" : "option_words",
                                   "a product variant takes no options");
                in.variant_id = *variant;
              } else {
                in.menu_item_id = *item;
                QWL_ASSIGN_OR_RETURN(in.option_ids, chosen_options(db_, body, *item));
              }
              Result<services::CartLine> line = services::add_to_cart(db_, clock_, c.actor, in);
              if (!line.ok()) return blame_options(line.status(), body);
              return json_response(cart_line_json(*line), 201);
            }));
    QWL_RETURN_IF_ERROR(
        add(Method::kPatch, "/api/v1/cart/lines/{id}", {"quantity", "option_ids", "option_words"},
            [this](http::Request& req, const Caller& c) -> Result<http::Response> {
              QWL_ASSIGN_OR_RETURN(int64_t id, path_id(req, "id"));
              QWL_ASSIGN_OR_RETURN(Body body,
                                   Body::parse(req, {"quantity", "option_ids", "option_words"}));
              QWL_ASSIGN_OR_RETURN(std::optional<int64_t> quantity,
                                   body.opt_int("quantity", 1, services::kMaxLineQuantity));
              const bool options = body.has("option_ids") || body.has("option_words");
              if (!quantity && !options)
                return bad_param("quantity",
                                 "nothing to change: give quantity, option_ids or "
                                 "option_words");
              std::optional<services::CartLine> line;
              if (options) {
                // Option words belong to the line's menu item: find it in the caller's cart.
                QWL_ASSIGN_OR_RETURN(services::Cart cart, services::list_cart(db_, c.actor));
                int64_t item = -1;
                for (const services::MerchantCart& m : cart.merchants) {
                  for (const services::CartLine& l : m.lines) {
                    if (l.id == id) item = l.priced.menu_item_id;
                  }
                }
                if (item < 0) return NotFoundError("cart line {} not found", id);
                if (item == 0)
                  return bad_param(body.has("option_ids") ? "option_ids" : "option_words",
                                   "a product variant takes no options");
                QWL_ASSIGN_OR_RETURN(std::vector<int64_t> ids, chosen_options(db_, body, item));
                Result<services::CartLine> updated =
                    services::update_cart_line_options(db_, c.actor, id, ids);
                if (!updated.ok()) return blame_options(updated.status(), body);
                line = std::move(updated).value();
                id = line->id;  // it may have merged into an identical line
              }
              if (quantity) {
                QWL_ASSIGN_OR_RETURN(line, services::update_cart_line(db_, c.actor, id, *quantity));
              }
              return json_response(cart_line_json(*line));
            }));
    return add(Method::kDelete, "/api/v1/cart/lines/{id}", {},
               [this](http::Request& req, const Caller& c) -> Result<http::Response> {
                 QWL_ASSIGN_OR_RETURN(int64_t id, path_id(req, "id"));
                 QWL_RETURN_IF_ERROR(services::remove_cart_line(db_, c.actor, id));
                 return json_response(json{{"object", "cart_line"}, {"id", id}, {"deleted", true}});
               });
  }

  // ---- coupons ----

  Status add_coupons() {
    using http::Method;
    QWL_RETURN_IF_ERROR(add(
        Method::kGet, "/api/v1/coupons", {"merchant_id", "include_used"},
        [this](http::Request& req, const Caller& c) -> Result<http::Response> {
          QWL_RETURN_IF_ERROR(check_query(req, {"merchant_id", "include_used"}));
          QWL_ASSIGN_OR_RETURN(int64_t merchant, query_int(req, "merchant_id", 0, 1, kMaxId));
          QWL_ASSIGN_OR_RETURN(std::optional<bool> include_used, query_bool(req, "include_used"));
          QWL_ASSIGN_OR_RETURN(std::vector<services::UserCoupon> mine,
                               services::list_user_coupons(db_, c.actor, /*include_used=*/true));
          QWL_ASSIGN_OR_RETURN(std::vector<services::Coupon> claimable,
                               services::list_claimable_coupons(db_, clock_, merchant));
          json data = json::array();
          for (const services::UserCoupon& uc : mine) {
            if (uc.used_at_us != 0 && !include_used.value_or(false)) continue;
            data.push_back(user_coupon_json(uc));
          }
          for (const services::Coupon& coupon : claimable) {
            // One claim per user and coupon: those held already (used or not) are not offered.
            const bool held = std::any_of(mine.begin(), mine.end(), [&](const auto& uc) {
              return uc.coupon.id == coupon.id;
            });
            if (!held) data.push_back(claimable_coupon_json(coupon));
          }
          return json_response(list_json(std::move(data), false));
        }));
    return add(Method::kPost, "/api/v1/coupons/{id}/claim", {"id"},
               [this](http::Request& req, const Caller& c) -> Result<http::Response> {
                 QWL_ASSIGN_OR_RETURN(Body body, Body::parse(req, {}, /*empty_ok=*/true));
                 (void)body;
                 // {id} is the coupon's id, or its code ("LUNA5") as the agent and the web app show
                 // it.
                 std::string code(req.param("id"));
                 if (!code.empty() && std::all_of(code.begin(), code.end(),
                                                  [](char ch) { return ch >= '0' && ch <= '9'; })) {
                   QWL_ASSIGN_OR_RETURN(int64_t id, path_id(req, "id"));
                   QWL_RETURN_IF_ERROR(db_.read([&](Tx& tx) -> Status {
                     QWL_ASSIGN_OR_RETURN(Rows rows,
                                          tx.query("SELECT code FROM coupons WHERE id = ?", {id}));
                     if (rows.empty()) return NotFoundError("coupon {} not found", id);
                     code = rows[0].text(0);
                     return Status::Ok();
                   }));
                 } else if (code.empty() || code.size() > 64) {
                   return bad_param("id", "'{}' is not a coupon id or code", shown(code));
                 }
                 QWL_ASSIGN_OR_RETURN(services::UserCoupon uc,
                                      services::claim_coupon(db_, clock_, c.actor, code));
                 return json_response(user_coupon_json(uc), 201);
               });
  }

  // ---- checkout and orders ----

  Status add_orders() {
    using http::Method;
    const std::vector<std::string> checkout_params = names(kCheckoutFields);
    const std::vector<std::string> order_params = names(kOrderFields);
    QWL_RETURN_IF_ERROR(add(
        Method::kPost, "/api/v1/checkout/preview", checkout_params,
        [this](http::Request& req, const Caller& c) -> Result<http::Response> {
          QWL_ASSIGN_OR_RETURN(Body body, Body::parse(req, kCheckoutFields));
          QWL_ASSIGN_OR_RETURN(services::CheckoutRequest r, checkout_request(body));
          QWL_ASSIGN_OR_RETURN(services::CheckoutPreview p, orders_.preview_checkout(c.actor, r));
          return json_response(preview_json(p, r));
        }));
    QWL_RETURN_IF_ERROR(
        add(Method::kPost, "/api/v1/orders", order_params,
            [this](http::Request& req, const Caller& c) -> Result<http::Response> {
              QWL_ASSIGN_OR_RETURN(Body body, Body::parse(req, kOrderFields));
              QWL_ASSIGN_OR_RETURN(services::CheckoutRequest r, checkout_request(body));
              if (!body.has("expected_total"))
                return bad_param("expected_total",
                                 "is required: the total the user confirmed (from POST "
                                 "/api/v1/checkout/preview)");
              QWL_ASSIGN_OR_RETURN(r.expected_total,
                                   body.opt_int("expected_total", 0, services::kMaxAmount));
              if (c.idempotency_key.empty())
                return bad_param("Idempotency-Key",
                                 "is required: a checkout must be safe to retry (send a new random "
                                 "key per order, the same key when retrying)");
              r.idempotency_key = c.idempotency_key;
              QWL_ASSIGN_OR_RETURN(services::CheckoutResult result, orders_.checkout(c.actor, r));
              json out = order_json(result.order, true);
              out["coupons_explanation_en"] = result.coupons_explanation_en;
              out["coupons_explanation_zh"] = result.coupons_explanation_zh;
              return replayable(out, 201, result.replayed);
            }));
    QWL_RETURN_IF_ERROR(add(
        Method::kGet, "/api/v1/orders", {"status", "limit", "before"},
        [this](http::Request& req, const Caller& c) -> Result<http::Response> {
          QWL_RETURN_IF_ERROR(check_query(req, {"status", "limit", "before"}));
          services::OrderQuery q;
          QWL_ASSIGN_OR_RETURN(q.status, query_status(req));
          QWL_ASSIGN_OR_RETURN(int64_t limit,
                               query_int(req, "limit", kDefaultListLimit, 1, kMaxListLimit));
          QWL_ASSIGN_OR_RETURN(q.before_id, query_int(req, "before", 0, 1, kMaxId));
          q.limit = limit + 1;  // one more tells has_more
          QWL_ASSIGN_OR_RETURN(std::vector<services::Order> list, orders_.list_orders(c.actor, q));
          return json_response(orders_list_json(std::move(list), limit));
        }));
    QWL_RETURN_IF_ERROR(add(Method::kGet, "/api/v1/orders/{id}", {"id"},
                            [this](http::Request& req, const Caller& c) -> Result<http::Response> {
                              QWL_RETURN_IF_ERROR(check_query(req, {}));
                              QWL_ASSIGN_OR_RETURN(int64_t id, path_id(req, "id"));
                              QWL_ASSIGN_OR_RETURN(services::Order o,
                                                   orders_.get_order(c.actor, id));
                              return json_response(order_json(o, true));
                            }));
    QWL_RETURN_IF_ERROR(add(
        Method::kPost, "/api/v1/orders/{id}/cancel", {"reason"},
        [this](http::Request& req, const Caller& c) -> Result<http::Response> {
          QWL_ASSIGN_OR_RETURN(int64_t id, path_id(req, "id"));
          QWL_ASSIGN_OR_RETURN(Body body, Body::parse(req, {"reason"}, /*empty_ok=*/true));
          QWL_ASSIGN_OR_RETURN(std::optional<std::string> reason,
                               body.opt_text("reason", kMaxNoteBytes));
          QWL_ASSIGN_OR_RETURN(services::Order o, orders_.cancel(c.actor, id, reason.value_or("")));
          QWL_ASSIGN_OR_RETURN(o, orders_.get_order(c.actor, o.id));
          return json_response(order_json(o, true));
        }));
    QWL_RETURN_IF_ERROR(
        add(Method::kPost, "/api/v1/orders/{id}/refund", {"amount", "reason"},
            [this](http::Request& req, const Caller& c) -> Result<http::Response> {
              QWL_ASSIGN_OR_RETURN(int64_t id, path_id(req, "id"));
              QWL_ASSIGN_OR_RETURN(Body body, Body::parse(req, {"amount", "reason"}));
              QWL_ASSIGN_OR_RETURN(int64_t amount, body.req_int("amount", 1, services::kMaxAmount));
              QWL_ASSIGN_OR_RETURN(std::optional<std::string> reason,
                                   body.opt_text("reason", kMaxReasonBytes));
              QWL_ASSIGN_OR_RETURN(
                  services::RefundResult r,
                  orders_.refund(c.actor, id, amount, reason.value_or(""), c.idempotency_key));
              return replayable(json{{"object", "refund"},
                                     {"id", r.txn_id},
                                     {"order_id", r.order.id},
                                     {"amount", r.amount},
                                     {"currency", kCurrency},
                                     {"order", order_json(r.order, false)}},
                                201, r.replayed);
            },
            {.roles = {Role::kMerchant, Role::kAdmin}}));
    QWL_RETURN_IF_ERROR(
        add(Method::kPost, "/api/v1/orders/{id}/after-sales", {"kind", "reason", "amount"},
            [this](http::Request& req, const Caller& c) -> Result<http::Response> {
              QWL_ASSIGN_OR_RETURN(int64_t id, path_id(req, "id"));
              QWL_ASSIGN_OR_RETURN(Body body, Body::parse(req, {"kind", "reason", "amount"}));
              QWL_ASSIGN_OR_RETURN(std::string kind_text, body.req_text("kind", 16));
              services::AfterSaleKind kind;
              if (kind_text == "refund") {
                kind = services::AfterSaleKind::kRefund;
              } else if (kind_text == "complaint") {
                kind = services::AfterSaleKind::kComplaint;
              } else {
                return bad_param("kind", "'{}' is not refund or complaint", shown(kind_text));
              }
              QWL_ASSIGN_OR_RETURN(std::string reason, body.req_text("reason", kMaxReasonBytes));
              QWL_ASSIGN_OR_RETURN(std::optional<int64_t> amount,
                                   body.opt_int("amount", 0, services::kMaxAmount));
              if (kind == services::AfterSaleKind::kRefund && amount.value_or(0) == 0)
                return bad_param("amount", "a refund request needs an amount above zero");
              QWL_ASSIGN_OR_RETURN(
                  services::AfterSale a,
                  orders_.open_after_sale(c.actor, id, kind, reason, amount.value_or(0)));
              return json_response(after_sale_json(a), 201);
            }));
    auto list_after_sales = [this](const Caller& c, int64_t order) -> Result<http::Response> {
      QWL_ASSIGN_OR_RETURN(std::vector<services::AfterSale> list,
                           orders_.list_after_sales(c.actor, order));
      json data = json::array();
      for (const services::AfterSale& a : list) data.push_back(after_sale_json(a));
      return json_response(list_json(std::move(data), false));
    };
    QWL_RETURN_IF_ERROR(
        add(Method::kGet, "/api/v1/orders/{id}/after-sales", {},
            [list_after_sales](http::Request& req, const Caller& c) -> Result<http::Response> {
              QWL_RETURN_IF_ERROR(check_query(req, {}));
              QWL_ASSIGN_OR_RETURN(int64_t id, path_id(req, "id"));
              return list_after_sales(c, id);
            }));
    QWL_RETURN_IF_ERROR(
        add(Method::kGet, "/api/v1/after-sales", {"order_id"},
            [list_after_sales](http::Request& req, const Caller& c) -> Result<http::Response> {
              QWL_RETURN_IF_ERROR(check_query(req, {"order_id"}));
              if (!req.query_param("order_id")) return bad_param("order_id", "is required");
              QWL_ASSIGN_OR_RETURN(int64_t order, query_int(req, "order_id", 0, 1, kMaxId));
              return list_after_sales(c, order);
            }));
    return add(Method::kPost, "/api/v1/after-sales/{id}/resolve", {"decision", "resolution"},
               [this](http::Request& req, const Caller& c) -> Result<http::Response> {
                 QWL_ASSIGN_OR_RETURN(int64_t id, path_id(req, "id"));
                 QWL_ASSIGN_OR_RETURN(Body body, Body::parse(req, {"decision", "resolution"}));
                 QWL_ASSIGN_OR_RETURN(std::string decision, body.req_text("decision", 16));
                 if (decision != "approve" && decision != "reject")
                   return bad_param("decision", "'{}' is not approve or reject", shown(decision));
                 QWL_ASSIGN_OR_RETURN(std::optional<std::string> resolution,
                                      body.opt_text("resolution", kMaxReasonBytes));
                 if (decision == "reject" && resolution.value_or("").empty())
                   return bad_param("resolution", "is required to reject (tell the customer why)");
                 QWL_ASSIGN_OR_RETURN(services::AfterSale a,
                                      orders_.resolve_after_sale(c.actor, id, decision == "approve",
                                                                 resolution.value_or("")));
                 return json_response(after_sale_json(a));
               },
               {.roles = {Role::kMerchant, Role::kAdmin}});
  }

  // ---- wallet ----

  Status add_wallet() {
    using http::Method;
    QWL_RETURN_IF_ERROR(
        add(Method::kGet, "/api/v1/wallet", {"user_id"},
            [this](http::Request& req, const Caller& c) -> Result<http::Response> {
              QWL_RETURN_IF_ERROR(check_query(req, {"user_id"}));
              QWL_ASSIGN_OR_RETURN(int64_t user, query_int(req, "user_id", 0, 1, kMaxId));
              QWL_ASSIGN_OR_RETURN(services::Wallet w,
                                   services::get_wallet(db_, clock_, c.actor, user));
              return json_response(wallet_json(w));
            }));
    QWL_RETURN_IF_ERROR(add(
        Method::kPost, "/api/v1/wallet/top-up", {"amount"},
        [this](http::Request& req, const Caller& c) -> Result<http::Response> {
          QWL_ASSIGN_OR_RETURN(Body body, Body::parse(req, {"amount"}));
          QWL_ASSIGN_OR_RETURN(int64_t amount,
                               body.req_int("amount", services::kMinTopUp, services::kMaxTopUp));
          QWL_ASSIGN_OR_RETURN(services::TopUpResult r,
                               services::top_up(db_, clock_, c.actor, amount, c.idempotency_key));
          return replayable(json{{"object", "top_up"},
                                 {"id", r.txn_id},
                                 {"amount", r.amount},
                                 {"balance", r.balance},
                                 {"currency", kCurrency}},
                            201, r.replayed);
        }));
    QWL_RETURN_IF_ERROR(
        add(Method::kGet, "/api/v1/wallet/history", {"limit", "before", "user_id"},
            [this](http::Request& req, const Caller& c) -> Result<http::Response> {
              QWL_RETURN_IF_ERROR(check_query(req, {"limit", "before", "user_id"}));
              QWL_ASSIGN_OR_RETURN(int64_t limit,
                                   query_int(req, "limit", kDefaultListLimit, 1, kMaxListLimit));
              QWL_ASSIGN_OR_RETURN(int64_t before, query_int(req, "before", 0, 1, kMaxId));
              QWL_ASSIGN_OR_RETURN(int64_t user, query_int(req, "user_id", 0, 1, kMaxId));
              QWL_ASSIGN_OR_RETURN(std::vector<services::WalletEntry> entries,
                                   services::wallet_history(db_, c.actor, limit + 1, before, user));
              const bool has_more = static_cast<int64_t>(entries.size()) > limit;
              if (has_more) entries.resize(static_cast<size_t>(limit));
              json data = json::array();
              for (const services::WalletEntry& e : entries) data.push_back(wallet_entry_json(e));
              return json_response(list_json(std::move(data), has_more));
            }));
    return add(Method::kPut, "/api/v1/wallet/limit", {"daily_spend_limit"},
               [this](http::Request& req, const Caller& c) -> Result<http::Response> {
                 QWL_ASSIGN_OR_RETURN(Body body, Body::parse(req, {"daily_spend_limit"}));
                 // null clears the limit; the field itself must be there (PUT sets it).
                 if (!body.has("daily_spend_limit") && !body.has_null("daily_spend_limit"))
                   return bad_param("daily_spend_limit",
                                    "is required (fen per local day, or null for no limit)");
                 QWL_ASSIGN_OR_RETURN(std::optional<int64_t> limit,
                                      body.opt_int("daily_spend_limit", 0, services::kMaxAmount));
                 QWL_RETURN_IF_ERROR(services::set_daily_spend_limit(db_, c.actor, limit));
                 QWL_ASSIGN_OR_RETURN(services::Wallet w,
                                      services::get_wallet(db_, clock_, c.actor));
                 return json_response(wallet_json(w));
               });
  }

  // ---- merchants: stores and their orders ----

  Status add_merchant() {
    using http::Method;
    const AppRouteOptions merchants{.roles = {Role::kMerchant, Role::kAdmin}};
    QWL_RETURN_IF_ERROR(add(
        Method::kGet, "/api/v1/merchant/stores", {},
        [this](http::Request& req, const Caller& c) -> Result<http::Response> {
          QWL_RETURN_IF_ERROR(check_query(req, {}));
          QWL_ASSIGN_OR_RETURN(std::vector<services::MerchantSummary> stores,
                               services::list_managed_merchants(db_, c.actor));
          json data = json::array();
          for (const services::MerchantSummary& m : stores) data.push_back(merchant_json(m));
          return json_response(list_json(std::move(data), false));
        },
        merchants));
    QWL_RETURN_IF_ERROR(add(
        Method::kGet, "/api/v1/merchant/orders", {"merchant_id", "status", "limit", "before"},
        [this](http::Request& req, const Caller& c) -> Result<http::Response> {
          QWL_RETURN_IF_ERROR(check_query(req, {"merchant_id", "status", "limit", "before"}));
          if (!req.query_param("merchant_id")) return bad_param("merchant_id", "is required");
          QWL_ASSIGN_OR_RETURN(int64_t merchant, query_int(req, "merchant_id", 0, 1, kMaxId));
          services::OrderQuery q;
          QWL_ASSIGN_OR_RETURN(q.status, query_status(req));
          QWL_ASSIGN_OR_RETURN(int64_t limit,
                               query_int(req, "limit", kDefaultListLimit, 1, kMaxListLimit));
          QWL_ASSIGN_OR_RETURN(q.before_id, query_int(req, "before", 0, 1, kMaxId));
          q.limit = limit + 1;
          QWL_ASSIGN_OR_RETURN(std::vector<services::Order> list,
                               orders_.list_merchant_orders(c.actor, merchant, q));
          return json_response(orders_list_json(std::move(list), limit));
        },
        merchants));
    return add(
        Method::kPost, "/api/v1/merchant/orders/{id}/advance", {"to", "note"},
        [this](http::Request& req, const Caller& c) -> Result<http::Response> {
          QWL_ASSIGN_OR_RETURN(int64_t id, path_id(req, "id"));
          QWL_ASSIGN_OR_RETURN(Body body, Body::parse(req, {"to", "note"}));
          QWL_ASSIGN_OR_RETURN(std::string to, body.req_text("to", 32));
          QWL_ASSIGN_OR_RETURN(std::optional<std::string> note,
                               body.opt_text("note", kMaxNoteBytes));
          services::Order o;
          if (to == "rejected") {
            // Rejecting is the merchant's cancellation (refunds, stock and coupons restored).
            QWL_ASSIGN_OR_RETURN(
                o, orders_.cancel(c.actor, id,
                                  note && !note->empty() ? *note : "rejected by the merchant"));
          } else {
            const std::optional<services::OrderStatus> status = services::parse_order_status(to);
            if (!status || *status == services::OrderStatus::kPlaced ||
                *status == services::OrderStatus::kCancelled ||
                *status == services::OrderStatus::kRefunded)
              return bad_param("to",
                               "'{}' is not one of accepted, preparing, on_the_way, delivered, "
                               "rejected",
                               shown(to));
            QWL_ASSIGN_OR_RETURN(o, orders_.advance(c.actor, id, *status, note.value_or("")));
          }
          QWL_ASSIGN_OR_RETURN(o, orders_.get_order(c.actor, o.id));
          return json_response(order_json(o, true));
        },
        merchants);
  }

  // ---- merchants: the menu and product editor ----

  Status add_editor() {
    using http::Method;
    const AppRouteOptions editor{.roles = {Role::kMerchant, Role::kAdmin},
                                 .max_body_bytes = kEditorBody};
    const std::vector<std::string> item_params = names(kItemFields);
    const std::vector<std::string> group_params = names(kGroupFields);
    const std::vector<std::string> option_params = names(kOptionFields);
    const std::vector<std::string> product_params = names(kProductFields);
    const std::vector<std::string> variant_params = names(kVariantFields);
    auto item_response = [](const services::MenuItem& item, int status = 200) {
      return json_response(menu_item_json(item), status);
    };

    QWL_RETURN_IF_ERROR(add(
        Method::kGet, "/api/v1/merchant/stores/{id}/menu", {},
        [this](http::Request& req, const Caller& c) -> Result<http::Response> {
          QWL_RETURN_IF_ERROR(check_query(req, {}));
          QWL_ASSIGN_OR_RETURN(int64_t id, path_id(req, "id"));
          QWL_RETURN_IF_ERROR(check_manages(c, id));
          QWL_ASSIGN_OR_RETURN(std::vector<services::MenuItem> menu,
                               services::get_menu(db_, id, /*include_unavailable=*/true));
          json data = json::array();
          for (const services::MenuItem& item : menu) data.push_back(menu_item_json(item));
          return json_response(list_json(std::move(data), false));
        },
        editor));
    QWL_RETURN_IF_ERROR(add(
        Method::kPost, "/api/v1/merchant/stores/{id}/menu-items", item_params,
        [this, item_response](http::Request& req, const Caller& c) -> Result<http::Response> {
          QWL_ASSIGN_OR_RETURN(int64_t id, path_id(req, "id"));
          QWL_ASSIGN_OR_RETURN(Body body, Body::parse(req, kItemFields));
          QWL_ASSIGN_OR_RETURN(services::MenuItemDraft d, menu_item_draft(body));
          QWL_ASSIGN_OR_RETURN(services::MenuItem item,
                               services::create_menu_item(db_, clock_, c.actor, id, d));
          return item_response(item, 201);
        },
        editor));
    QWL_RETURN_IF_ERROR(add(
        Method::kPatch, "/api/v1/merchant/menu-items/{id}", item_params,
        [this, item_response](http::Request& req, const Caller& c) -> Result<http::Response> {
          QWL_ASSIGN_OR_RETURN(int64_t id, path_id(req, "id"));
          QWL_ASSIGN_OR_RETURN(Body body, Body::parse(req, kItemFields));
          QWL_ASSIGN_OR_RETURN(services::MenuItemPatch p, menu_item_patch(body));
          QWL_ASSIGN_OR_RETURN(services::MenuItem item,
                               services::update_menu_item(db_, clock_, c.actor, id, p));
          return item_response(item);
        },
        editor));
    QWL_RETURN_IF_ERROR(add(
        Method::kPost, "/api/v1/merchant/menu-items/{id}/option-groups", group_params,
        [this, item_response](http::Request& req, const Caller& c) -> Result<http::Response> {
          QWL_ASSIGN_OR_RETURN(int64_t id, path_id(req, "id"));
          QWL_ASSIGN_OR_RETURN(Body body, Body::parse(req, kGroupFields));
          services::OptionGroupDraft d;
          QWL_ASSIGN_OR_RETURN(d.key, body.req_text("key", 64));
          QWL_ASSIGN_OR_RETURN(d.name_en, body.req_text("name_en", kMaxTextBytes));
          QWL_ASSIGN_OR_RETURN(d.name_zh, body.req_text("name_zh", kMaxTextBytes));
          QWL_ASSIGN_OR_RETURN(auto min_choices, body.opt_int("min_choices", 0, 50));
          QWL_ASSIGN_OR_RETURN(auto max_choices, body.opt_int("max_choices", 1, 50));
          QWL_ASSIGN_OR_RETURN(auto sort, body.opt_int("sort", -1'000'000, 1'000'000));
          d.min_choices = min_choices.value_or(0);
          d.max_choices = max_choices.value_or(1);
          d.sort = sort.value_or(0);
          if (body.has("options")) {
            const json& list = body.raw()["options"];
            if (!list.is_array())
              return bad_param("options", "expected a list of options, got {}", list.type_name());
            if (list.size() > kMaxGroupOptions)
              return bad_param("options", "holds {} options, at most {}", list.size(),
                               kMaxGroupOptions);
            for (size_t i = 0; i < list.size(); ++i) {
              QWL_ASSIGN_OR_RETURN(services::OptionDraft o,
                                   option_draft(list[i], fmt::format("options[{}].", i)));
              d.options.push_back(std::move(o));
            }
          }
          QWL_ASSIGN_OR_RETURN(services::MenuItem item,
                               services::add_option_group(db_, clock_, c.actor, id, d));
          return item_response(item, 201);
        },
        editor));
    QWL_RETURN_IF_ERROR(add(
        Method::kPatch, "/api/v1/merchant/option-groups/{id}", group_params,
        [this, item_response](http::Request& req, const Caller& c) -> Result<http::Response> {
          QWL_ASSIGN_OR_RETURN(int64_t id, path_id(req, "id"));
          QWL_ASSIGN_OR_RETURN(Body body, Body::parse(req, {"name_en", "name_zh", "min_choices",
                                                            "max_choices", "sort"}));
          services::OptionGroupPatch p;
          QWL_ASSIGN_OR_RETURN(p.name_en, body.opt_text("name_en", kMaxTextBytes));
          QWL_ASSIGN_OR_RETURN(p.name_zh, body.opt_text("name_zh", kMaxTextBytes));
          QWL_ASSIGN_OR_RETURN(p.min_choices, body.opt_int("min_choices", 0, 50));
          QWL_ASSIGN_OR_RETURN(p.max_choices, body.opt_int("max_choices", 1, 50));
          QWL_ASSIGN_OR_RETURN(p.sort, body.opt_int("sort", -1'000'000, 1'000'000));
          QWL_ASSIGN_OR_RETURN(services::MenuItem item,
                               services::update_option_group(db_, clock_, c.actor, id, p));
          return item_response(item);
        },
        editor));
    QWL_RETURN_IF_ERROR(add(
        Method::kDelete, "/api/v1/merchant/option-groups/{id}", {},
        [this, item_response](http::Request& req, const Caller& c) -> Result<http::Response> {
          QWL_ASSIGN_OR_RETURN(int64_t id, path_id(req, "id"));
          QWL_ASSIGN_OR_RETURN(services::MenuItem item,
                               services::remove_option_group(db_, clock_, c.actor, id));
          return item_response(item);
        },
        editor));
    QWL_RETURN_IF_ERROR(add(
        Method::kPost, "/api/v1/merchant/option-groups/{id}/options", option_params,
        [this, item_response](http::Request& req, const Caller& c) -> Result<http::Response> {
          QWL_ASSIGN_OR_RETURN(int64_t id, path_id(req, "id"));
          QWL_ASSIGN_OR_RETURN(Body body, Body::parse(req, kOptionFields));
          QWL_ASSIGN_OR_RETURN(services::OptionDraft d, option_draft(body.raw(), ""));
          QWL_ASSIGN_OR_RETURN(services::MenuItem item,
                               services::add_option(db_, clock_, c.actor, id, d));
          return item_response(item, 201);
        },
        editor));
    QWL_RETURN_IF_ERROR(add(
        Method::kPatch, "/api/v1/merchant/options/{id}", option_params,
        [this, item_response](http::Request& req, const Caller& c) -> Result<http::Response> {
          QWL_ASSIGN_OR_RETURN(int64_t id, path_id(req, "id"));
          QWL_ASSIGN_OR_RETURN(Body body, Body::parse(req, kOptionFields));
          services::OptionPatch p;
          QWL_ASSIGN_OR_RETURN(p.name_en, body.opt_text("name_en", kMaxTextBytes));
          QWL_ASSIGN_OR_RETURN(p.name_zh, body.opt_text("name_zh", kMaxTextBytes));
          QWL_ASSIGN_OR_RETURN(p.price_delta, body.opt_int("price_delta", -services::kMaxAmount,
                                                           services::kMaxAmount));
          QWL_ASSIGN_OR_RETURN(p.is_default, body.opt_bool("is_default"));
          QWL_ASSIGN_OR_RETURN(p.sort, body.opt_int("sort", -1'000'000, 1'000'000));
          QWL_ASSIGN_OR_RETURN(services::MenuItem item,
                               services::update_option(db_, clock_, c.actor, id, p));
          return item_response(item);
        },
        editor));
    QWL_RETURN_IF_ERROR(add(
        Method::kDelete, "/api/v1/merchant/options/{id}", {},
        [this, item_response](http::Request& req, const Caller& c) -> Result<http::Response> {
          QWL_ASSIGN_OR_RETURN(int64_t id, path_id(req, "id"));
          QWL_ASSIGN_OR_RETURN(services::MenuItem item,
                               services::remove_option(db_, clock_, c.actor, id));
          return item_response(item);
        },
        editor));

    // Products and variants.
    QWL_RETURN_IF_ERROR(add(
        Method::kGet, "/api/v1/merchant/stores/{id}/products", {"limit", "after"},
        [this](http::Request& req, const Caller& c) -> Result<http::Response> {
          QWL_RETURN_IF_ERROR(check_query(req, {"limit", "after"}));
          QWL_ASSIGN_OR_RETURN(int64_t id, path_id(req, "id"));
          QWL_ASSIGN_OR_RETURN(int64_t limit,
                               query_int(req, "limit", kDefaultListLimit, 1, kMaxListLimit));
          QWL_ASSIGN_OR_RETURN(int64_t after, query_int(req, "after", 0, 1, kMaxId));
          QWL_ASSIGN_OR_RETURN(
              std::vector<services::Product> products,
              services::list_merchant_products(db_, c.actor, id, limit + 1, after));
          const bool has_more = static_cast<int64_t>(products.size()) > limit;
          if (has_more) products.resize(static_cast<size_t>(limit));
          json data = json::array();
          for (const services::Product& p : products) data.push_back(product_json(p));
          return json_response(list_json(std::move(data), has_more));
        },
        editor));
    QWL_RETURN_IF_ERROR(add(
        Method::kPost, "/api/v1/merchant/stores/{id}/products", product_params,
        [this](http::Request& req, const Caller& c) -> Result<http::Response> {
          QWL_ASSIGN_OR_RETURN(int64_t id, path_id(req, "id"));
          QWL_ASSIGN_OR_RETURN(Body body, Body::parse(req, kProductFields));
          services::ProductDraft d;
          QWL_ASSIGN_OR_RETURN(d.category_id, body.req_int("category_id", 1, kMaxId));
          QWL_ASSIGN_OR_RETURN(auto brand, body.opt_int("brand_id", 1, kMaxId));
          d.brand_id = brand.value_or(0);
          QWL_ASSIGN_OR_RETURN(d.name_en, body.req_text("name_en", kMaxTextBytes));
          QWL_ASSIGN_OR_RETURN(d.name_zh, body.req_text("name_zh", kMaxTextBytes));
          QWL_ASSIGN_OR_RETURN(auto description_en, body.opt_text("description_en", kMaxTextBytes));
          QWL_ASSIGN_OR_RETURN(auto description_zh, body.opt_text("description_zh", kMaxTextBytes));
          d.description_en = description_en.value_or("");
          d.description_zh = description_zh.value_or("");
          QWL_ASSIGN_OR_RETURN(auto listed, body.opt_bool("listed"));
          d.listed = listed.value_or(true);
          if (!body.has("variants")) return bad_param("variants", "is required (at least one)");
          const json& list = body.raw()["variants"];
          if (!list.is_array() || list.empty() || list.size() > kMaxVariants)
            return bad_param("variants", "expected a list of 1 to {} variants", kMaxVariants);
          for (size_t i = 0; i < list.size(); ++i) {
            QWL_ASSIGN_OR_RETURN(services::VariantDraft v,
                                 variant_draft(list[i], fmt::format("variants[{}].", i)));
            d.variants.push_back(std::move(v));
          }
          QWL_ASSIGN_OR_RETURN(services::Product p,
                               services::create_product(db_, clock_, c.actor, id, d));
          return json_response(product_json(p), 201);
        },
        editor));
    QWL_RETURN_IF_ERROR(add(
        Method::kPatch, "/api/v1/merchant/products/{id}", product_params,
        [this](http::Request& req, const Caller& c) -> Result<http::Response> {
          QWL_ASSIGN_OR_RETURN(int64_t id, path_id(req, "id"));
          QWL_ASSIGN_OR_RETURN(Body body, Body::parse(req, {"name_en", "name_zh", "description_en",
                                                            "description_zh", "listed"}));
          services::ProductPatch p;
          QWL_ASSIGN_OR_RETURN(p.name_en, body.opt_text("name_en", kMaxTextBytes));
          QWL_ASSIGN_OR_RETURN(p.name_zh, body.opt_text("name_zh", kMaxTextBytes));
          QWL_ASSIGN_OR_RETURN(p.description_en, body.opt_text("description_en", kMaxTextBytes));
          QWL_ASSIGN_OR_RETURN(p.description_zh, body.opt_text("description_zh", kMaxTextBytes));
          QWL_ASSIGN_OR_RETURN(p.listed, body.opt_bool("listed"));
          QWL_ASSIGN_OR_RETURN(services::Product product,
                               services::update_product(db_, clock_, c.actor, id, p));
          return json_response(product_json(product));
        },
        editor));
    QWL_RETURN_IF_ERROR(add(
        Method::kPost, "/api/v1/merchant/products/{id}/variants", variant_params,
        [this](http::Request& req, const Caller& c) -> Result<http::Response> {
          QWL_ASSIGN_OR_RETURN(int64_t id, path_id(req, "id"));
          QWL_ASSIGN_OR_RETURN(Body body, Body::parse(req, kVariantFields));
          QWL_ASSIGN_OR_RETURN(services::VariantDraft d, variant_draft(body.raw(), ""));
          QWL_ASSIGN_OR_RETURN(services::Product p,
                               services::add_variant(db_, clock_, c.actor, id, d));
          return json_response(product_json(p), 201);
        },
        editor));
    return add(
        Method::kPatch, "/api/v1/merchant/variants/{id}", variant_params,
        [this](http::Request& req, const Caller& c) -> Result<http::Response> {
          QWL_ASSIGN_OR_RETURN(int64_t id, path_id(req, "id"));
          QWL_ASSIGN_OR_RETURN(Body body,
                               Body::parse(req, {"name_en", "name_zh", "price", "stock"}));
          services::VariantPatch p;
          QWL_ASSIGN_OR_RETURN(p.name_en, body.opt_text("name_en", kMaxTextBytes));
          QWL_ASSIGN_OR_RETURN(p.name_zh, body.opt_text("name_zh", kMaxTextBytes));
          QWL_ASSIGN_OR_RETURN(p.price, body.opt_int("price", 0, services::kMaxAmount));
          QWL_ASSIGN_OR_RETURN(p.stock, body.opt_int("stock", 0, services::kMaxStock));
          QWL_ASSIGN_OR_RETURN(services::Product product,
                               services::update_variant(db_, clock_, c.actor, id, p));
          return json_response(product_json(product));
        },
        editor);
  }

  // NotFound unless the caller manages store `merchant_id` (its owner, or an admin): the
  // editor's menu lists unavailable items too, which only the store's people see.
  Status check_manages(const Caller& c, int64_t merchant_id) {
    QWL_ASSIGN_OR_RETURN(std::vector<services::MerchantSummary> stores,
                         services::list_managed_merchants(db_, c.actor));
    for (const services::MerchantSummary& m : stores) {
      if (m.id == merchant_id) return Status::Ok();
    }
    return NotFoundError("merchant {} not found", merchant_id);
  }

  AppApi& api_;
  services::Orders& orders_;
  Db& db_;
  const Clock& clock_;
};

}  // namespace

Status add_commerce_routes(AppApi& api, services::Orders& orders) {
  return std::make_shared<Routes>(api, orders)->add_all();
}

}  // namespace qwl::app
