// Restaurant table bookings: which times a place has a table for a party, booking one, and
// cancelling it.
//
// Times sit on a 30-minute grid of the city's clock (19:00, 19:30, ...). A booking holds one
// table for kTableBookingSlots slots (2 hours) and must fit inside one of the place's opening
// ranges (poi_hours; ranges past midnight and back-to-back ranges count as one; a place without
// rows is always open), so a place closing at 22:00 takes its last booking at 20:00. The table
// is the smallest free one with seats >= party size (fewest seats, then lowest id), so big
// tables stay free for big parties. Each slot a booking holds is a table_slot_claims row whose
// primary key (table, slot) makes a double booking impossible whatever the isolation level:
// of concurrent bookings of one slot, exactly as many succeed as there are fitting tables.
//
// Who may do what (actor.h): anyone may ask for availability; a signed-in user books for
// themselves; the booking's user sees and cancels it (before it starts), the owner of the
// place's merchant (merchants.poi_id) sees the place's bookings and may cancel any of them
// while they are booked, an admin may do everything. Other users' bookings answer NotFound; a
// customer asking for a place's bookings PermissionDenied.
//
// Errors: InvalidArgument (party size not in 1..largest table, a time in the past, off the
// grid or more than kTableBookingAheadDays ahead, a window out of range, texts too long),
// NotFound (unknown place or booking), FailedPrecondition (a place without tables, closed at
// that time, no table free, a booking already cancelled or started).
//
// Every status change writes a user_events row (kind table_booking) in its transaction.
// Thread-safety: as Db; functions may be called from any thread.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "base/clock.h"
#include "base/status.h"
#include "services/actor.h"
#include "store/db.h"

namespace qwl::services {

inline constexpr int kTableSlotMinutes = 30;
inline constexpr int64_t kTableSlotUs = kTableSlotMinutes * 60LL * 1'000'000;
inline constexpr int kTableBookingSlots = 4;  // a booking holds its table for 2 hours
inline constexpr int64_t kTableBookingUs = kTableBookingSlots * kTableSlotUs;
inline constexpr int64_t kTableBookingAheadDays = 60;
inline constexpr int kMaxTableWindowMinutes = 12 * 60;
inline constexpr size_t kMaxBookingTextBytes = 500;  // contact name, note

enum class TableSlotState {
  kAvailable,  // a fitting table is free for the whole booking
  kFull,       // open, but every fitting table is taken for part of it
  kClosed,     // the booking would not fit inside the opening hours
};
std::string_view table_slot_state_name(TableSlotState state);  // "available", "full", "closed"

struct TableSlot {
  int64_t starts_at_us = 0;  // UTC microseconds; the booking would end kTableBookingUs later
  int local_minute = 0;      // minutes after local midnight (19:00 = 1140), for display
  TableSlotState state = TableSlotState::kClosed;
  int64_t table_id = 0;  // the table a booking would get now (0 unless available)
  std::string table_label;
  int64_t seats = 0;
  int64_t free_tables = 0;  // fitting tables free for the whole booking
};

struct TableAvailabilityQuery {
  int64_t poi_id = 0;
  int64_t at_us = 0;  // the wished start; rounded up to the grid; must be in the future
  int64_t party_size = 0;
  int window_minutes = 120;  // slots are listed within +/- this of the wished time (0..720)
  int max_alternatives = 3;  // 0..48
};

struct TableAvailability {
  int64_t poi_id = 0;
  std::string name_en;
  std::string name_zh;
  int64_t party_size = 0;
  int64_t largest_table = 0;  // seats of the place's biggest table
  TableSlot requested;        // the wished time on the grid
  // Every future slot in the window that is open (available or full), in time order.
  std::vector<TableSlot> slots;
  // When `requested` is not available: the available slots of the window nearest to it,
  // nearest first (the earlier of two equally near). Empty when it is available.
  std::vector<TableSlot> alternatives;
};

Result<TableAvailability> table_availability(Db& db, const Clock& clock, const Actor& actor,
                                             const TableAvailabilityQuery& query);

struct TableBooking {
  int64_t id = 0;
  int64_t user_id = 0;
  int64_t poi_id = 0;
  std::string place_name_en;
  std::string place_name_zh;
  int64_t table_id = 0;
  std::string table_label;
  int64_t seats = 0;
  int64_t starts_at_us = 0;
  int64_t ends_at_us = 0;
  int64_t party_size = 0;
  std::string status;  // booked, cancelled, completed
  std::string contact_name;
  std::string note;
  int64_t created_at_us = 0;
  int64_t updated_at_us = 0;
};

struct TableBookingRequest {
  int64_t poi_id = 0;
  int64_t starts_at_us = 0;  // on the 30-minute grid, in the future
  int64_t party_size = 0;
  std::string contact_name;  // optional, at most kMaxBookingTextBytes
  std::string note;          // optional, at most kMaxBookingTextBytes
  // Optional; when set, a retry with the same key and request returns the first booking
  // (replayed = true) instead of booking again (idempotency.h).
  std::string idempotency_key;
};

struct TableBookingResult {
  TableBooking booking;
  bool replayed = false;
};

// Books the smallest fitting free table for the actor. Besides the errors above,
// FailedPrecondition when the actor already holds a booking at this place overlapping the time
// (a second table for the same dinner is almost always a retry without a key).
Result<TableBookingResult> book_table(Db& db, const Clock& clock, const Actor& actor,
                                      const TableBookingRequest& request);

// Cancels a booked booking and frees its slots: its user before it starts, the place's merchant
// owner or an admin while it is booked.
Result<TableBooking> cancel_table_booking(Db& db, const Clock& clock, const Actor& actor,
                                          int64_t booking_id);

// One booking: its user, the place's merchant owner, an admin.
Result<TableBooking> get_table_booking(Db& db, const Actor& actor, int64_t booking_id);

// The actor's own bookings, latest start first (limit 1..500).
Result<std::vector<TableBooking>> list_my_table_bookings(Db& db, const Actor& actor,
                                                         int64_t limit = 50);

// A place's bookings starting in [from_us, to_us), earliest first, at most 1000: the place's
// merchant owner or an admin.
Result<std::vector<TableBooking>> list_place_table_bookings(Db& db, const Actor& actor,
                                                            int64_t poi_id, int64_t from_us,
                                                            int64_t to_us);

// The worker's step: bookings still booked whose time has ended become completed (at most
// `limit` per call). Returns how many.
Result<int64_t> complete_table_bookings(Db& db, const Clock& clock, int64_t limit = 500);

}  // namespace qwl::services
