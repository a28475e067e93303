// The places index (see maps_index.h).
#include "services/maps_index.h"

#include <string.h>  // memmem (GNU)

#include <algorithm>
#include <limits>
#include <unordered_map>

#include "services/city_time.h"

namespace qwl::services {
namespace {

constexpr double kPlaceGridCellM = 250;
constexpr int64_t kRowsPerPage = 20'000;

char ascii_lower(char c) {
  return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}

// Lowered (ASCII), trimmed, with the index's separators turned into spaces.
std::string normalize(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t' || text.front() == '\n' ||
                           text.front() == '\r')) {
    text.remove_prefix(1);
  }
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t' || text.back() == '\n' ||
                           text.back() == '\r')) {
    text.remove_suffix(1);
  }
  std::string out(text);
  for (char& c : out) {
    c = (c == '\n' || c == '\t' || c == '\r') ? ' ' : ascii_lower(c);
  }
  return out;
}

// The same bytes as `name` (so lengths agree), lowered, separators replaced.
std::string lowered_name(std::string_view name) {
  std::string out(name);
  for (char& c : out) c = (c == '\n' || c == '\t' || c == '\r') ? ' ' : ascii_lower(c);
  return out;
}

bool is_word_boundary(char c) {
  const unsigned char u = static_cast<unsigned char>(c);
  return u < 0x80 && !((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'));
}

double real_of(const Value& v) {
  return v.type() == Value::Type::kInt64 ? static_cast<double>(v.int64()) : v.real();
}

int64_t int_or_zero(const Value& v) {
  return v.is_null() ? 0 : v.int64();
}

}  // namespace

std::string_view poi_kind_name(PoiKind kind) {
  static constexpr std::string_view kNames[kPoiKinds] = {
      "cafe",  "tea",    "restaurant", "supermarket", "pharmacy", "hotel", "cinema",
      "sight", "office", "residence",  "station",     "airport",  "shop"};
  return kNames[static_cast<int>(kind)];
}

std::optional<PoiKind> parse_poi_kind(std::string_view text) {
  struct Word {
    std::string_view word;
    PoiKind kind;
  };
  static constexpr Word kWords[] = {
      {"cafes", PoiKind::kCafe},
      {"café", PoiKind::kCafe},
      {"cafés", PoiKind::kCafe},
      {"coffee", PoiKind::kCafe},
      {"coffee shop", PoiKind::kCafe},
      {"coffee shops", PoiKind::kCafe},
      {"咖啡", PoiKind::kCafe},
      {"咖啡馆", PoiKind::kCafe},
      {"咖啡店", PoiKind::kCafe},
      {"teahouse", PoiKind::kTea},
      {"tea shop", PoiKind::kTea},
      {"tea shops", PoiKind::kTea},
      {"milk tea", PoiKind::kTea},
      {"bubble tea", PoiKind::kTea},
      {"茶", PoiKind::kTea},
      {"茶馆", PoiKind::kTea},
      {"奶茶", PoiKind::kTea},
      {"奶茶店", PoiKind::kTea},
      {"茶饮", PoiKind::kTea},
      {"restaurants", PoiKind::kRestaurant},
      {"food", PoiKind::kRestaurant},
      {"dining", PoiKind::kRestaurant},
      {"餐厅", PoiKind::kRestaurant},
      {"饭店", PoiKind::kRestaurant},
      {"饭馆", PoiKind::kRestaurant},
      {"餐馆", PoiKind::kRestaurant},
      {"美食", PoiKind::kRestaurant},
      {"supermarkets", PoiKind::kSupermarket},
      {"grocery", PoiKind::kSupermarket},
      {"groceries", PoiKind::kSupermarket},
      {"超市", PoiKind::kSupermarket},
      {"pharmacies", PoiKind::kPharmacy},
      {"drugstore", PoiKind::kPharmacy},
      {"chemist", PoiKind::kPharmacy},
      {"药店", PoiKind::kPharmacy},
      {"药房", PoiKind::kPharmacy},
      {"hotels", PoiKind::kHotel},
      {"酒店", PoiKind::kHotel},
      {"宾馆", PoiKind::kHotel},
      {"旅馆", PoiKind::kHotel},
      {"cinemas", PoiKind::kCinema},
      {"movies", PoiKind::kCinema},
      {"movie theater", PoiKind::kCinema},
      {"电影院", PoiKind::kCinema},
      {"影院", PoiKind::kCinema},
      {"sights", PoiKind::kSight},
      {"attraction", PoiKind::kSight},
      {"attractions", PoiKind::kSight},
      {"sightseeing", PoiKind::kSight},
      {"景点", PoiKind::kSight},
      {"景区", PoiKind::kSight},
      {"offices", PoiKind::kOffice},
      {"写字楼", PoiKind::kOffice},
      {"办公楼", PoiKind::kOffice},
      {"residences", PoiKind::kResidence},
      {"小区", PoiKind::kResidence},
      {"住宅", PoiKind::kResidence},
      {"stations", PoiKind::kStation},
      {"metro", PoiKind::kStation},
      {"subway", PoiKind::kStation},
      {"train station", PoiKind::kStation},
      {"车站", PoiKind::kStation},
      {"地铁站", PoiKind::kStation},
      {"火车站", PoiKind::kStation},
      {"airports", PoiKind::kAirport},
      {"机场", PoiKind::kAirport},
      {"shops", PoiKind::kShop},
      {"store", PoiKind::kShop},
      {"stores", PoiKind::kShop},
      {"商店", PoiKind::kShop},
      {"店铺", PoiKind::kShop},
  };
  const std::string t = normalize(text);
  for (int k = 0; k < kPoiKinds; ++k) {
    if (t == poi_kind_name(static_cast<PoiKind>(k))) return static_cast<PoiKind>(k);
  }
  for (const Word& w : kWords) {
    if (t == w.word) return w.kind;
  }
  return std::nullopt;
}

std::string_view name_match_name(NameMatch match) {
  switch (match) {
    case NameMatch::kExact:
      return "exact";
    case NameMatch::kPrefix:
      return "prefix";
    case NameMatch::kWordPrefix:
      return "word_prefix";
    case NameMatch::kContains:
      return "contains";
  }
  return "unknown";
}

Result<std::shared_ptr<const MapIndex>> MapIndex::build(std::vector<PoiInput> pois) {
  if (pois.size() >= std::numeric_limits<uint32_t>::max()) {
    return InvalidArgumentError("pois: {} places: above the 32-bit limit", pois.size());
  }
  std::shared_ptr<MapIndex> x(new MapIndex());
  std::vector<LatLon> at(pois.size());
  for (size_t i = 0; i < pois.size(); ++i) {
    const PoiInput& p = pois[i];
    QWL_RETURN_IF_ERROR(check_lat_lon(p.at, fmt::format("pois {}", p.id)));
    if (p.rating_x10 < 0 || p.rating_x10 > 50) {
      return InvalidArgumentError("pois {}: rating_x10 {} outside [0, 50]", p.id, p.rating_x10);
    }
    if (p.price_level < 0 || p.price_level > 4) {
      return InvalidArgumentError("pois {}: price_level {} outside [0, 4]", p.id, p.price_level);
    }
    for (const OpeningHours& h : p.hours) {
      if (h.weekday > 6 || h.open_min > 1439 || h.close_min <= h.open_min || h.close_min > 2880) {
        return InvalidArgumentError("poi_hours of poi {}: weekday {} {}-{} is not a valid range",
                                    p.id, h.weekday, h.open_min, h.close_min);
      }
    }
    at[i] = p.at;
  }
  std::vector<uint32_t> order;
  x->grid_ = PointGrid::build(at, kPlaceGridCellM, &order);
  const size_t n = pois.size();
  x->ids_.resize(n);
  x->xyz_.resize(n);
  x->at_.resize(n);
  x->kind_.resize(n);
  x->rating_x10_.resize(n);
  x->price_level_.resize(n);
  x->review_count_.resize(n);
  x->cuisine_.resize(n);
  x->district_id_.resize(n);
  x->node_id_.resize(n);
  x->name_en_.resize(n);
  x->name_zh_.resize(n);
  x->hours_begin_.assign(n + 1, 0);
  x->text_start_.resize(n);
  x->id_to_index_.resize(n);
  std::unordered_map<std::string, uint32_t> cuisine_index;
  for (uint32_t i = 0; i < n; ++i) {
    PoiInput& p = pois[order[i]];
    x->ids_[i] = p.id;
    x->xyz_[i] = earth_point(p.at);
    x->at_[i] = p.at;
    x->kind_[i] = static_cast<uint8_t>(p.kind);
    x->rating_x10_[i] = static_cast<uint8_t>(p.rating_x10);
    x->price_level_[i] = static_cast<uint8_t>(p.price_level);
    x->review_count_[i] = static_cast<uint32_t>(
        std::clamp<int64_t>(p.review_count, 0, std::numeric_limits<uint32_t>::max()));
    auto [it, inserted] = cuisine_index.try_emplace(p.cuisine, x->cuisines_.size());
    if (inserted) {
      x->cuisines_.push_back(p.cuisine);
      x->cuisines_lower_.push_back(normalize(p.cuisine));
    }
    x->cuisine_[i] = it->second;
    x->district_id_[i] = p.district_id;
    x->node_id_[i] = p.node_id;
    x->text_start_[i] = static_cast<uint32_t>(x->text_.size());
    x->text_.push_back('\n');
    x->text_ += lowered_name(p.name_en);
    x->text_.push_back('\t');
    x->text_ += lowered_name(p.name_zh);
    x->name_en_[i] = std::move(p.name_en);
    x->name_zh_[i] = std::move(p.name_zh);
    x->hours_.insert(x->hours_.end(), p.hours.begin(), p.hours.end());
    x->hours_begin_[i + 1] = static_cast<uint32_t>(x->hours_.size());
    x->id_to_index_[i] = {p.id, i};
  }
  std::sort(x->id_to_index_.begin(), x->id_to_index_.end());
  for (size_t i = 1; i < n; ++i) {
    if (x->id_to_index_[i].first == x->id_to_index_[i - 1].first) {
      return InvalidArgumentError("pois {}: duplicate id", x->id_to_index_[i].first);
    }
  }
  return std::shared_ptr<const MapIndex>(std::move(x));
}

Result<std::shared_ptr<const MapIndex>> MapIndex::load(Tx& tx) {
  std::vector<PoiInput> pois;
  // Pages of places by id (keyset), then the hours of exactly that id range.
  for (int64_t after = std::numeric_limits<int64_t>::min();;) {
    QWL_ASSIGN_OR_RETURN(
        Rows rows, tx.query("SELECT id, kind, name_en, name_zh, cuisine, lat, lon, district_id, "
                            "node_id, rating_x10, review_count, price_level FROM pois "
                            "WHERE id > ? ORDER BY id LIMIT ?",
                            {after, kRowsPerPage}));
    if (rows.empty()) break;
    const size_t first = pois.size();
    for (const Row& r : rows) {
      auto kind = parse_poi_kind(r.text(1));
      if (!kind) return InvalidArgumentError("pois {}: unknown kind '{}'", r.int64(0), r.text(1));
      pois.push_back(PoiInput{.id = r.int64(0),
                              .kind = *kind,
                              .name_en = r.text(2),
                              .name_zh = r.text(3),
                              .cuisine = r.text(4),
                              .at = {real_of(r[5]), real_of(r[6])},
                              .district_id = int_or_zero(r[7]),
                              .node_id = int_or_zero(r[8]),
                              .rating_x10 = r.int64(9),
                              .review_count = r.int64(10),
                              .price_level = r.int64(11)});
    }
    QWL_ASSIGN_OR_RETURN(
        Rows hours, tx.query("SELECT poi_id, weekday, open_min, close_min FROM poi_hours "
                             "WHERE poi_id >= ? AND poi_id <= ? ORDER BY poi_id, weekday, open_min",
                             {pois[first].id, pois.back().id}));
    size_t at = first;
    for (const Row& h : hours) {
      while (at < pois.size() && pois[at].id < h.int64(0)) ++at;
      if (at == pois.size()) break;  // cannot happen with the foreign key
      if (h.int64(1) < 0 || h.int64(1) > 6 || h.int64(2) < 0 || h.int64(2) > 1439 ||
          h.int64(3) <= h.int64(2) || h.int64(3) > 2880) {
        return InvalidArgumentError("poi_hours of poi {}: weekday {} {}-{} is not a valid range",
                                    h.int64(0), h.int64(1), h.int64(2), h.int64(3));
      }
      pois[at].hours.push_back(OpeningHours{.weekday = static_cast<uint8_t>(h.int64(1)),
                                            .open_min = static_cast<uint16_t>(h.int64(2)),
                                            .close_min = static_cast<uint16_t>(h.int64(3))});
    }
    if (static_cast<int64_t>(rows.size()) < kRowsPerPage) break;
    after = pois.back().id;
  }
  return build(std::move(pois));
}

size_t MapIndex::memory_bytes() const {
  size_t bytes =
      sizeof(*this) + ids_.capacity() * sizeof(int64_t) + xyz_.capacity() * sizeof(EarthPoint) +
      at_.capacity() * sizeof(LatLon) + kind_.capacity() + rating_x10_.capacity() +
      price_level_.capacity() + review_count_.capacity() * sizeof(uint32_t) +
      cuisine_.capacity() * sizeof(uint32_t) + district_id_.capacity() * sizeof(int64_t) +
      node_id_.capacity() * sizeof(int64_t) + hours_begin_.capacity() * sizeof(uint32_t) +
      hours_.capacity() * sizeof(OpeningHours) + text_.capacity() +
      text_start_.capacity() * sizeof(uint32_t) +
      id_to_index_.capacity() * sizeof(std::pair<int64_t, uint32_t>) + grid_.memory_bytes();
  auto strings = [](const std::vector<std::string>& v) {
    size_t b = v.capacity() * sizeof(std::string);
    // Strings that fit the small-string buffer hold no heap block.
    for (const std::string& s : v) b += s.capacity() > 15 ? s.capacity() + 1 : 0;
    return b;
  };
  return bytes + strings(name_en_) + strings(name_zh_) + strings(cuisines_) +
         strings(cuisines_lower_);
}

std::optional<uint32_t> MapIndex::index_of(int64_t poi_id) const {
  auto it = std::lower_bound(id_to_index_.begin(), id_to_index_.end(),
                             std::pair<int64_t, uint32_t>{poi_id, 0});
  if (it == id_to_index_.end() || it->first != poi_id) return std::nullopt;
  return it->second;
}

bool MapIndex::open_at(uint32_t i, int weekday, int minute) const {
  const uint32_t begin = hours_begin_[i], end = hours_begin_[i + 1];
  if (begin == end) return true;  // no hours recorded: always open
  const int yesterday = (weekday + 6) % 7;
  for (uint32_t k = begin; k < end; ++k) {
    const OpeningHours& h = hours_[k];
    if (h.weekday == weekday && h.open_min <= minute && h.close_min > minute) return true;
    if (h.weekday == yesterday && h.close_min > minute + 1440) return true;
  }
  return false;
}

Place MapIndex::make_place(uint32_t i, bool open_now, double distance_m) const {
  return Place{.id = ids_[i],
               .kind = std::string(poi_kind_name(static_cast<PoiKind>(kind_[i]))),
               .name_en = name_en_[i],
               .name_zh = name_zh_[i],
               .cuisine = cuisines_[cuisine_[i]],
               .location = at_[i],
               .district_id = district_id_[i],
               .node_id = node_id_[i],
               .rating_x10 = rating_x10_[i],
               .review_count = review_count_[i],
               .price_level = price_level_[i],
               .open_now = open_now,
               .distance_m = distance_m};
}

Result<std::vector<Place>> MapIndex::nearby(const NearbyQuery& query, int64_t now_us) const {
  QWL_RETURN_IF_ERROR(check_lat_lon(query.center, "nearby: center"));
  if (!(query.radius_m > 0 && query.radius_m <= kMaxNearbyRadiusM)) {
    return InvalidArgumentError("nearby: radius_m {} outside (0, {}]", query.radius_m,
                                kMaxNearbyRadiusM);
  }
  if (query.limit < 1 || query.limit > kMaxPlaceResults) {
    return InvalidArgumentError("nearby: limit {} outside [1, {}]", query.limit, kMaxPlaceResults);
  }
  if (query.min_rating_x10 < 0 || query.min_rating_x10 > 50) {
    return InvalidArgumentError("nearby: min_rating_x10 {} outside [0, 50]", query.min_rating_x10);
  }
  uint32_t kind_mask = query.kinds.empty() ? ~0u : 0u;
  for (const std::string& k : query.kinds) {
    auto kind = parse_poi_kind(k);
    if (!kind) return InvalidArgumentError("nearby: kinds: unknown kind '{}'", k);
    kind_mask |= 1u << static_cast<int>(*kind);
  }
  // The cuisine as an index: no place has a cuisine the index has never seen.
  std::optional<uint32_t> cuisine;
  if (!query.cuisine.empty()) {
    const std::string want = normalize(query.cuisine);
    for (uint32_t c = 0; c < cuisines_lower_.size(); ++c) {
      if (cuisines_lower_[c] == want) cuisine = c;
    }
    if (!cuisine) return std::vector<Place>{};
  }
  const LocalTime local = local_time(now_us);
  const EarthPoint c = earth_point(query.center);
  const double max_chord = chord_from_arc_m(query.radius_m);
  const double max2 = max_chord * max_chord;
  const uint8_t min_rating = static_cast<uint8_t>(query.min_rating_x10);
  std::vector<std::pair<double, uint32_t>> found;
  grid_.for_each_run(query.center, query.radius_m, [&](uint32_t begin, uint32_t end) {
    for (uint32_t i = begin; i < end; ++i) {
      if (((kind_mask >> kind_[i]) & 1u) == 0 || rating_x10_[i] < min_rating) continue;
      if (cuisine && cuisine_[i] != *cuisine) continue;
      const double d2 = chord2_m2(xyz_[i], c);
      if (d2 > max2) continue;
      if (query.open_now && !open_at(i, local.weekday, local.minute)) continue;
      found.emplace_back(d2, i);
    }
  });
  // Nearest first; the same distance (the same spot) by id.
  auto closer = [&](const std::pair<double, uint32_t>& a, const std::pair<double, uint32_t>& b) {
    return a.first != b.first ? a.first < b.first : ids_[a.second] < ids_[b.second];
  };
  const size_t keep = std::min<size_t>(found.size(), static_cast<size_t>(query.limit));
  std::partial_sort(found.begin(), found.begin() + keep, found.end(), closer);
  std::vector<Place> out;
  out.reserve(keep);
  for (size_t k = 0; k < keep; ++k) {
    const uint32_t i = found[k].second;
    out.push_back(make_place(i, open_at(i, local.weekday, local.minute),
                             arc_from_chord_m(std::sqrt(found[k].first))));
  }
  return out;
}

Result<std::vector<NamedPlace>> MapIndex::find_by_name(std::string_view text,
                                                       std::optional<LatLon> near, int limit,
                                                       int64_t now_us) const {
  const std::string needle = normalize(text);
  if (needle.empty()) return InvalidArgumentError("place name: empty");
  if (limit < 1 || limit > kMaxPlaceResults) {
    return InvalidArgumentError("place name: limit {} outside [1, {}]", limit, kMaxPlaceResults);
  }
  if (near) QWL_RETURN_IF_ERROR(check_lat_lon(*near, "place name: near"));

  struct Hit {
    uint32_t i;
    NameMatch match;
  };
  std::vector<Hit> hits;
  // glibc's memmem (two-way, vectorised) over all names at once; places are visited in text
  // order, so a cursor finds each hit's place without a search.
  const char* const base = text_.data();
  const size_t size = text_.size();
  size_t from = 0;
  uint32_t i = 0;
  while (from < size) {
    const void* found = memmem(base + from, size - from, needle.data(), needle.size());
    if (found == nullptr) break;
    const size_t p = static_cast<size_t>(static_cast<const char*>(found) - base);
    while (i + 1 < text_start_.size() && text_start_[i + 1] <= p) ++i;
    const size_t en_begin = text_start_[i] + 1;
    const size_t tab = en_begin + name_en_[i].size();
    const size_t field_begin = p < tab ? en_begin : tab + 1;
    const size_t field_end =
        p < tab ? tab : (i + 1 < text_start_.size() ? text_start_[i + 1] : size);
    NameMatch match = NameMatch::kContains;
    if (p == field_begin) {
      match = p + needle.size() == field_end ? NameMatch::kExact : NameMatch::kPrefix;
    } else if (is_word_boundary(base[p - 1])) {
      match = NameMatch::kWordPrefix;
    }
    if (!hits.empty() && hits.back().i == i) {
      hits.back().match = std::min(hits.back().match, match);
    } else {
      hits.push_back({i, match});
    }
    // A match at a word start is the best this field can still give; look in the next field.
    from = match == NameMatch::kContains ? p + 1 : field_end;
  }

  std::vector<double> dist(near ? hits.size() : 0);
  if (near) {
    const EarthPoint q = earth_point(*near);
    for (size_t k = 0; k < hits.size(); ++k) dist[k] = chord2_m2(xyz_[hits[k].i], q);
  }
  std::vector<uint32_t> rank(hits.size());
  for (uint32_t k = 0; k < rank.size(); ++k) rank[k] = k;
  auto better = [&](uint32_t a, uint32_t b) {
    const Hit& x = hits[a];
    const Hit& y = hits[b];
    if (x.match != y.match) return x.match < y.match;
    if (near && dist[a] != dist[b]) return dist[a] < dist[b];
    if (!near && rating_x10_[x.i] != rating_x10_[y.i]) return rating_x10_[x.i] > rating_x10_[y.i];
    if (!near && review_count_[x.i] != review_count_[y.i]) {
      return review_count_[x.i] > review_count_[y.i];
    }
    return ids_[x.i] < ids_[y.i];
  };
  const size_t keep = std::min<size_t>(rank.size(), static_cast<size_t>(limit));
  std::partial_sort(rank.begin(), rank.begin() + keep, rank.end(), better);
  const LocalTime local = local_time(now_us);
  std::vector<NamedPlace> out;
  out.reserve(keep);
  for (size_t k = 0; k < keep; ++k) {
    const Hit& h = hits[rank[k]];
    out.push_back(
        NamedPlace{.place = make_place(h.i, open_at(h.i, local.weekday, local.minute),
                                       near ? arc_from_chord_m(std::sqrt(dist[rank[k]])) : -1),
                   .match = h.match});
  }
  return out;
}

std::optional<Place> MapIndex::place(int64_t poi_id, int64_t now_us) const {
  auto i = index_of(poi_id);
  if (!i) return std::nullopt;
  const LocalTime local = local_time(now_us);
  return make_place(*i, open_at(*i, local.weekday, local.minute), -1);
}

}  // namespace qwl::services
