// The booking services in one include (restaurant tables, hotel rooms, rides), and the worker
// step that moves their bookings on with time: rides through their lifecycle, table bookings
// past their end and hotel stays past check-out noon to completed. docs/ecosystem/bookings.md
// describes the rules, the prices and the errors.
//
// The server runs run_bookings_worker() periodically (every few seconds) on the real clock;
// tests call it on a ManualClock. Several servers on one PostgreSQL may run it at once: every
// step is a compare-and-set on the row's status, so a step is taken once.
// Thread-safety: as Db.
#pragma once

#include <cstdint>

#include "base/clock.h"
#include "base/status.h"
#include "services/hotel_bookings.h"
#include "services/rides.h"
#include "services/table_bookings.h"
#include "store/db.h"

namespace qwl::services {

struct BookingsWorkerReport {
  int64_t ride_steps = 0;        // ride status changes
  int64_t tables_completed = 0;  // table bookings whose time ended
  int64_t hotels_completed = 0;  // stays whose check-out noon passed
};

// One pass of the worker at clock.wall_us(): at most `limit` rides, table bookings and stays
// each. Stops at the first error (a database failure), returning it.
Result<BookingsWorkerReport> run_bookings_worker(Db& db, const Clock& clock, int64_t limit = 100);

}  // namespace qwl::services
