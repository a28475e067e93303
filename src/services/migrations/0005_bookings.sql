-- Bookings: what the booking services (table_bookings, hotel_bookings, rides) need beyond the
-- core tables. Refunds are kept on the booking (the ledger holds the movements themselves);
-- the indexes serve a merchant's view of their place, the worker's scans for what is due, and
-- the lookup of a booking's payment by its ledger reference ("hotel:3", "ride:7").

ALTER TABLE hotel_bookings ADD COLUMN refunded BIGINT NOT NULL DEFAULT 0 CHECK (refunded >= 0);
ALTER TABLE rides ADD COLUMN refunded BIGINT NOT NULL DEFAULT 0 CHECK (refunded >= 0);

CREATE INDEX table_bookings_poi ON table_bookings (poi_id, starts_at_us);
CREATE INDEX table_bookings_due ON table_bookings (ends_at_us) WHERE status = 'booked';
CREATE INDEX hotel_bookings_poi ON hotel_bookings (poi_id, check_in_day);
CREATE INDEX hotel_bookings_due ON hotel_bookings (check_out_day) WHERE status = 'booked';
CREATE INDEX rides_next_step ON rides (next_step_at_us) WHERE next_step_at_us IS NOT NULL;
CREATE INDEX ledger_txns_booking_ref ON ledger_txns (booking_ref);
