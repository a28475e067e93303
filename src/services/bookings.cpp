// The bookings worker (see bookings.h).
#include "services/bookings.h"

namespace qwl::services {

Result<BookingsWorkerReport> run_bookings_worker(Db& db, const Clock& clock, int64_t limit) {
  BookingsWorkerReport report;
  QWL_ASSIGN_OR_RETURN(report.ride_steps, advance_rides(db, clock, limit));
  QWL_ASSIGN_OR_RETURN(report.tables_completed, complete_table_bookings(db, clock, limit));
  QWL_ASSIGN_OR_RETURN(report.hotels_completed, complete_hotel_bookings(db, clock, limit));
  return report;
}

}  // namespace qwl::services
