// The places index: every point of interest (table pois with its poi_hours) in memory, for
// nearby search and for finding places by name, in English or Chinese.
//
// MapIndex is built once from the database (load(), in the caller's read transaction) or from
// plain rows (build()), and is immutable afterwards; the maps service (maps.h) swaps in a new
// one on refresh. Places are stored by the cells of a 250 m grid (geo.h PointGrid), so a radius
// query reads the runs of cells that cover the circle's bounding box and compares chord lengths
// (no trigonometry per place); only the places returned get a haversine distance.
//
// Nearby: places within radius_m of a point, optionally of some kinds, of one cuisine, open at
// the given instant and rated at least min_rating_x10; nearest first, equal distances (the same
// spot) by id; at most `limit`. Opening hours follow city_time.h exactly: local time UTC+8; a
// row (weekday, open_min, close_min) covers [open, close) of that weekday and close_min > 1440
// reaches into the next day; a weekday without rows is closed; a place without any rows is
// always open.
//
// Names: a place matches a text when its English or Chinese name equals it, starts with it, has
// a word starting with it, or contains it (ASCII case-insensitive; Chinese by characters, UTF-8
// substrings being character-aligned). Better matches first; within a kind of match the closest
// first when a reference point is given, else the best rated (then most reviewed); then by id.
// One pass of a substring search (glibc memmem) over all names (about 4 MB for 100,000 places).
//
// Memory: about 160 bytes per place plus its names twice (as given and lowered) and 6 bytes
// per opening-hours row (docs/ecosystem/maps.md has measured figures).
// Thread-safety: const methods may be called from any number of threads at once.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "services/geo.h"
#include "store/db.h"

namespace qwl::services {

// pois.kind.
enum class PoiKind : uint8_t {
  kCafe,
  kTea,
  kRestaurant,
  kSupermarket,
  kPharmacy,
  kHotel,
  kCinema,
  kSight,
  kOffice,
  kResidence,
  kStation,
  kAirport,
  kShop,
};
inline constexpr int kPoiKinds = 13;
std::string_view poi_kind_name(PoiKind kind);  // the pois.kind text
// The pois.kind text, an English plural or everyday word ("cafes", "coffee", "hotels") or a
// Chinese one ("咖啡", "奶茶", "餐厅", "酒店"); ASCII case-insensitive. nullopt otherwise.
std::optional<PoiKind> parse_poi_kind(std::string_view text);

struct OpeningHours {
  uint8_t weekday = 0;  // 0 = Monday
  uint16_t open_min = 0;
  uint16_t close_min = 0;  // may pass 1440 (into the next day), at most 2880
};

// One row of pois with its hours, as build() takes it.
struct PoiInput {
  int64_t id = 0;
  PoiKind kind = PoiKind::kCafe;
  std::string name_en;
  std::string name_zh;
  std::string cuisine;
  LatLon at;
  int64_t district_id = 0;  // 0: none
  int64_t node_id = 0;      // the nearest road node recorded for it; 0: none
  int64_t rating_x10 = 0;   // 0..50
  int64_t review_count = 0;
  int64_t price_level = 0;  // 0..4
  std::vector<OpeningHours> hours;
};

// A place as results carry it.
struct Place {
  int64_t id = 0;
  std::string kind;
  std::string name_en;
  std::string name_zh;
  std::string cuisine;
  LatLon location;
  int64_t district_id = 0;
  int64_t node_id = 0;
  int64_t rating_x10 = 0;
  int64_t review_count = 0;
  int64_t price_level = 0;
  bool open_now = false;   // at the instant the query was asked for
  double distance_m = -1;  // from the query's point, great-circle; -1 when there was none
};

inline constexpr double kMaxNearbyRadiusM = 50'000;
inline constexpr int kMaxPlaceResults = 100;

struct NearbyQuery {
  LatLon center;
  double radius_m = 1'000;         // (0, kMaxNearbyRadiusM]
  std::vector<std::string> kinds;  // parse_poi_kind() words; empty: every kind
  std::string cuisine;             // "" any; else equal to pois.cuisine, ASCII case-insensitive
  bool open_now = false;           // only places open at the query's instant
  int64_t min_rating_x10 = 0;      // 0..50
  int limit = 20;                  // 1..kMaxPlaceResults
};

enum class NameMatch : uint8_t { kExact, kPrefix, kWordPrefix, kContains };
std::string_view name_match_name(NameMatch match);  // "exact", "prefix", "word_prefix", "contains"

struct NamedPlace {
  Place place;
  NameMatch match = NameMatch::kContains;
};

class MapIndex {
 public:
  // InvalidArgument (naming the poi id and field) for a bad coordinate, rating, price level or
  // opening-hours row, or a duplicate id.
  static Result<std::shared_ptr<const MapIndex>> build(std::vector<PoiInput> pois);
  // Reads pois and poi_hours in pages through the caller's (read) transaction.
  static Result<std::shared_ptr<const MapIndex>> load(Tx& tx);

  size_t size() const { return ids_.size(); }
  size_t memory_bytes() const;

  // Places near a point (see the top of this file). InvalidArgument for a bad coordinate,
  // radius, kind, rating or limit. `now_us`: the instant for open_now (UTC microseconds).
  Result<std::vector<Place>> nearby(const NearbyQuery& query, int64_t now_us) const;

  // Places whose name matches `text` (see the top of this file), at most `limit` (1..100).
  // InvalidArgument for an empty text or a bad limit or reference point.
  Result<std::vector<NamedPlace>> find_by_name(std::string_view text, std::optional<LatLon> near,
                                               int limit, int64_t now_us) const;

  // One place by id (distance_m -1); nullopt when there is none.
  std::optional<Place> place(int64_t poi_id, int64_t now_us) const;

  MapIndex(const MapIndex&) = delete;
  MapIndex& operator=(const MapIndex&) = delete;

 private:
  MapIndex() = default;
  std::optional<uint32_t> index_of(int64_t poi_id) const;
  bool open_at(uint32_t i, int weekday, int minute) const;
  Place make_place(uint32_t i, bool open_now, double distance_m) const;

  // Per place, in grid order (index = grid position).
  std::vector<int64_t> ids_;
  std::vector<EarthPoint> xyz_;
  std::vector<LatLon> at_;
  std::vector<uint8_t> kind_;
  std::vector<uint8_t> rating_x10_;
  std::vector<uint8_t> price_level_;
  std::vector<uint32_t> review_count_;  // saturated at 2^32 - 1
  std::vector<uint32_t> cuisine_;       // index into cuisines_
  std::vector<int64_t> district_id_;
  std::vector<int64_t> node_id_;
  std::vector<std::string> name_en_;
  std::vector<std::string> name_zh_;
  std::vector<uint32_t> hours_begin_;  // (n + 1) offsets into hours_
  std::vector<OpeningHours> hours_;
  // Every place's lowered names as "\n<en>\t<zh>", concatenated; text_start_[i] is where place
  // i's '\n' is.
  std::string text_;
  std::vector<uint32_t> text_start_;
  std::vector<std::string> cuisines_;  // distinct, as given; cuisines_lower_ for matching
  std::vector<std::string> cuisines_lower_;
  std::vector<std::pair<int64_t, uint32_t>> id_to_index_;  // sorted by id
  PointGrid grid_;
};

}  // namespace qwl::services
