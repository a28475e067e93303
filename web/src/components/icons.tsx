// The navigation's icons as inline SVG (no icon font, nothing loaded): 24-unit strokes that
// take the text colour. Decorative: the link's text names the page.

const paths: Record<string, string> = {
  chat: 'M4 5h16v11H9l-5 4z',
  orders: 'M6 3h12v18l-3-2-3 2-3-2-3 2zM9 8h6M9 12h6',
  bookings: 'M4 6h16v14H4zM4 10h16M8 3v5M16 3v5',
  wallet: 'M3 7h16v12H3zM3 7l12-4v4M15 13h4',
  board: 'M5 4h14v17H5zM9 4V2h6v2M8 10h8M8 14h8M8 18h5',
  menu: 'M7 3v8M5 3v5a2 2 0 0 0 4 0V3M7 11v10M16 3c-2 2-2 7 0 9v9',
  sales: 'M4 20h16M6 16v-4M10 16V8M14 16v-6M18 16V5',
};

export function Icon(props: { name: keyof typeof paths | string }) {
  return (
    <svg class="icon" viewBox="0 0 24 24" width="22" height="22" aria-hidden="true" focusable="false">
      <path d={paths[props.name] ?? ''} fill="none" stroke="currentColor" stroke-width="1.8" stroke-linecap="round" stroke-linejoin="round" />
    </svg>
  );
}
