-- The core of the ecosystem: identity, the city, merchants and their menus, the product
-- catalog, coupons, the double-entry ledger, carts, orders, bookings and the per-user event
-- outbox. Money: BIGINT minor units. Times: BIGINT microseconds since the Unix epoch. Ratings:
-- BIGINT tenths. Every foreign key is indexed where a service looks it up.

-- Identity ------------------------------------------------------------------------------------

CREATE TABLE users (
  id {{pk}},
  email TEXT NOT NULL UNIQUE,
  name TEXT NOT NULL,
  role TEXT NOT NULL CHECK (role IN ('customer', 'merchant', 'admin')),
  locale TEXT NOT NULL DEFAULT 'en',
  password_hash TEXT NOT NULL DEFAULT '',
  daily_spend_limit BIGINT CHECK (daily_spend_limit IS NULL OR daily_spend_limit >= 0),
  disabled {{bool}} NOT NULL DEFAULT FALSE,
  created_at_us BIGINT NOT NULL
);

CREATE TABLE api_keys (
  id {{pk}},
  user_id BIGINT NOT NULL REFERENCES users (id),
  name TEXT NOT NULL DEFAULT '',
  prefix TEXT NOT NULL,
  key_hash TEXT NOT NULL UNIQUE,
  max_concurrent BIGINT NOT NULL DEFAULT 4 CHECK (max_concurrent > 0),
  created_at_us BIGINT NOT NULL,
  revoked_at_us BIGINT
);
CREATE INDEX api_keys_user ON api_keys (user_id);

-- A signed-in browser: the cookie holds a random token, the table its hash.
CREATE TABLE web_sessions (
  token_hash TEXT PRIMARY KEY,
  user_id BIGINT NOT NULL REFERENCES users (id),
  created_at_us BIGINT NOT NULL,
  expires_at_us BIGINT NOT NULL
);
CREATE INDEX web_sessions_user ON web_sessions (user_id);

-- The city ------------------------------------------------------------------------------------

CREATE TABLE districts (
  id {{pk}},
  name_en TEXT NOT NULL,
  name_zh TEXT NOT NULL,
  lat {{real}} NOT NULL,
  lon {{real}} NOT NULL
);

CREATE TABLE road_nodes (
  id {{pk}},
  lat {{real}} NOT NULL,
  lon {{real}} NOT NULL
);

-- A road segment between two nodes. Two-way unless oneway (then from -> to only). Who may use
-- it follows the class: motorway cars only; path walking and cycling only; the rest everyone.
CREATE TABLE road_edges (
  id {{pk}},
  from_node BIGINT NOT NULL REFERENCES road_nodes (id),
  to_node BIGINT NOT NULL REFERENCES road_nodes (id),
  length_m BIGINT NOT NULL CHECK (length_m > 0),
  road_class TEXT NOT NULL
    CHECK (road_class IN ('motorway', 'primary', 'secondary', 'residential', 'path')),
  speed_kmh BIGINT NOT NULL CHECK (speed_kmh > 0),
  oneway {{bool}} NOT NULL DEFAULT FALSE,
  name_en TEXT NOT NULL DEFAULT '',
  name_zh TEXT NOT NULL DEFAULT ''
);
CREATE INDEX road_edges_from ON road_edges (from_node);
CREATE INDEX road_edges_to ON road_edges (to_node);

-- Points of interest. node_id is the nearest road node (where routes start and end).
CREATE TABLE pois (
  id {{pk}},
  kind TEXT NOT NULL CHECK (kind IN ('cafe', 'tea', 'restaurant', 'supermarket', 'pharmacy',
                                     'hotel', 'cinema', 'sight', 'office', 'residence',
                                     'station', 'airport', 'shop')),
  name_en TEXT NOT NULL,
  name_zh TEXT NOT NULL,
  description_en TEXT NOT NULL DEFAULT '',
  description_zh TEXT NOT NULL DEFAULT '',
  address_en TEXT NOT NULL DEFAULT '',
  address_zh TEXT NOT NULL DEFAULT '',
  cuisine TEXT NOT NULL DEFAULT '',
  lat {{real}} NOT NULL,
  lon {{real}} NOT NULL,
  district_id BIGINT REFERENCES districts (id),
  node_id BIGINT REFERENCES road_nodes (id),
  rating_x10 BIGINT NOT NULL DEFAULT 0 CHECK (rating_x10 BETWEEN 0 AND 50),
  review_count BIGINT NOT NULL DEFAULT 0,
  price_level BIGINT NOT NULL DEFAULT 0 CHECK (price_level BETWEEN 0 AND 4),
  phone TEXT NOT NULL DEFAULT ''
);
CREATE INDEX pois_kind ON pois (kind);
CREATE INDEX pois_district ON pois (district_id);

