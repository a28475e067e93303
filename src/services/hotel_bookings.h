// Hotel room bookings: which room types of a hotel are free for a stay, the price of a stay,
// booking a room with prepayment, and cancelling with the refund rule.
//
// A stay is check-in and check-out local days (days since 1970-01-01 in the city's time, as
// local_time().day); its nights are [check_in_day, check_out_day). A booking is for one room
// type; the service assigns one room of that type that is free for every night (lowest room id
// first) and holds each night as a room_nights row, whose primary key (room, night) makes a
// double booking impossible whatever the isolation level: of concurrent bookings of one type,
// exactly as many succeed as there are rooms free for all their nights.
//
// Money: the stay is prepaid from the user's wallet when booking (total = nights x
// price_per_night), in the same transaction as the booking, its room nights and its event. The
// payee is the account of the merchant whose poi is the hotel when there is one, else the
// platform account (the platform then settles with the hotel outside the ledger, as a payout);
// the seeded city has no hotel merchants (merchants.kind has no 'hotel'), so its stays are paid
// to the platform. A refund always goes back from the account that was paid, found through the
// payment's ledger reference "hotel:<id>".
//
// Cancellation (docs/ecosystem/bookings.md): the guest cancels for free before the check-in
// day; from the check-in day on, the nights already begun are charged (one night on the
// check-in day, two on the next day, ...) and the rest refunded; from the check-out day on the
// stay is over and cannot be cancelled. The hotel's merchant owner (or an admin) may cancel any
// booked stay, always with a full refund. Cancelling frees all the booking's room nights.
//
// Who may do what (actor.h): anyone may ask for availability and quotes; a signed-in user books
// for themselves; the guest, the hotel's merchant owner and admins see a booking; other users'
// bookings answer NotFound; a customer asking for a hotel's bookings PermissionDenied.
//
// Errors: InvalidArgument (guests not in 1..the largest room type's max_guests, check-in before
// today or more than kHotelBookingAheadDays ahead, check-out not after check-in, more than
// kMaxHotelNights nights, a total above kMaxAmount, a negative expected_total), NotFound
// (unknown hotel, room type or booking), FailedPrecondition (a hotel without rooms, no room
// free, a changed price, insufficient funds, a booking not booked or a stay already over).
//
// Every status change writes a user_events row (kind hotel_booking) in its transaction.
// Thread-safety: as Db; functions may be called from any thread.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "base/clock.h"
#include "base/status.h"
#include "services/actor.h"
#include "store/db.h"

namespace qwl::services {

inline constexpr int64_t kMaxHotelNights = 30;
inline constexpr int64_t kHotelBookingAheadDays = 365;
inline constexpr int kHotelCheckOutMinute = 12 * 60;  // stays end (and complete) at noon

struct HotelStay {
  int64_t check_in_day = 0;   // local day of arrival
  int64_t check_out_day = 0;  // local day of departure (> check_in_day)
  int64_t guests = 0;
};

// One room type's offer for a stay.
struct RoomTypeOffer {
  int64_t room_type_id = 0;
  int64_t poi_id = 0;
  std::string name_en;
  std::string name_zh;
  int64_t beds = 0;
  int64_t max_guests = 0;
  int64_t price_per_night = 0;  // fen
  int64_t nights = 0;
  int64_t total = 0;       // nights x price_per_night, fen
  int64_t free_rooms = 0;  // rooms of this type free for every night of the stay
};

struct HotelAvailability {
  int64_t poi_id = 0;
  std::string name_en;
  std::string name_zh;
  HotelStay stay;
  int64_t nights = 0;
  // The room types that hold the guests, cheapest first (then lowest id); full ones included
  // with free_rooms = 0.
  std::vector<RoomTypeOffer> room_types;
};

Result<HotelAvailability> hotel_availability(Db& db, const Clock& clock, const Actor& actor,
                                             int64_t poi_id, const HotelStay& stay);

// The price of a stay in one room type, with how many rooms are free for it.
Result<RoomTypeOffer> quote_hotel_stay(Db& db, const Clock& clock, const Actor& actor,
                                       int64_t room_type_id, const HotelStay& stay);

struct HotelBooking {
  int64_t id = 0;
  int64_t user_id = 0;
  int64_t poi_id = 0;
  std::string hotel_name_en;
  std::string hotel_name_zh;
  int64_t room_type_id = 0;
  std::string room_type_name_en;
  std::string room_type_name_zh;
  int64_t room_id = 0;
  std::string room_number;
  int64_t check_in_day = 0;
  int64_t check_out_day = 0;
  int64_t nights = 0;
  int64_t guests = 0;
  int64_t total = 0;     // paid when booking, fen
  int64_t refunded = 0;  // paid back on cancellation, fen
  std::string status;    // booked, cancelled, completed
  int64_t created_at_us = 0;
  int64_t updated_at_us = 0;
};

struct HotelBookingRequest {
  int64_t room_type_id = 0;
  HotelStay stay;
  // The total the user agreed to (from a quote); a different current total is
  // FailedPrecondition. Unset: charge the current total.
  std::optional<int64_t> expected_total;
  // Optional; a retry with the same key and request returns the first booking (replayed) and
  // charges nothing again (idempotency.h).
  std::string idempotency_key;
};

struct HotelBookingResult {
  HotelBooking booking;
  bool replayed = false;
};

Result<HotelBookingResult> book_hotel(Db& db, const Clock& clock, const Actor& actor,
                                      const HotelBookingRequest& request);

// What a guest's cancellation on local day `today` keeps of a stay (fen): 0 before the check-in
// day, then the nights begun so far (at least one, at most all). Pure; `nights` > 0.
int64_t hotel_cancellation_fee(int64_t total, int64_t nights, int64_t check_in_day, int64_t today);

// Cancels a booked stay, refunds through the ledger by the rule above and frees its nights.
Result<HotelBooking> cancel_hotel_booking(Db& db, const Clock& clock, const Actor& actor,
                                          int64_t booking_id);

Result<HotelBooking> get_hotel_booking(Db& db, const Actor& actor, int64_t booking_id);

// The actor's own stays, latest check-in first (limit 1..500).
Result<std::vector<HotelBooking>> list_my_hotel_bookings(Db& db, const Actor& actor,
                                                         int64_t limit = 50);

// A hotel's stays overlapping local days [from_day, to_day), earliest check-in first, at most
// 1000: the hotel's merchant owner or an admin.
Result<std::vector<HotelBooking>> list_place_hotel_bookings(Db& db, const Actor& actor,
                                                            int64_t poi_id, int64_t from_day,
                                                            int64_t to_day);

// The worker's step: stays still booked whose check-out day has reached noon become completed
// (at most `limit` per call). Returns how many.
Result<int64_t> complete_hotel_bookings(Db& db, const Clock& clock, int64_t limit = 500);

}  // namespace qwl::services
