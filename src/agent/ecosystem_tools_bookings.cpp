// The booking tools (ecosystem_tools_internal.h): table and hotel availability, ride quotes,
// the user's bookings, and the irreversible book_table, book_hotel, request_ride and
// cancel_booking.
//
// Dates and times arrive as the city's local "YYYY-MM-DD" and "HH:MM" and are checked here
// first (a real date, in the future, on the table grid), so that errors name the argument the
// model wrote rather than the services' fields. Drafts bind what the user agrees to: the place,
// the time and the party (not the table the service would pick: any fitting table is the same
// booking), the room type and its total, the ride's places, class and price, a cancellation's
// refund. Hotel stays and rides pass that amount to the services as the expected total or
// price, so a change since the card was shown is refused by the services themselves.
#include "agent/ecosystem_tools_internal.h"
#include "services/bookings.h"
#include "services/city_time.h"
#include "services/maps.h"

namespace qwl::agent::eco {
namespace {

constexpr int64_t kMaxId = std::numeric_limits<int64_t>::max();
constexpr int64_t kMicrosPerSecond = 1'000'000;
constexpr int64_t kListedBookings = 5;  // per kind in list_bookings

std::string place_name(const Call& c, int64_t poi_id, std::string* en, std::string* zh) {
  std::optional<services::Place> p = c.h.maps->snapshot()->places->place(poi_id, c.now_us);
  if (p) {
    *en = p->name_en;
    *zh = p->name_zh;
  }
  return c.name(*en, *zh);
}

// A table booking's start from "date" and "time": a real local time on the 30-minute grid, in
// the future and within kTableBookingAheadDays. Errors name the argument.
Result<int64_t> table_start(const Call& c, bool on_grid) {
  QWL_ASSIGN_OR_RETURN(std::string date, c.args.req_string("date", 10));
  QWL_ASSIGN_OR_RETURN(std::string time, c.args.req_string("time", 5));
  QWL_ASSIGN_OR_RETURN(int64_t day, parse_date(date, "date"));
  QWL_ASSIGN_OR_RETURN(int minute, parse_hhmm(time, "time"));
  const int64_t start = services::local_instant_us(day, minute);
  const bool today = day == services::local_time(c.now_us).day;
  if (start <= c.now_us)
    return InvalidArgumentError("{}: {} {} is not in the future (now {})", today ? "time" : "date",
                                date, time, local_datetime(c.now_us));
  if (start - c.now_us > services::kTableBookingAheadDays * services::kMicrosPerDay)
    return InvalidArgumentError("date: {} is more than {} days ahead", date,
                                services::kTableBookingAheadDays);
  if (on_grid && minute % services::kTableSlotMinutes != 0)
    return InvalidArgumentError("time: {} is not on the {}-minute grid (book at :00 or :30)", time,
                                services::kTableSlotMinutes);
  return start;
}

Result<services::HotelStay> stay_args(const Call& c) {
  services::HotelStay stay;
  QWL_ASSIGN_OR_RETURN(std::string check_in, c.args.req_string("check_in", 10));
  QWL_ASSIGN_OR_RETURN(std::string check_out, c.args.req_string("check_out", 10));
  QWL_ASSIGN_OR_RETURN(stay.check_in_day, parse_date(check_in, "check_in"));
  QWL_ASSIGN_OR_RETURN(stay.check_out_day, parse_date(check_out, "check_out"));
  QWL_ASSIGN_OR_RETURN(stay.guests, c.args.req_int("guests", 1, 10));
  if (stay.check_out_day <= stay.check_in_day)
    return InvalidArgumentError("check_out: {} must be after check_in {}", check_out, check_in);
  if (stay.check_out_day - stay.check_in_day > services::kMaxHotelNights)
    return InvalidArgumentError("check_out: a stay is at most {} nights, got {}",
                                services::kMaxHotelNights, stay.check_out_day - stay.check_in_day);
  const int64_t today = services::local_time(c.now_us).day;
  if (stay.check_in_day < today)
    return InvalidArgumentError("check_in: {} is in the past (today is {})", check_in,
                                format_date(today));
  return stay;
}

json slot_json(const services::TableSlot& s) {
  return json{{"time", format_hhmm(s.local_minute)},
              {"date", format_date(services::local_time(s.starts_at_us).day)},
              {"starts_at", s.starts_at_us / kMicrosPerSecond},
              {"state", services::table_slot_state_name(s.state)},
              {"table_label", s.table_label},
              {"seats", s.seats},
              {"free_tables", s.free_tables}};
}

// ---- bookings as JSON ------------------------------------------------------------------------

json table_model(const Call& c, const services::TableBooking& b) {
  return json{{"kind", "table"},
              {"booking_id", b.id},
              {"place", c.name(b.place_name_en, b.place_name_zh)},
              {"date", format_date(services::local_time(b.starts_at_us).day)},
              {"time", local_hhmm(b.starts_at_us)},
              {"party_size", b.party_size},
              {"table", b.table_label},
              {"status", b.status}};
}

json table_card(const services::TableBooking& b) {
  return json{{"object", "table_booking"},
              {"kind", "table"},
              {"id", b.id},
              {"place_id", b.poi_id},
              {"place_name_en", b.place_name_en},
              {"place_name_zh", b.place_name_zh},
              {"table_id", b.table_id},
              {"table_label", b.table_label},
              {"seats", b.seats},
              {"party_size", b.party_size},
              {"starts_at", b.starts_at_us / kMicrosPerSecond},
              {"ends_at", b.ends_at_us / kMicrosPerSecond},
              {"date", format_date(services::local_time(b.starts_at_us).day)},
              {"time", local_hhmm(b.starts_at_us)},
              {"status", b.status},
              {"note", b.note}};
}

json hotel_model(const Call& c, const services::HotelBooking& b) {
  json j{{"kind", "hotel"},
         {"booking_id", b.id},
         {"hotel", c.name(b.hotel_name_en, b.hotel_name_zh)},
         {"room_type", c.name(b.room_type_name_en, b.room_type_name_zh)},
         {"check_in", format_date(b.check_in_day)},
         {"check_out", format_date(b.check_out_day)},
         {"nights", b.nights},
         {"guests", b.guests},
         {"status", b.status}};
  put_money(j, "total", b.total);
  if (b.refunded > 0) put_money(j, "refunded", b.refunded);
  return j;
}

json hotel_card(const services::HotelBooking& b) {
  return json{{"object", "hotel_booking"},
              {"kind", "hotel"},
              {"id", b.id},
              {"place_id", b.poi_id},
              {"place_name_en", b.hotel_name_en},
              {"place_name_zh", b.hotel_name_zh},
              {"room_type_id", b.room_type_id},
              {"room_type_name_en", b.room_type_name_en},
              {"room_type_name_zh", b.room_type_name_zh},
              {"room_number", b.room_number},
              {"check_in", format_date(b.check_in_day)},
              {"check_out", format_date(b.check_out_day)},
              {"nights", b.nights},
              {"guests", b.guests},
              {"total", b.total},
              {"refunded", b.refunded},
              {"currency", "CNY"},
              {"status", b.status}};
}

std::string ride_end(const Call& c, const services::RidePlace& p) {
  return p.label.empty() ? std::string(c.say("current location", "当前位置")) : p.label;
}

json ride_model(const Call& c, const services::Ride& r) {
  json j{{"kind", "ride"},
         {"booking_id", r.id},
         {"from", ride_end(c, r.from)},
         {"to", ride_end(c, r.to)},
         {"vehicle", services::ride_vehicle_name(r.vehicle)},
         {"status", r.status},
         {"requested_at", local_datetime(r.requested_at_us)}};
  put_money(j, "price", r.price);
  if (r.refunded > 0) put_money(j, "refunded", r.refunded);
  return j;
}

json ride_place_json(const services::RidePlace& p) {
  return json{{"lat", p.at.lat}, {"lon", p.at.lon}, {"label", p.label}};
}

json ride_card(const services::Ride& r) {
  return json{
      {"object", "ride"},
      {"kind", "ride"},
      {"id", r.id},
      {"vehicle", services::ride_vehicle_name(r.vehicle)},
      {"from", ride_place_json(r.from)},
      {"to", ride_place_json(r.to)},
      {"distance_m", r.distance_m},
      {"duration_s", r.duration_s},
      {"price", r.price},
      {"refunded", r.refunded},
      {"currency", "CNY"},
      {"status", r.status},
      {"requested_at", r.requested_at_us / kMicrosPerSecond},
      {"next_step_at", r.next_step_at_us ? json(*r.next_step_at_us / kMicrosPerSecond) : json()}};
}

// ---- rides -----------------------------------------------------------------------------------

// What a ride record calls a place: its saved label or its name (language-independent: the
// draft binds it), "" for a bare coordinate.
services::RidePlace ride_place(const Place& p) {
  std::string label = p.source == Place::Source::kSavedAddress ? p.label
                      : p.name_en.empty()                      ? p.name_zh
                                                               : p.name_en;
  if (label.size() > services::kMaxRideLabelBytes) label = cut(label, 60);
  return services::RidePlace{.at = {p.location.lat, p.location.lon}, .label = std::move(label)};
}

struct RideEnds {
  Place from;
  Place to;
  services::RideQuote quote;
};

Result<RideEnds> quote_ends(const Call& c) {
  if (c.h.ride_quoter == nullptr)
    return FailedPreconditionError("rides are not available on this server");
  QWL_ASSIGN_OR_RETURN(std::optional<std::string> from_text, c.args.opt_string("from", 200));
  QWL_ASSIGN_OR_RETURN(std::string to_text, c.args.req_string("to", 200));
  std::optional<Place> from, to;
  QWL_RETURN_IF_ERROR(c.h.db->read([&](Tx& tx) -> Status {
    QWL_ASSIGN_OR_RETURN(from, resolve_place(tx, c, from_text, "from"));
    QWL_ASSIGN_OR_RETURN(to, resolve_place(tx, c, to_text, "to"));
    return Status::Ok();
  }));
  // The quoter reads the road network (maybe the database): outside the read above.
  Result<services::RideQuote> quote =
      services::quote_ride(*c.h.ride_quoter, c.user.actor, ride_place(*from), ride_place(*to));
  if (!quote.ok()) return quote.status().with_context("to");
  return RideEnds{.from = std::move(*from), .to = std::move(*to), .quote = std::move(*quote)};
}

Result<services::RideVehicle> vehicle_arg(const Call& c) {
  QWL_ASSIGN_OR_RETURN(std::string text, c.args.req_string("vehicle", 20));
  const std::optional<services::RideVehicle> v = services::parse_ride_vehicle(text);
  if (!v)
    return InvalidArgumentError("vehicle: '{}' is not one of economy, comfort, xl", cut(text, 40));
  return *v;
}

Result<std::string> kind_arg(const Call& c, bool required) {
  QWL_ASSIGN_OR_RETURN(std::optional<std::string> kind, c.args.opt_string("kind", 10));
  if (!kind || kind->empty()) {
    if (required) return InvalidArgumentError("kind: is required (table, hotel or ride)");
    return std::string();
  }
  if (*kind != "table" && *kind != "hotel" && *kind != "ride")
    return InvalidArgumentError("kind: '{}' is not one of table, hotel, ride", cut(*kind, 40));
  return *kind;
}

}  // namespace

// ---- reads -----------------------------------------------------------------------------------

Result<ToolResult> table_availability(Call& c) {
  QWL_ASSIGN_OR_RETURN(int64_t place_id, c.args.req_int("place_id", 1, kMaxId));
  QWL_ASSIGN_OR_RETURN(int64_t party, c.args.req_int("party_size", 1, 30));
  QWL_ASSIGN_OR_RETURN(int64_t start, table_start(c, /*on_grid=*/false));
  Result<services::TableAvailability> a = services::table_availability(
      *c.h.db, *c.h.clock, c.user.actor,
      services::TableAvailabilityQuery{.poi_id = place_id, .at_us = start, .party_size = party});
  if (!a.ok()) {
    if (a.status().code() == StatusCode::kNotFound) return a.status().with_context("place_id");
    return a.status();
  }
  const services::TableSlot& req = a->requested;
  json alternatives = json::array();
  for (const services::TableSlot& s : a->alternatives)
    alternatives.push_back(format_hhmm(s.local_minute));
  json slots = json::array();
  json card_slots = json::array();
  for (const services::TableSlot& s : a->slots) {
    if (slots.size() < kMaxListItems) {
      slots.push_back(json{{"time", format_hhmm(s.local_minute)},
                           {"state", services::table_slot_state_name(s.state)},
                           {"free_tables", s.free_tables}});
    }
    card_slots.push_back(slot_json(s));
  }
  json card_alternatives = json::array();
  for (const services::TableSlot& s : a->alternatives) card_alternatives.push_back(slot_json(s));
  ToolResult out;
  out.result = json{{"place", json{{"id", a->poi_id}, {"name", c.name(a->name_en, a->name_zh)}}},
                    {"date", format_date(services::local_time(req.starts_at_us).day)},
                    {"time", format_hhmm(req.local_minute)},
                    {"party_size", party},
                    {"available", req.state == services::TableSlotState::kAvailable},
                    {"state", services::table_slot_state_name(req.state)},
                    {"alternatives", std::move(alternatives)},
                    {"slots", std::move(slots)},
                    {"largest_table", a->largest_table}};
  out.cards.push_back(Card{.type = "availability",
                           .data = json{{"object", "availability"},
                                        {"kind", "table"},
                                        {"place_id", a->poi_id},
                                        {"name_en", a->name_en},
                                        {"name_zh", a->name_zh},
                                        {"party_size", party},
                                        {"largest_table", a->largest_table},
                                        {"requested", slot_json(req)},
                                        {"slots", std::move(card_slots)},
                                        {"alternatives", std::move(card_alternatives)}}});
  return out;
}

Result<ToolResult> hotel_availability(Call& c) {
  QWL_ASSIGN_OR_RETURN(int64_t place_id, c.args.req_int("place_id", 1, kMaxId));
  QWL_ASSIGN_OR_RETURN(services::HotelStay stay, stay_args(c));
  Result<services::HotelAvailability> a =
      services::hotel_availability(*c.h.db, *c.h.clock, c.user.actor, place_id, stay);
  if (!a.ok()) {
    if (a.status().code() == StatusCode::kNotFound) return a.status().with_context("place_id");
    return a.status();
  }
  json types = json::array();
  json card_types = json::array();
  for (const services::RoomTypeOffer& o : a->room_types) {
    json t{{"room_type_id", o.room_type_id},
           {"name", c.name(o.name_en, o.name_zh)},
           {"beds", o.beds},
           {"max_guests", o.max_guests},
           {"free_rooms", o.free_rooms}};
    put_money(t, "price_per_night", o.price_per_night);
    put_money(t, "total", o.total);
    types.push_back(std::move(t));
    card_types.push_back(json{{"id", o.room_type_id},
                              {"name_en", o.name_en},
                              {"name_zh", o.name_zh},
                              {"beds", o.beds},
                              {"max_guests", o.max_guests},
                              {"price_per_night", o.price_per_night},
                              {"nights", o.nights},
                              {"total", o.total},
                              {"currency", "CNY"},
                              {"free_rooms", o.free_rooms}});
  }
  ToolResult out;
  out.result = json{{"hotel", json{{"id", a->poi_id}, {"name", c.name(a->name_en, a->name_zh)}}},
                    {"check_in", format_date(stay.check_in_day)},
                    {"check_out", format_date(stay.check_out_day)},
                    {"nights", a->nights},
                    {"guests", stay.guests},
                    {"room_types", std::move(types)}};
  out.cards.push_back(Card{.type = "availability",
                           .data = json{{"object", "availability"},
                                        {"kind", "hotel"},
                                        {"place_id", a->poi_id},
                                        {"name_en", a->name_en},
                                        {"name_zh", a->name_zh},
                                        {"check_in", format_date(stay.check_in_day)},
                                        {"check_out", format_date(stay.check_out_day)},
                                        {"nights", a->nights},
                                        {"guests", stay.guests},
                                        {"room_types", std::move(card_types)}}});
  return out;
}

Result<ToolResult> ride_quote(Call& c) {
  QWL_ASSIGN_OR_RETURN(RideEnds ends, quote_ends(c));
  json options = json::array();
  json card_options = json::array();
  for (const services::RideOption& o : ends.quote.options) {
    json opt{{"vehicle", services::ride_vehicle_name(o.vehicle)},
             {"pickup_min", (o.pickup_s + 59) / 60}};
    put_money(opt, "price", o.price);
    options.push_back(std::move(opt));
    card_options.push_back(json{{"vehicle", services::ride_vehicle_name(o.vehicle)},
                                {"price", o.price},
                                {"pickup_s", o.pickup_s}});
  }
  ToolResult out;
  out.result = json{{"from", ends.from.display(c.zh())},
                    {"to", ends.to.display(c.zh())},
                    {"distance_m", ends.quote.route.distance_m},
                    {"duration", duration_text(ends.quote.route.duration_s, c.zh())},
                    {"options", std::move(options)}};
  out.cards.push_back(Card{.type = "ride_quote",
                           .data = json{{"object", "ride_quote"},
                                        {"from", ends.from.to_json()},
                                        {"to", ends.to.to_json()},
                                        {"distance_m", ends.quote.route.distance_m},
                                        {"duration_s", ends.quote.route.duration_s},
                                        {"currency", "CNY"},
                                        {"options", std::move(card_options)}}});
  return out;
}

Result<ToolResult> list_bookings(Call& c) {
  QWL_ASSIGN_OR_RETURN(std::string kind, kind_arg(c, false));
  ToolResult out;
  out.result = json::object();
  if (kind.empty() || kind == "table") {
    QWL_ASSIGN_OR_RETURN(auto rows,
                         services::list_my_table_bookings(*c.h.db, c.user.actor, kListedBookings));
    json list = json::array();
    for (const services::TableBooking& b : rows) {
      list.push_back(table_model(c, b));
      out.cards.push_back(Card{.type = "booking", .data = table_card(b)});
    }
    out.result["tables"] = std::move(list);
  }
  if (kind.empty() || kind == "hotel") {
    QWL_ASSIGN_OR_RETURN(auto rows,
                         services::list_my_hotel_bookings(*c.h.db, c.user.actor, kListedBookings));
    json list = json::array();
    for (const services::HotelBooking& b : rows) {
      list.push_back(hotel_model(c, b));
      out.cards.push_back(Card{.type = "booking", .data = hotel_card(b)});
    }
    out.result["hotels"] = std::move(list);
  }
  if (kind.empty() || kind == "ride") {
    QWL_ASSIGN_OR_RETURN(auto rows,
                         services::list_my_rides(*c.h.db, c.user.actor, kListedBookings));
    json list = json::array();
    for (const services::Ride& r : rows) {
      list.push_back(ride_model(c, r));
      out.cards.push_back(Card{.type = "booking", .data = ride_card(r)});
    }
    out.result["rides"] = std::move(list);
  }
  return out;
}

// ---- book_table ------------------------------------------------------------------------------

Result<ActionDraft> prepare_book_table(Call& c) {
  QWL_ASSIGN_OR_RETURN(int64_t place_id, c.args.req_int("place_id", 1, kMaxId));
  QWL_ASSIGN_OR_RETURN(int64_t party, c.args.req_int("party_size", 1, 30));
  QWL_ASSIGN_OR_RETURN(std::optional<std::string> note, c.args.opt_string("note", 200));
  QWL_ASSIGN_OR_RETURN(int64_t start, table_start(c, /*on_grid=*/true));
  Result<services::TableAvailability> a = services::table_availability(
      *c.h.db, *c.h.clock, c.user.actor,
      services::TableAvailabilityQuery{.poi_id = place_id, .at_us = start, .party_size = party});
  if (!a.ok()) {
    if (a.status().code() == StatusCode::kNotFound) return a.status().with_context("place_id");
    return a.status();
  }
  const services::TableSlot& req = a->requested;
  const std::string date = format_date(services::local_time(start).day);
  const std::string time = local_hhmm(start);
  if (req.state != services::TableSlotState::kAvailable) {
    std::string free;
    for (const services::TableSlot& s : a->alternatives)
      free += (free.empty() ? "" : ", ") + format_hhmm(s.local_minute);
    return FailedPreconditionError(
        "time: {} has no table for {} at {} {} ({}){}", a->name_en, party, date, time,
        services::table_slot_state_name(req.state),
        free.empty() ? std::string("; nothing free nearby") : "; free nearby: " + free);
  }
  ActionDraft d;
  d.arguments = json{{"place_id", place_id}, {"date", date}, {"time", time}, {"party_size", party}};
  if (note && !note->empty()) d.arguments["note"] = *note;
  d.content =
      json{{"place", json{{"id", a->poi_id}, {"name_en", a->name_en}, {"name_zh", a->name_zh}}},
           {"date", date},
           {"time", time},
           {"starts_at", start / kMicrosPerSecond},
           {"party_size", party},
           {"note", note.value_or("")}};
  d.info = json{
      {"table_label", req.table_label}, {"seats", req.seats}, {"free_tables", req.free_tables}};
  const std::string name = c.name(a->name_en, a->name_zh);
  d.summary = c.zh() ? fmt::format("预订{}，{} {}，{}位", name, date, time, party)
                     : fmt::format("Table for {} at {}, {} {}", party, name, date, time);
  return d;
}

Result<ToolResult> commit_book_table(Call& c, const ActionDraft& d, std::string_view key) {
  QWL_ASSIGN_OR_RETURN(int64_t place_id, c.args.req_int("place_id", 1, kMaxId));
  QWL_ASSIGN_OR_RETURN(int64_t party, c.args.req_int("party_size", 1, 30));
  QWL_ASSIGN_OR_RETURN(std::optional<std::string> note, c.args.opt_string("note", 200));
  QWL_ASSIGN_OR_RETURN(int64_t starts_at, draft_int(d.content, "starts_at"));
  Result<services::TableBookingResult> r = services::book_table(
      *c.h.db, *c.h.clock, c.user.actor,
      services::TableBookingRequest{.poi_id = place_id,
                                    .starts_at_us = starts_at * kMicrosPerSecond,
                                    .party_size = party,
                                    .note = note.value_or(""),
                                    .idempotency_key = std::string(key)});
  if (!r.ok()) return r.status();
  ToolResult out;
  out.result = table_model(c, r->booking);
  if (r->replayed) out.result["replayed"] = true;
  out.cards.push_back(Card{.type = "booking", .data = table_card(r->booking)});
  return out;
}

// ---- book_hotel ------------------------------------------------------------------------------

Result<ActionDraft> prepare_book_hotel(Call& c) {
  QWL_ASSIGN_OR_RETURN(int64_t room_type_id, c.args.req_int("room_type_id", 1, kMaxId));
  QWL_ASSIGN_OR_RETURN(services::HotelStay stay, stay_args(c));
  Result<services::RoomTypeOffer> offer =
      services::quote_hotel_stay(*c.h.db, *c.h.clock, c.user.actor, room_type_id, stay);
  if (!offer.ok()) {
    if (offer.status().code() == StatusCode::kNotFound)
      return offer.status().with_context("room_type_id");
    if (offer.status().message().starts_with("guests"))
      return offer.status().with_context("guests");
    return offer.status();
  }
  std::string hotel_en, hotel_zh;
  const std::string hotel = place_name(c, offer->poi_id, &hotel_en, &hotel_zh);
  const std::string check_in = format_date(stay.check_in_day);
  const std::string check_out = format_date(stay.check_out_day);
  if (offer->free_rooms == 0)
    return FailedPreconditionError("room_type_id: no {} of {} is free from {} to {}",
                                   offer->name_en, hotel_en, check_in, check_out);
  ActionDraft d;
  d.arguments = json{{"room_type_id", room_type_id},
                     {"check_in", check_in},
                     {"check_out", check_out},
                     {"guests", stay.guests}};
  d.content =
      json{{"hotel", json{{"id", offer->poi_id}, {"name_en", hotel_en}, {"name_zh", hotel_zh}}},
           {"room_type",
            json{{"id", room_type_id}, {"name_en", offer->name_en}, {"name_zh", offer->name_zh}}},
           {"check_in", check_in},
           {"check_out", check_out},
           {"nights", offer->nights},
           {"guests", stay.guests},
           {"price_per_night", offer->price_per_night},
           {"total", offer->total},
           {"currency", "CNY"}};
  d.info = json{{"free_rooms", offer->free_rooms}};
  const std::string room = c.name(offer->name_en, offer->name_zh);
  d.summary =
      c.zh() ? fmt::format("{} {}，{} 至 {}，{}晚，{}人，预付 {}", hotel, room, check_in, check_out,
                           offer->nights, stay.guests, yuan(offer->total))
             : fmt::format("{}, {}, {} to {} ({} nights, {} guests); prepay {}", hotel, room,
                           check_in, check_out, offer->nights, stay.guests, yuan(offer->total));
  return d;
}

Result<ToolResult> commit_book_hotel(Call& c, const ActionDraft& d, std::string_view key) {
  QWL_ASSIGN_OR_RETURN(int64_t room_type_id, c.args.req_int("room_type_id", 1, kMaxId));
  QWL_ASSIGN_OR_RETURN(services::HotelStay stay, stay_args(c));
  QWL_ASSIGN_OR_RETURN(int64_t total, draft_int(d.content, "total"));
  Result<services::HotelBookingResult> r =
      services::book_hotel(*c.h.db, *c.h.clock, c.user.actor,
                           services::HotelBookingRequest{.room_type_id = room_type_id,
                                                         .stay = stay,
                                                         .expected_total = total,
                                                         .idempotency_key = std::string(key)});
  if (!r.ok()) return r.status();
  ToolResult out;
  out.result = hotel_model(c, r->booking);
  if (r->replayed) out.result["replayed"] = true;
  out.cards.push_back(Card{.type = "booking", .data = hotel_card(r->booking)});
  return out;
}

// ---- request_ride ----------------------------------------------------------------------------

Result<ActionDraft> prepare_request_ride(Call& c) {
  QWL_ASSIGN_OR_RETURN(services::RideVehicle vehicle, vehicle_arg(c));
  QWL_ASSIGN_OR_RETURN(RideEnds ends, quote_ends(c));
  const services::RideOption* option = nullptr;
  for (const services::RideOption& o : ends.quote.options) {
    if (o.vehicle == vehicle) option = &o;
  }
  if (option == nullptr)
    return FailedPreconditionError("vehicle: no {} ride is offered",
                                   services::ride_vehicle_name(vehicle));
  ActionDraft d;
  d.arguments = json{{"from", ends.from.ref},
                     {"to", ends.to.ref},
                     {"vehicle", services::ride_vehicle_name(vehicle)}};
  d.content = json{{"from", ends.from.to_json()},
                   {"to", ends.to.to_json()},
                   {"vehicle", services::ride_vehicle_name(vehicle)},
                   {"price", option->price},
                   {"currency", "CNY"}};
  d.info = json{{"distance_m", ends.quote.route.distance_m},
                {"duration_s", ends.quote.route.duration_s},
                {"pickup_s", option->pickup_s}};
  const std::string from = ends.from.display(c.zh()), to = ends.to.display(c.zh());
  const int64_t pickup_min = (option->pickup_s + 59) / 60;
  d.summary = c.zh() ? fmt::format("{}叫车 {} -> {}，{}；约 {} 分钟后上车",
                                   services::ride_vehicle_name(vehicle), from, to,
                                   yuan(option->price), pickup_min)
                     : fmt::format("{} ride {} -> {}, {}; pickup in ~{} min",
                                   services::ride_vehicle_name(vehicle), from, to,
                                   yuan(option->price), pickup_min);
  return d;
}

Result<ToolResult> commit_request_ride(Call& c, const ActionDraft& d, std::string_view key) {
  if (c.h.ride_quoter == nullptr)
    return FailedPreconditionError("rides are not available on this server");
  QWL_ASSIGN_OR_RETURN(services::RideVehicle vehicle, vehicle_arg(c));
  QWL_ASSIGN_OR_RETURN(int64_t price, draft_int(d.content, "price"));
  QWL_ASSIGN_OR_RETURN(std::optional<std::string> from_text, c.args.opt_string("from", 200));
  QWL_ASSIGN_OR_RETURN(std::string to_text, c.args.req_string("to", 200));
  std::optional<Place> from, to;
  QWL_RETURN_IF_ERROR(c.h.db->read([&](Tx& tx) -> Status {
    QWL_ASSIGN_OR_RETURN(from, resolve_place(tx, c, from_text, "from"));
    QWL_ASSIGN_OR_RETURN(to, resolve_place(tx, c, to_text, "to"));
    return Status::Ok();
  }));
  Result<services::RideResult> r =
      services::request_ride(*c.h.db, *c.h.clock, *c.h.ride_quoter, c.user.actor,
                             services::RideRequest{.from = ride_place(*from),
                                                   .to = ride_place(*to),
                                                   .vehicle = vehicle,
                                                   .expected_price = price,
                                                   .idempotency_key = std::string(key)});
  if (!r.ok()) return r.status();
  ToolResult out;
  out.result = ride_model(c, r->ride);
  if (r->replayed) out.result["replayed"] = true;
  out.cards.push_back(Card{.type = "booking", .data = ride_card(r->ride)});
  return out;
}

// ---- cancel_booking --------------------------------------------------------------------------

Result<ActionDraft> prepare_cancel_booking(Call& c) {
  QWL_ASSIGN_OR_RETURN(std::string kind, kind_arg(c, true));
  QWL_ASSIGN_OR_RETURN(int64_t id, c.args.req_int("booking_id", 1, kMaxId));
  ActionDraft d;
  d.arguments = json{{"kind", kind}, {"booking_id", id}};
  if (kind == "table") {
    Result<services::TableBooking> b = services::get_table_booking(*c.h.db, c.user.actor, id);
    if (!b.ok()) return b.status().with_context("booking_id");
    if (b->status != "booked")
      return FailedPreconditionError("booking_id: table booking {} is {}", id, b->status);
    if (b->user_id == c.user.actor.user_id && !c.user.actor.is_admin() &&
        c.now_us >= b->starts_at_us)
      return FailedPreconditionError(
          "booking_id: table booking {} has started; only the "
          "restaurant can cancel it now",
          id);
    const std::string date = format_date(services::local_time(b->starts_at_us).day);
    d.content = json{
        {"kind", "table"},
        {"booking_id", id},
        {"place",
         json{{"id", b->poi_id}, {"name_en", b->place_name_en}, {"name_zh", b->place_name_zh}}},
        {"date", date},
        {"time", local_hhmm(b->starts_at_us)},
        {"party_size", b->party_size},
        {"refund", 0},
        {"currency", "CNY"}};
    const std::string name = c.name(b->place_name_en, b->place_name_zh);
    d.summary = c.zh() ? fmt::format("取消{} {} {} 的订位（{}位）", name, date,
                                     local_hhmm(b->starts_at_us), b->party_size)
                       : fmt::format("Cancel the table for {} at {}, {} {}", b->party_size, name,
                                     date, local_hhmm(b->starts_at_us));
    return d;
  }
  if (kind == "hotel") {
    Result<services::HotelBooking> b = services::get_hotel_booking(*c.h.db, c.user.actor, id);
    if (!b.ok()) return b.status().with_context("booking_id");
    const int64_t today = services::local_time(c.now_us).day;
    if (b->status != "booked")
      return FailedPreconditionError("booking_id: hotel booking {} is {}", id, b->status);
    if (today >= b->check_out_day)
      return FailedPreconditionError("booking_id: the stay of hotel booking {} is over", id);
    // The guest cancels under the rule (nights begun are kept); the hotel or an admin refunds
    // all of it (hotel_bookings.h).
    const bool by_guest = b->user_id == c.user.actor.user_id && !c.user.actor.is_admin();
    const int64_t fee =
        by_guest ? services::hotel_cancellation_fee(b->total, b->nights, b->check_in_day, today)
                 : 0;
    d.content = json{
        {"kind", "hotel"},
        {"booking_id", id},
        {"hotel",
         json{{"id", b->poi_id}, {"name_en", b->hotel_name_en}, {"name_zh", b->hotel_name_zh}}},
        {"room_type", json{{"id", b->room_type_id},
                           {"name_en", b->room_type_name_en},
                           {"name_zh", b->room_type_name_zh}}},
        {"check_in", format_date(b->check_in_day)},
        {"check_out", format_date(b->check_out_day)},
        {"total", b->total},
        {"fee", fee},
        {"refund", b->total - fee},
        {"currency", "CNY"}};
    const std::string name = c.name(b->hotel_name_en, b->hotel_name_zh);
    d.summary =
        c.zh() ? fmt::format("取消{} {} 至 {} 的住宿，退款 {}", name, format_date(b->check_in_day),
                             format_date(b->check_out_day), yuan(b->total - fee))
               : fmt::format("Cancel the stay at {}, {} to {}; {} back", name,
                             format_date(b->check_in_day), format_date(b->check_out_day),
                             yuan(b->total - fee));
    return d;
  }
  Result<services::Ride> r = services::get_ride(*c.h.db, c.user.actor, id);
  if (!r.ok()) return r.status().with_context("booking_id");
  if (r->status != "requested" && r->status != "assigned" && r->status != "arriving")
    return FailedPreconditionError(
        "booking_id: ride {} is {}; only a ride not yet picked up can "
        "be cancelled",
        id, r->status);
  const int64_t fee = services::ride_cancellation_fee(r->status, r->price);
  d.content = json{{"kind", "ride"},
                   {"booking_id", id},
                   {"from", ride_place_json(r->from)},
                   {"to", ride_place_json(r->to)},
                   {"vehicle", services::ride_vehicle_name(r->vehicle)},
                   {"price", r->price},
                   {"fee", fee},
                   {"refund", r->price - fee},
                   {"currency", "CNY"}};
  d.info = json{{"status", r->status}};
  d.summary = c.zh() ? fmt::format("取消行程 {}（{} -> {}），退款 {}", id, ride_end(c, r->from),
                                   ride_end(c, r->to), yuan(r->price - fee))
                     : fmt::format("Cancel ride {} ({} -> {}); {} back", id, ride_end(c, r->from),
                                   ride_end(c, r->to), yuan(r->price - fee));
  return d;
}

Result<ToolResult> commit_cancel_booking(Call& c, const ActionDraft& d, std::string_view key) {
  QWL_ASSIGN_OR_RETURN(std::string kind, kind_arg(c, true));
  QWL_ASSIGN_OR_RETURN(int64_t id, c.args.req_int("booking_id", 1, kMaxId));
  return run_once(c, d, key, [&]() -> Result<ToolResult> {
    ToolResult out;
    if (kind == "table") {
      Result<services::TableBooking> b =
          services::cancel_table_booking(*c.h.db, *c.h.clock, c.user.actor, id);
      if (!b.ok()) return b.status().with_context("booking_id");
      out.result = table_model(c, *b);
      out.cards.push_back(Card{.type = "booking", .data = table_card(*b)});
    } else if (kind == "hotel") {
      Result<services::HotelBooking> b =
          services::cancel_hotel_booking(*c.h.db, *c.h.clock, c.user.actor, id);
      if (!b.ok()) return b.status().with_context("booking_id");
      out.result = hotel_model(c, *b);
      out.cards.push_back(Card{.type = "booking", .data = hotel_card(*b)});
    } else {
      Result<services::Ride> r = services::cancel_ride(*c.h.db, *c.h.clock, c.user.actor, id);
      if (!r.ok()) return r.status().with_context("booking_id");
      out.result = ride_model(c, *r);
      out.cards.push_back(Card{.type = "booking", .data = ride_card(*r)});
    }
    return out;
  });
}

}  // namespace qwl::agent::eco