-- Opening hours: weekday 0 = Monday; minutes from that day's midnight, close_min may pass 1440
-- (open past midnight). No row for a weekday: closed that day. No rows at all: always open.
CREATE TABLE poi_hours (
  poi_id BIGINT NOT NULL REFERENCES pois (id),
  weekday BIGINT NOT NULL CHECK (weekday BETWEEN 0 AND 6),
  open_min BIGINT NOT NULL CHECK (open_min BETWEEN 0 AND 1439),
  close_min BIGINT NOT NULL CHECK (close_min > open_min AND close_min <= 2880),
  PRIMARY KEY (poi_id, weekday, open_min)
);

CREATE TABLE reviews (
  id {{pk}},
  poi_id BIGINT NOT NULL REFERENCES pois (id),
  user_id BIGINT REFERENCES users (id),
  rating_x10 BIGINT NOT NULL CHECK (rating_x10 BETWEEN 0 AND 50),
  text TEXT NOT NULL,
  created_at_us BIGINT NOT NULL
);
CREATE INDEX reviews_poi ON reviews (poi_id);

-- People's places: home, office and others, with where routes to them end.
CREATE TABLE addresses (
  id {{pk}},
  user_id BIGINT NOT NULL REFERENCES users (id),
  label TEXT NOT NULL,
  recipient TEXT NOT NULL DEFAULT '',
  phone TEXT NOT NULL DEFAULT '',
  line_en TEXT NOT NULL,
  line_zh TEXT NOT NULL DEFAULT '',
  lat {{real}} NOT NULL,
  lon {{real}} NOT NULL,
  district_id BIGINT REFERENCES districts (id),
  node_id BIGINT REFERENCES road_nodes (id),
  is_default {{bool}} NOT NULL DEFAULT FALSE,
  created_at_us BIGINT NOT NULL
);
CREATE INDEX addresses_user ON addresses (user_id);

-- Merchants and menus ---------------------------------------------------------------------------

-- A business that sells: a café or restaurant with a menu (menu_items), or a shop with
-- catalog products. poi_id is its place on the map (NULL for an online-only shop); its opening
-- hours are the poi's. accepting = FALSE closes it for orders whatever the hours say.
CREATE TABLE merchants (
  id {{pk}},
  poi_id BIGINT UNIQUE REFERENCES pois (id),
  owner_user_id BIGINT REFERENCES users (id),
  kind TEXT NOT NULL CHECK (kind IN ('cafe', 'tea', 'restaurant', 'supermarket', 'pharmacy',
                                     'shop')),
  name_en TEXT NOT NULL,
  name_zh TEXT NOT NULL,
  description_en TEXT NOT NULL DEFAULT '',
  description_zh TEXT NOT NULL DEFAULT '',
  prep_minutes BIGINT NOT NULL DEFAULT 10 CHECK (prep_minutes >= 0),
  delivery_fee BIGINT NOT NULL DEFAULT 0 CHECK (delivery_fee >= 0),
  min_order BIGINT NOT NULL DEFAULT 0 CHECK (min_order >= 0),
  delivery_radius_m BIGINT NOT NULL DEFAULT 5000,
  rating_x10 BIGINT NOT NULL DEFAULT 0 CHECK (rating_x10 BETWEEN 0 AND 50),
  sales BIGINT NOT NULL DEFAULT 0,
  accepting {{bool}} NOT NULL DEFAULT TRUE,
  created_at_us BIGINT NOT NULL
);
CREATE INDEX merchants_owner ON merchants (owner_user_id);

