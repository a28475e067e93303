// The shapes the app reads from the server: the app API's records (docs/api/*.md) and the cards
// the assistant's tools return (src/agent/ecosystem_tools_*.cpp). Money is integer fen, instants
// Unix seconds, names in both languages (name_en / name_zh). Fields the server may leave out or
// set to null are optional here, so a card from an older or newer server still renders.

export type Role = 'customer' | 'merchant' | 'admin';

export interface User {
  object: 'user';
  id: number;
  email: string | null;
  name: string;
  role: Role;
  locale?: 'en' | 'zh';
  operator?: boolean;
}

export interface LatLon {
  lat: number;
  lon: number;
}

export interface Named {
  name_en?: string;
  name_zh?: string;
}

// ---- the assistant ---------------------------------------------------------------------------

export interface Session {
  object: 'session';
  id: string;
  title: string;
  created_at: number;
  updated_at: number;
  messages: number;
}

export interface ShownEvent {
  event: 'card' | 'action' | 'error' | string;
  data: unknown;
}

export interface HistoryMessage {
  object: 'message';
  seq: number;
  created_at: number;
  events: ShownEvent[];
  message: {
    role: 'user' | 'assistant' | 'tool' | 'system';
    content?: string | null;
    tool_calls?: unknown[];
  };
}

export interface SessionDetail extends Session {
  history: HistoryMessage[];
  actions: Action[];
}

export type ActionStatus = 'pending' | 'confirmed' | 'cancelled' | 'expired' | 'replaced' | 'failed';

export interface Action {
  object: 'action';
  id: string;
  tool: string;
  status: ActionStatus;
  summary: string;
  content: Record<string, unknown>;
  info: Record<string, unknown> | null;
  arguments?: Record<string, unknown>;
  hash: string;
  session_id: string | null;
  created_at: number;
  expires_at: number;
  decided_at: number | null;
  result: { result?: unknown; cards?: Card[] } | null;
  error: string | null;
  replaced_by: string | null;
}

export interface Card {
  type: string;
  data: Record<string, unknown>;
}

// What one SSE event of a turn carries (docs/api/agent.md).
export type TurnEvent =
  | { type: 'text'; data: { delta: string } }
  | { type: 'tool_call'; data: { id: string; name: string; arguments: string } }
  | { type: 'tool_result'; data: { id: string; name: string; ok: boolean; result?: unknown; error?: { error?: string; message?: string } } }
  | { type: 'card'; data: Card }
  | { type: 'action'; data: Action }
  | { type: 'error'; data: { code: string; message: string } }
  | { type: 'done'; data: { steps: number; finish: string; action_id?: string } };

// ---- commerce --------------------------------------------------------------------------------

export type OrderStatus = 'placed' | 'accepted' | 'preparing' | 'on_the_way' | 'delivered' | 'cancelled' | 'refunded';

export interface OrderItem extends Named {
  id: number;
  menu_item_id: number | null;
  variant_id: number | null;
  options_en?: string;
  options_zh?: string;
  quantity: number;
  unit_price: number;
  line_total: number;
}

export interface OrderEvent {
  id?: number;
  status: string;
  note?: string;
  actor_user_id?: number | null;
  created_at?: number;  // REST
  at?: number;          // cards
}

export interface Order {
  object: 'order';
  id: number;
  user_id?: number;
  merchant_id: number;
  merchant_name_en: string;
  merchant_name_zh: string;
  fulfilment: 'delivery' | 'pickup';
  status: OrderStatus;
  subtotal: number;
  discount: number;
  delivery_fee: number;
  total: number;
  refunded: number;
  currency: string;
  delivery_line?: string;
  eta_at: number | null;
  note?: string;
  placed_at: number;
  updated_at?: number;
  next_step_at?: number | null;
  items: OrderItem[];
  coupons?: { code: string; title_en?: string; title_zh?: string; amount: number }[];
  timeline?: OrderEvent[];
}

export interface Wallet {
  object: 'wallet';
  balance: number;
  currency: string;
  daily_spend_limit: number | null;
  spent_today: number;
  left_today: number | null;
}

export interface WalletEntry {
  object: 'wallet_entry';
  id: number;
  kind: string;
  amount: number;
  balance_after: number;
  currency: string;
  order_id: number | null;
  memo: string;
  created_at: number;
}

export interface List<T> {
  object: 'list';
  data: T[];
  has_more: boolean;
}

export interface TableBooking {
  object: 'table_booking';
  id: number;
  place_id: number;
  place_name_en: string;
  place_name_zh: string;
  table_label: string;
  party_size: number;
  starts_at: number;
  date: string;
  time: string;
  status: string;
  note?: string;
}

export interface HotelBooking {
  object: 'hotel_booking';
  id: number;
  place_id: number;
  place_name_en: string;
  place_name_zh: string;
  room_type_name_en: string;
  room_type_name_zh: string;
  room_number?: string;
  check_in: string;
  check_out: string;
  nights: number;
  guests: number;
  total: number;
  refunded: number;
  status: string;
}

export interface RidePlace extends LatLon {
  label: string;
}

export interface Ride {
  object: 'ride';
  id: number;
  vehicle: string;
  from: RidePlace;
  to: RidePlace;
  distance_m: number;
  duration_s: number;
  price: number;
  refunded: number;
  status: string;
  requested_at: number;
  next_step_at: number | null;
}

// ---- merchants -------------------------------------------------------------------------------

export interface Store {
  object: 'merchant';
  id: number;
  name_en: string;
  name_zh: string;
  kind: string;
  accepting: boolean;
}

export interface MenuOption extends Named {
  id: number;
  price_delta: number;
  is_default: boolean;
}

export interface MenuOptionGroup extends Named {
  id: number;
  key: string;
  min_choices: number;
  max_choices: number;
  options: MenuOption[];
}

export interface MenuItem extends Named {
  object?: 'menu_item';
  id: number;
  merchant_id?: number;
  category_en: string;
  category_zh: string;
  description_en?: string;
  description_zh?: string;
  price: number;
  currency?: string;
  available?: boolean;
  stock: number | null;
  sold_out: boolean;
  sales?: number;
  sort?: number;
  option_groups: MenuOptionGroup[];
}

export interface ProductVariant extends Named {
  id: number;
  sku: string;
  price: number;
  stock: number | null;
  in_stock: boolean;
}

export interface Product extends Named {
  object: 'product';
  id: number;
  merchant_id?: number;
  listed?: boolean;
  sales?: number;
  variants: ProductVariant[];
}

// GET /api/v1/maps/roads: segments [lat_a, lon_a, lat_b, lon_b, class index], larger roads first.
export interface RoadMap {
  object: 'road_map';
  bbox: [number, number, number, number];
  classes: string[];
  segments: [number, number, number, number, number][];
  truncated: boolean;
}
