// The customer's bookings: restaurant tables, hotel stays and rides, each list with the cancel
// the server allows (a table before it starts, a stay before check-out, a ride before pickup;
// the server decides and says why when it refuses). Live events refresh the lists.

import { useEffect, useState } from 'preact/hooks';
import { api, type ApiError, type Result } from '../api';
import { waypointName } from '../components/cards';
import { ErrorNote, Loading, PageTitle, Panel, StatusBadge, useLoad } from '../components/common';
import { distance, money } from '../format';
import { pick, t, tMaybe } from '../i18n';
import { live } from '../live';
import type { HotelBooking, List, Ride, TableBooking } from '../types';

type Rec = Record<string, unknown>;

function CancelButton(props: { run: () => Promise<Result<unknown>>; onDone: () => void }) {
  const [step, setStep] = useState<'idle' | 'asking' | 'busy'>('idle');
  const [error, setError] = useState<ApiError | null>(null);
  if (step === 'idle') {
    return (
      <>
        <button type="button" class="btn btn-small btn-quiet" onClick={() => setStep('asking')}>{t('bookings.cancel')}</button>
        {error && <ErrorNote error={error} />}
      </>
    );
  }
  return (
    <span class="confirm-inline" role="group" aria-label={t('bookings.cancel_confirm')}>
      <span>{t('bookings.cancel_confirm')}</span>
      <button
        type="button"
        class="btn btn-small btn-danger"
        disabled={step === 'busy'}
        onClick={async () => {
          setStep('busy');
          const r = await props.run();
          setStep('idle');
          if (r.ok) {
            setError(null);
            props.onDone();
          } else {
            setError(r.error);
          }
        }}
      >
        {t('orders.cancel_yes')}
      </button>
      <button type="button" class="btn btn-small" disabled={step === 'busy'} onClick={() => setStep('idle')}>{t('orders.cancel_no')}</button>
    </span>
  );
}

function Section<T>(props: {
  title: string;
  loaded: { result: Result<List<T>> | null; reload: () => void };
  render: (item: T) => preact.JSX.Element;
}) {
  const { result, reload } = props.loaded;
  return (
    <Panel title={props.title}>
      {!result && <Loading />}
      {result && !result.ok && <ErrorNote error={result.error} onRetry={reload} />}
      {result && result.ok && result.value.data.length === 0 && <p class="muted">{t('bookings.empty')}</p>}
      {result && result.ok && <ul class="list plain">{result.value.data.map(props.render)}</ul>}
    </Panel>
  );
}

export function BookingsView() {
  const tables = useLoad(() => api.tableBookings(), []);
  const hotels = useLoad(() => api.hotelBookings(), []);
  const rides = useLoad(() => api.rides(), []);
  useEffect(() => live.subscribe((e) => {
    if (e.kind === 'table_booking') tables.reload();
    if (e.kind === 'hotel_booking') hotels.reload();
    if (e.kind === 'ride') rides.reload();
  }), []);

  return (
    <div>
      <PageTitle>{t('bookings.title')}</PageTitle>
      <Section<TableBooking>
        title={t('bookings.tables')}
        loaded={tables}
        render={(b) => (
          <li key={b.id} class="list-item list-row">
            <span class="list-main">
              <span class="row-title">{pick(b as unknown as Rec, 'place_name')}</span>
              <span class="muted small">{b.date} {b.time} · {t('card.party', { n: b.party_size })} · {t('card.table', { label: b.table_label })}</span>
            </span>
            <span class="list-end">
              <StatusBadge status={b.status} />
              {b.status === 'booked' && <CancelButton run={() => api.cancelTable(b.id)} onDone={tables.reload} />}
            </span>
          </li>
        )}
      />
      <Section<HotelBooking>
        title={t('bookings.hotels')}
        loaded={hotels}
        render={(b) => (
          <li key={b.id} class="list-item list-row">
            <span class="list-main">
              <span class="row-title">{pick(b as unknown as Rec, 'place_name')} · {pick(b as unknown as Rec, 'room_type_name')}</span>
              <span class="muted small">
                {b.check_in} → {b.check_out} · {t('card.nights', { n: b.nights })} · {money(b.total)}
                {b.refunded > 0 ? ` · ${t('card.refunded')} ${money(b.refunded)}` : ''}
              </span>
            </span>
            <span class="list-end">
              <StatusBadge status={b.status} />
              {b.status === 'booked' && <CancelButton run={() => api.cancelHotel(b.id)} onDone={hotels.reload} />}
            </span>
          </li>
        )}
      />
      <Section<Ride>
        title={t('bookings.rides')}
        loaded={rides}
        render={(r) => (
          <li key={r.id} class="list-item list-row">
            <span class="list-main">
              <span class="row-title">{waypointName(r.from)} → {waypointName(r.to)}</span>
              <span class="muted small">
                {tMaybe('vehicle', r.vehicle)} · {distance(r.distance_m)} · {money(r.price)}
                {r.refunded > 0 ? ` · ${t('card.refunded')} ${money(r.refunded)}` : ''}
              </span>
            </span>
            <span class="list-end">
              <StatusBadge status={r.status} />
              {(r.status === 'requested' || r.status === 'assigned' || r.status === 'arriving') && (
                <CancelButton run={() => api.cancelRide(r.id)} onDone={rides.reload} />
              )}
            </span>
          </li>
        )}
      />
    </div>
  );
}