-- stock NULL: made to order, never runs out.
CREATE TABLE menu_items (
  id {{pk}},
  merchant_id BIGINT NOT NULL REFERENCES merchants (id),
  category_en TEXT NOT NULL DEFAULT '',
  category_zh TEXT NOT NULL DEFAULT '',
  name_en TEXT NOT NULL,
  name_zh TEXT NOT NULL,
  description_en TEXT NOT NULL DEFAULT '',
  description_zh TEXT NOT NULL DEFAULT '',
  price BIGINT NOT NULL CHECK (price >= 0),
  available {{bool}} NOT NULL DEFAULT TRUE,
  stock BIGINT CHECK (stock IS NULL OR stock >= 0),
  sales BIGINT NOT NULL DEFAULT 0,
  sort BIGINT NOT NULL DEFAULT 0,
  updated_at_us BIGINT NOT NULL
);
CREATE INDEX menu_items_merchant ON menu_items (merchant_id);

-- Choices on a menu item: key is a stable English word (size, sugar, ice, milk, temperature,
-- spice, extra); min_choices 1 = one must be chosen (the default one when the order names
-- none); max_choices > 1 = several may be chosen (toppings).
CREATE TABLE menu_option_groups (
  id {{pk}},
  item_id BIGINT NOT NULL REFERENCES menu_items (id),
  key TEXT NOT NULL,
  name_en TEXT NOT NULL,
  name_zh TEXT NOT NULL,
  min_choices BIGINT NOT NULL DEFAULT 0 CHECK (min_choices >= 0),
  max_choices BIGINT NOT NULL DEFAULT 1 CHECK (max_choices >= 1),
  sort BIGINT NOT NULL DEFAULT 0,
  UNIQUE (item_id, key)
);

CREATE TABLE menu_options (
  id {{pk}},
  group_id BIGINT NOT NULL REFERENCES menu_option_groups (id),
  name_en TEXT NOT NULL,
  name_zh TEXT NOT NULL,
  price_delta BIGINT NOT NULL DEFAULT 0,
  is_default {{bool}} NOT NULL DEFAULT FALSE,
  sort BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX menu_options_group ON menu_options (group_id);

-- The product catalog ---------------------------------------------------------------------------

CREATE TABLE categories (
  id {{pk}},
  parent_id BIGINT REFERENCES categories (id),
  name_en TEXT NOT NULL,
  name_zh TEXT NOT NULL
);

CREATE TABLE brands (
  id {{pk}},
  name_en TEXT NOT NULL,
  name_zh TEXT NOT NULL
);

CREATE TABLE products (
  id {{pk}},
  merchant_id BIGINT NOT NULL REFERENCES merchants (id),
  category_id BIGINT NOT NULL REFERENCES categories (id),
  brand_id BIGINT REFERENCES brands (id),
  name_en TEXT NOT NULL,
  name_zh TEXT NOT NULL,
  description_en TEXT NOT NULL DEFAULT '',
  description_zh TEXT NOT NULL DEFAULT '',
  rating_x10 BIGINT NOT NULL DEFAULT 0 CHECK (rating_x10 BETWEEN 0 AND 50),
  review_count BIGINT NOT NULL DEFAULT 0,
  sales BIGINT NOT NULL DEFAULT 0,
  listed {{bool}} NOT NULL DEFAULT TRUE,
  created_at_us BIGINT NOT NULL,
  updated_at_us BIGINT NOT NULL
);
CREATE INDEX products_merchant ON products (merchant_id);
CREATE INDEX products_category ON products (category_id);
CREATE INDEX products_brand ON products (brand_id);

-- What is bought: a product in one variant (size, colour, pack) with its own price and stock.
CREATE TABLE product_variants (
  id {{pk}},
  product_id BIGINT NOT NULL REFERENCES products (id),
  sku TEXT NOT NULL UNIQUE,
  name_en TEXT NOT NULL DEFAULT '',
  name_zh TEXT NOT NULL DEFAULT '',
  price BIGINT NOT NULL CHECK (price >= 0),
  stock BIGINT NOT NULL CHECK (stock >= 0)
);
CREATE INDEX product_variants_product ON product_variants (product_id);

-- Filterable attributes of a product (name and value in lower-case English: colour = red).
CREATE TABLE product_attributes (
  product_id BIGINT NOT NULL REFERENCES products (id),
  name TEXT NOT NULL,
  value TEXT NOT NULL,
  PRIMARY KEY (product_id, name)
);
CREATE INDEX product_attributes_value ON product_attributes (name, value);

-- Coupons ---------------------------------------------------------------------------------------

-- merchant_id NULL: a platform coupon, valid at every merchant. The discount is amount_off, or
-- percent_off of the subtotal capped at max_discount; it applies from min_subtotal. funded_by
-- says whose money pays the discount. At most one merchant coupon and one platform coupon per
-- order; a platform coupon combines with a merchant coupon only when stackable.
CREATE TABLE coupons (
  id {{pk}},
  code TEXT NOT NULL UNIQUE,
  title_en TEXT NOT NULL,
  title_zh TEXT NOT NULL,
  merchant_id BIGINT REFERENCES merchants (id),
  funded_by TEXT NOT NULL CHECK (funded_by IN ('platform', 'merchant')),
  min_subtotal BIGINT NOT NULL DEFAULT 0 CHECK (min_subtotal >= 0),
  amount_off BIGINT NOT NULL DEFAULT 0 CHECK (amount_off >= 0),
  percent_off BIGINT NOT NULL DEFAULT 0 CHECK (percent_off BETWEEN 0 AND 100),
  max_discount BIGINT CHECK (max_discount IS NULL OR max_discount >= 0),
  stackable {{bool}} NOT NULL DEFAULT FALSE,
  starts_at_us BIGINT NOT NULL,
  ends_at_us BIGINT NOT NULL,
  total_limit BIGINT,
  used_count BIGINT NOT NULL DEFAULT 0 CHECK (used_count >= 0),
  CHECK (total_limit IS NULL OR used_count <= total_limit)
);
CREATE INDEX coupons_merchant ON coupons (merchant_id);

-- A coupon in a user's hands: used once (order_id set when used).
CREATE TABLE user_coupons (
  id {{pk}},
  user_id BIGINT NOT NULL REFERENCES users (id),
  coupon_id BIGINT NOT NULL REFERENCES coupons (id),
  claimed_at_us BIGINT NOT NULL,
  used_at_us BIGINT,
  order_id BIGINT
);
CREATE INDEX user_coupons_user ON user_coupons (user_id);

-- The ledger ------------------------------------------------------------------------------------

-- An account holds money: a user's wallet (owner_id = user id), a merchant's takings
-- (owner_id = merchant id), the platform's revenue, the platform's coupon budget, and
-- 'external', the outside world that top-ups come from and payouts go to (the only account
-- that may go negative). System accounts have owner_id 0. balance is the sum of the account's
-- entries, kept in the same transaction as they are written.
CREATE TABLE accounts (
  id {{pk}},
  kind TEXT NOT NULL CHECK (kind IN ('wallet', 'merchant', 'platform', 'coupon_funding',
                                     'external')),
  owner_id BIGINT NOT NULL DEFAULT 0,
  currency TEXT NOT NULL DEFAULT 'CNY',
  balance BIGINT NOT NULL DEFAULT 0,
  allow_negative {{bool}} NOT NULL DEFAULT FALSE,
  created_at_us BIGINT NOT NULL,
  UNIQUE (kind, owner_id, currency),
  CHECK (allow_negative OR balance >= 0)
);

-- One movement of money: its entries sum to zero.
CREATE TABLE ledger_txns (
  id {{pk}},
  kind TEXT NOT NULL CHECK (kind IN ('topup', 'payment', 'refund', 'payout', 'adjustment')),
  user_id BIGINT REFERENCES users (id),
  order_id BIGINT,
  booking_ref TEXT,
  memo TEXT NOT NULL DEFAULT '',
  created_at_us BIGINT NOT NULL
);
CREATE INDEX ledger_txns_user ON ledger_txns (user_id, created_at_us);
CREATE INDEX ledger_txns_order ON ledger_txns (order_id);

-- amount > 0 credits the account, < 0 debits it.
CREATE TABLE ledger_entries (
  id {{pk}},
  txn_id BIGINT NOT NULL REFERENCES ledger_txns (id),
  account_id BIGINT NOT NULL REFERENCES accounts (id),
  amount BIGINT NOT NULL CHECK (amount <> 0),
  balance_after BIGINT NOT NULL
);
CREATE INDEX ledger_entries_txn ON ledger_entries (txn_id);
CREATE INDEX ledger_entries_account ON ledger_entries (account_id, id);

-- Idempotency keys (Stripe's semantics): the first result of (user, key) is kept and replayed
-- for the same request; another request under the same key is refused. Kept >= 24 hours.
CREATE TABLE idempotency_keys (
  user_id BIGINT NOT NULL,
  key TEXT NOT NULL,
  operation TEXT NOT NULL,
  request_hash TEXT NOT NULL,
  response TEXT NOT NULL,
  created_at_us BIGINT NOT NULL,
  PRIMARY KEY (user_id, key)
);
CREATE INDEX idempotency_keys_created ON idempotency_keys (created_at_us);

-- Carts and orders ------------------------------------------------------------------------------

-- One line of a user's cart: a menu item with chosen options (option ids, sorted, comma
-- separated) or a product variant. A user's cart may hold several merchants' items; checkout
-- takes one merchant's.
CREATE TABLE cart_items (
  id {{pk}},
  user_id BIGINT NOT NULL REFERENCES users (id),
  merchant_id BIGINT NOT NULL REFERENCES merchants (id),
  menu_item_id BIGINT REFERENCES menu_items (id),
  variant_id BIGINT REFERENCES product_variants (id),
  options TEXT NOT NULL DEFAULT '',
  quantity BIGINT NOT NULL CHECK (quantity > 0),
  added_at_us BIGINT NOT NULL,
  CHECK ((menu_item_id IS NULL) <> (variant_id IS NULL))
);
CREATE INDEX cart_items_user ON cart_items (user_id, merchant_id);

-- status: placed -> accepted -> preparing -> on_the_way -> delivered; cancelled; refunded.
-- next_step_at_us: when the fulfilment worker advances it next (NULL: final, or waiting for the
-- merchant). Prices and names are copied at checkout: a later menu change never alters an order.
CREATE TABLE orders (
  id {{pk}},
  user_id BIGINT NOT NULL REFERENCES users (id),
  merchant_id BIGINT NOT NULL REFERENCES merchants (id),
  fulfilment TEXT NOT NULL DEFAULT 'delivery' CHECK (fulfilment IN ('delivery', 'pickup')),
  status TEXT NOT NULL CHECK (status IN ('placed', 'accepted', 'preparing', 'on_the_way',
                                         'delivered', 'cancelled', 'refunded')),
  subtotal BIGINT NOT NULL CHECK (subtotal >= 0),
  discount BIGINT NOT NULL DEFAULT 0 CHECK (discount >= 0),
  delivery_fee BIGINT NOT NULL DEFAULT 0 CHECK (delivery_fee >= 0),
  total BIGINT NOT NULL CHECK (total >= 0),
  refunded BIGINT NOT NULL DEFAULT 0 CHECK (refunded >= 0 AND refunded <= total),
  currency TEXT NOT NULL DEFAULT 'CNY',
  address_id BIGINT REFERENCES addresses (id),
  delivery_line TEXT NOT NULL DEFAULT '',
  delivery_lat {{real}},
  delivery_lon {{real}},
  eta_at_us BIGINT,
  note TEXT NOT NULL DEFAULT '',
  idempotency_key TEXT,
  placed_at_us BIGINT NOT NULL,
  updated_at_us BIGINT NOT NULL,
  next_step_at_us BIGINT
);
CREATE INDEX orders_user ON orders (user_id, placed_at_us);
CREATE INDEX orders_merchant ON orders (merchant_id, placed_at_us);
CREATE INDEX orders_next_step ON orders (next_step_at_us);

CREATE TABLE order_items (
  id {{pk}},
  order_id BIGINT NOT NULL REFERENCES orders (id),
  menu_item_id BIGINT REFERENCES menu_items (id),
  variant_id BIGINT REFERENCES product_variants (id),
  name_en TEXT NOT NULL,
  name_zh TEXT NOT NULL,
  options TEXT NOT NULL DEFAULT '',
  options_en TEXT NOT NULL DEFAULT '',
  options_zh TEXT NOT NULL DEFAULT '',
  quantity BIGINT NOT NULL CHECK (quantity > 0),
  unit_price BIGINT NOT NULL CHECK (unit_price >= 0),
  line_total BIGINT NOT NULL CHECK (line_total >= 0)
);
CREATE INDEX order_items_order ON order_items (order_id);

CREATE TABLE order_coupons (
  order_id BIGINT NOT NULL REFERENCES orders (id),
  coupon_id BIGINT NOT NULL REFERENCES coupons (id),
  user_coupon_id BIGINT REFERENCES user_coupons (id),
  amount BIGINT NOT NULL CHECK (amount > 0),
  funded_by TEXT NOT NULL CHECK (funded_by IN ('platform', 'merchant')),
  PRIMARY KEY (order_id, coupon_id)
);

-- The timeline of an order, one row per change (status or note), oldest first by id.
CREATE TABLE order_events (
  id {{pk}},
  order_id BIGINT NOT NULL REFERENCES orders (id),
  status TEXT NOT NULL,
  actor_user_id BIGINT REFERENCES users (id),
  note TEXT NOT NULL DEFAULT '',
  at_us BIGINT NOT NULL
);
CREATE INDEX order_events_order ON order_events (order_id, id);

CREATE TABLE after_sales (
  id {{pk}},
  order_id BIGINT NOT NULL REFERENCES orders (id),
  user_id BIGINT NOT NULL REFERENCES users (id),
  kind TEXT NOT NULL CHECK (kind IN ('refund', 'complaint')),
  reason TEXT NOT NULL,
  amount BIGINT NOT NULL DEFAULT 0 CHECK (amount >= 0),
  status TEXT NOT NULL CHECK (status IN ('open', 'approved', 'rejected')),
  resolution TEXT NOT NULL DEFAULT '',
  created_at_us BIGINT NOT NULL,
  resolved_at_us BIGINT
);
CREATE INDEX after_sales_order ON after_sales (order_id);

-- Bookings --------------------------------------------------------------------------------------

CREATE TABLE restaurant_tables (
  id {{pk}},
  poi_id BIGINT NOT NULL REFERENCES pois (id),
  label TEXT NOT NULL,
  seats BIGINT NOT NULL CHECK (seats > 0)
);
CREATE INDEX restaurant_tables_poi ON restaurant_tables (poi_id);

CREATE TABLE table_bookings (
  id {{pk}},
  user_id BIGINT NOT NULL REFERENCES users (id),
  poi_id BIGINT NOT NULL REFERENCES pois (id),
  table_id BIGINT NOT NULL REFERENCES restaurant_tables (id),
  starts_at_us BIGINT NOT NULL,
  ends_at_us BIGINT NOT NULL CHECK (ends_at_us > starts_at_us),
  party_size BIGINT NOT NULL CHECK (party_size > 0),
  status TEXT NOT NULL CHECK (status IN ('booked', 'cancelled', 'completed')),
  contact_name TEXT NOT NULL DEFAULT '',
  note TEXT NOT NULL DEFAULT '',
  created_at_us BIGINT NOT NULL,
  updated_at_us BIGINT NOT NULL
);
CREATE INDEX table_bookings_user ON table_bookings (user_id, starts_at_us);

-- A booked table holds one row per slot it covers: the primary key makes a double booking
-- impossible whatever the isolation level. Cancelling deletes the booking's rows.
CREATE TABLE table_slot_claims (
  table_id BIGINT NOT NULL REFERENCES restaurant_tables (id),
  slot_start_us BIGINT NOT NULL,
  booking_id BIGINT NOT NULL REFERENCES table_bookings (id),
  PRIMARY KEY (table_id, slot_start_us)
);
CREATE INDEX table_slot_claims_booking ON table_slot_claims (booking_id);

CREATE TABLE hotel_room_types (
  id {{pk}},
  poi_id BIGINT NOT NULL REFERENCES pois (id),
  name_en TEXT NOT NULL,
  name_zh TEXT NOT NULL,
  beds BIGINT NOT NULL CHECK (beds > 0),
  max_guests BIGINT NOT NULL CHECK (max_guests > 0),
  price_per_night BIGINT NOT NULL CHECK (price_per_night >= 0)
);
CREATE INDEX hotel_room_types_poi ON hotel_room_types (poi_id);

CREATE TABLE hotel_rooms (
  id {{pk}},
  room_type_id BIGINT NOT NULL REFERENCES hotel_room_types (id),
  number TEXT NOT NULL
);
CREATE INDEX hotel_rooms_type ON hotel_rooms (room_type_id);

-- check_in_day / check_out_day: days since the Unix epoch (nights = out - in).
CREATE TABLE hotel_bookings (
  id {{pk}},
  user_id BIGINT NOT NULL REFERENCES users (id),
  poi_id BIGINT NOT NULL REFERENCES pois (id),
  room_type_id BIGINT NOT NULL REFERENCES hotel_room_types (id),
  room_id BIGINT NOT NULL REFERENCES hotel_rooms (id),
  check_in_day BIGINT NOT NULL,
  check_out_day BIGINT NOT NULL CHECK (check_out_day > check_in_day),
  guests BIGINT NOT NULL CHECK (guests > 0),
  total BIGINT NOT NULL CHECK (total >= 0),
  status TEXT NOT NULL CHECK (status IN ('booked', 'cancelled', 'completed')),
  created_at_us BIGINT NOT NULL,
  updated_at_us BIGINT NOT NULL
);
CREATE INDEX hotel_bookings_user ON hotel_bookings (user_id, check_in_day);

-- One row per booked room night, as table_slot_claims.
CREATE TABLE room_nights (
  room_id BIGINT NOT NULL REFERENCES hotel_rooms (id),
  night_day BIGINT NOT NULL,
  booking_id BIGINT NOT NULL REFERENCES hotel_bookings (id),
  PRIMARY KEY (room_id, night_day)
);
CREATE INDEX room_nights_booking ON room_nights (booking_id);

CREATE TABLE rides (
  id {{pk}},
  user_id BIGINT NOT NULL REFERENCES users (id),
  vehicle TEXT NOT NULL CHECK (vehicle IN ('economy', 'comfort', 'xl')),
  from_label TEXT NOT NULL DEFAULT '',
  from_lat {{real}} NOT NULL,
  from_lon {{real}} NOT NULL,
  to_label TEXT NOT NULL DEFAULT '',
  to_lat {{real}} NOT NULL,
  to_lon {{real}} NOT NULL,
  distance_m BIGINT NOT NULL CHECK (distance_m >= 0),
  duration_s BIGINT NOT NULL CHECK (duration_s >= 0),
  price BIGINT NOT NULL CHECK (price >= 0),
  status TEXT NOT NULL CHECK (status IN ('requested', 'assigned', 'arriving', 'in_progress',
                                         'completed', 'cancelled')),
  requested_at_us BIGINT NOT NULL,
  updated_at_us BIGINT NOT NULL,
  next_step_at_us BIGINT
);
CREATE INDEX rides_user ON rides (user_id, requested_at_us);

-- Events ----------------------------------------------------------------------------------------

-- The outbox of status changes that users see live (order, booking, ride), written in the
-- same transaction as the change. Servers stream a user's rows after the last id a client saw,
-- so several nodes on one PostgreSQL need no other channel.
CREATE TABLE user_events (
  id {{pk}},
  user_id BIGINT NOT NULL REFERENCES users (id),
  kind TEXT NOT NULL CHECK (kind IN ('order', 'table_booking', 'hotel_booking', 'ride',
                                     'wallet')),
  ref_id BIGINT NOT NULL,
  status TEXT NOT NULL,
  payload TEXT NOT NULL DEFAULT '{}',
  at_us BIGINT NOT NULL
);
CREATE INDEX user_events_user ON user_events (user_id, id);
