// The menu and product editor of a store: menu items by category (names in both languages,
// category, price, stock or made to order, available), a form for a new item, and the store's
// packaged products with their listing and each variant's price and stock. Every save sends only
// what changed and shows the item as the server answers it (docs/api/commerce.md, "Merchants'
// tools"); a refused value is reported with the server's reason beside the form.

import { useEffect, useState } from 'preact/hooks';
import { api, type ApiError, type Result } from '../api';
import { ErrorNote, Loading, PageTitle } from '../components/common';
import { money, parseSignedYuan, parseYuan } from '../format';
import { pick, t } from '../i18n';
import type { MenuItem, MenuOption, MenuOptionGroup, Product, ProductVariant } from '../types';
import { StorePicker, useStores } from './merchant';

type Rec = Record<string, unknown>;

interface ItemForm {
  name_en: string;
  name_zh: string;
  category_en: string;
  category_zh: string;
  price: string;
  stock: string;
  available: boolean;
}

function formOf(item?: MenuItem): ItemForm {
  return {
    name_en: item?.name_en ?? '',
    name_zh: item?.name_zh ?? '',
    category_en: item?.category_en ?? '',
    category_zh: item?.category_zh ?? '',
    price: item ? (item.price / 100).toFixed(2) : '',
    stock: item?.stock === null || item?.stock === undefined ? '' : String(item.stock),
    available: item?.available ?? true,
  };
}

// The body for POST (no `item`) or the changed fields for PATCH; a string is what is wrong.
export function itemBody(form: ItemForm, item?: MenuItem): Record<string, unknown> | string {
  if (!form.name_en.trim() || !form.name_zh.trim()) return t('merchant.name_bad');
  const price = parseYuan(form.price);
  if (price === null) return t('merchant.price_bad');
  let stock: number | null = null;
  if (form.stock.trim()) {
    if (!/^\d{1,9}$/.test(form.stock.trim())) return t('merchant.stock_bad');
    stock = Number(form.stock.trim());
  }
  const all: Record<string, unknown> = {
    name_en: form.name_en.trim(),
    name_zh: form.name_zh.trim(),
    category_en: form.category_en.trim(),
    category_zh: form.category_zh.trim(),
    price,
    stock,
    available: form.available,
  };
  if (!item) {
    if (stock === null) delete all.stock;  // absent: made to order
    return all;
  }
  const before: Record<string, unknown> = {
    name_en: item.name_en, name_zh: item.name_zh, category_en: item.category_en, category_zh: item.category_zh,
    price: item.price, stock: item.stock, available: item.available ?? true,
  };
  const changed: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(all)) if (before[k] !== v) changed[k] = v;
  return changed;
}

function ItemFields(props: { form: ItemForm; set: (f: ItemForm) => void }) {
  const { form, set } = props;
  const text = (key: keyof ItemForm, label: string, extra: Rec = {}) => (
    <label class="field">
      <span>{label}</span>
      <input type="text" value={form[key] as string} {...extra}
        onInput={(e) => set({ ...form, [key]: (e.target as HTMLInputElement).value })} />
    </label>
  );
  return (
    <div class="grid-fields">
      {text('name_en', t('merchant.name_en'), { required: true, maxLength: 200 })}
      {text('name_zh', t('merchant.name_zh'), { required: true, maxLength: 200 })}
      {text('category_en', t('merchant.category_en'), { maxLength: 200 })}
      {text('category_zh', t('merchant.category_zh'), { maxLength: 200 })}
      {text('price', t('merchant.price'), { inputMode: 'decimal', required: true })}
      {text('stock', t('merchant.stock'), { inputMode: 'numeric' })}
      <label class="field field-check">
        <input type="checkbox" checked={form.available} onChange={(e) => set({ ...form, available: (e.target as HTMLInputElement).checked })} />
        <span>{t('merchant.available')}</span>
      </label>
    </div>
  );
}

function ItemRow(props: { item: MenuItem; onSaved: (item: MenuItem) => void }) {
  const { item } = props;
  const [editing, setEditing] = useState(false);
  const [form, setForm] = useState<ItemForm>(formOf(item));
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError | string | null>(null);

  async function save(e: Event) {
    e.preventDefault();
    const body = itemBody(form, item);
    if (typeof body === 'string') {
      setError(body);
      return;
    }
    if (Object.keys(body).length === 0) {
      setEditing(false);
      return;
    }
    setBusy(true);
    setError(null);
    const r = await api.updateMenuItem(item.id, body);
    setBusy(false);
    if (!r.ok) {
      setError(r.error);
      return;
    }
    props.onSaved(r.value);
    setEditing(false);
  }

  return (
    <li class="list-item">
      <div class="list-row">
        <span class="list-main">
          <span class="row-title">{pick(item as unknown as Rec)}</span>
          <span class="muted small">
            {money(item.price)}
            {item.stock !== null ? ` · ${t('merchant.stock_short')} ${item.stock}` : ''}
            {item.available === false ? ` · ${t('merchant.unavailable')}` : ''}
            {item.sold_out ? ` · ${t('card.sold_out')}` : ''}
          </span>
        </span>
        <button type="button" class="btn btn-small" aria-expanded={editing} onClick={() => {
          setForm(formOf(item));
          setError(null);
          setEditing(!editing);
        }}>
          {t('merchant.edit')}<span class="sr-only"> {pick(item as unknown as Rec)}</span>
        </button>
      </div>
      {editing && (
        <form class="form" onSubmit={save}>
          <ItemFields form={form} set={setForm} />
          {typeof error === 'string' && <p class="note note-error" role="alert">{error}</p>}
          {error && typeof error !== 'string' && <ErrorNote error={error} />}
          <div class="card-actions">
            <button type="submit" class="btn btn-primary btn-small" disabled={busy}>{t('app.save')}</button>
            <button type="button" class="btn btn-small" onClick={() => setEditing(false)}>{t('app.cancel')}</button>
          </div>
        </form>
      )}
      {editing && <OptionGroups item={item} onSaved={props.onSaved} />}
    </li>
  );
}

// ---- option groups ---------------------------------------------------------------------------

function useWrite(onSaved: (item: MenuItem) => void) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError | string | null>(null);
  async function run(write: () => Promise<Result<MenuItem>>): Promise<boolean> {
    setBusy(true);
    setError(null);
    const r = await write();
    setBusy(false);
    if (!r.ok) {
      setError(r.error);
      return false;
    }
    onSaved(r.value);
    return true;
  }
  return { busy, error, setError, run };
}

function WriteError(props: { error: ApiError | string | null }) {
  if (!props.error) return null;
  if (typeof props.error === 'string') return <p class="note note-error" role="alert">{props.error}</p>;
  return <ErrorNote error={props.error} />;
}

function OptionRow(props: { option: MenuOption; onSaved: (item: MenuItem) => void }) {
  const o = props.option;
  const [nameEn, setNameEn] = useState(o.name_en ?? '');
  const [nameZh, setNameZh] = useState(o.name_zh ?? '');
  const [delta, setDelta] = useState((o.price_delta / 100).toFixed(2));
  const [isDefault, setIsDefault] = useState(o.is_default);
  const w = useWrite(props.onSaved);
  async function save(e: Event) {
    e.preventDefault();
    const fen = parseSignedYuan(delta);
    if (fen === null) {
      w.setError(t('merchant.price_bad'));
      return;
    }
    const body: Record<string, unknown> = {};
    if (nameEn.trim() !== o.name_en) body.name_en = nameEn.trim();
    if (nameZh.trim() !== o.name_zh) body.name_zh = nameZh.trim();
    if (fen !== o.price_delta) body.price_delta = fen;
    if (isDefault !== o.is_default) body.is_default = isDefault;
    if (Object.keys(body).length > 0) await w.run(() => api.updateOption(o.id, body));
  }
  const label = pick(o as unknown as Rec);
  return (
    <li>
      <form class="form form-inline option-form" onSubmit={save} aria-label={label}>
        <label class="field"><span class="small">{t('merchant.name_en')}</span>
          <input type="text" value={nameEn} onInput={(e) => setNameEn((e.target as HTMLInputElement).value)} /></label>
        <label class="field"><span class="small">{t('merchant.name_zh')}</span>
          <input type="text" value={nameZh} onInput={(e) => setNameZh((e.target as HTMLInputElement).value)} /></label>
        <label class="field"><span class="small">{t('merchant.option_delta')}</span>
          <input type="text" inputMode="decimal" value={delta} onInput={(e) => setDelta((e.target as HTMLInputElement).value)} /></label>
        <label class="field-check"><input type="checkbox" checked={isDefault} onChange={(e) => setIsDefault((e.target as HTMLInputElement).checked)} />
          <span>{t('merchant.option_default')}</span></label>
        <button type="submit" class="btn btn-small" disabled={w.busy}>{t('app.save')}<span class="sr-only"> {label}</span></button>
        <button type="button" class="btn btn-small btn-quiet" disabled={w.busy} onClick={() => w.run(() => api.deleteOption(o.id))}>
          {t('merchant.option_remove')}<span class="sr-only"> {label}</span>
        </button>
      </form>
      <WriteError error={w.error} />
    </li>
  );
}

function NewOption(props: { group: MenuOptionGroup; onSaved: (item: MenuItem) => void }) {
  const [nameEn, setNameEn] = useState('');
  const [nameZh, setNameZh] = useState('');
  const [delta, setDelta] = useState('0');
  const w = useWrite(props.onSaved);
  async function add(e: Event) {
    e.preventDefault();
    const fen = parseSignedYuan(delta);
    if (!nameEn.trim() || !nameZh.trim()) return w.setError(t('merchant.name_bad'));
    if (fen === null) return w.setError(t('merchant.price_bad'));
    const ok = await w.run(() => api.addOption(props.group.id, { name_en: nameEn.trim(), name_zh: nameZh.trim(), price_delta: fen }));
    if (ok) {
      setNameEn('');
      setNameZh('');
      setDelta('0');
    }
  }
  return (
    <li>
      <form class="form form-inline option-form" onSubmit={add} aria-label={`${t('merchant.option_add')}: ${pick(props.group as unknown as Rec)}`}>
        <label class="field"><span class="small">{t('merchant.name_en')}</span>
          <input type="text" value={nameEn} onInput={(e) => setNameEn((e.target as HTMLInputElement).value)} /></label>
        <label class="field"><span class="small">{t('merchant.name_zh')}</span>
          <input type="text" value={nameZh} onInput={(e) => setNameZh((e.target as HTMLInputElement).value)} /></label>
        <label class="field"><span class="small">{t('merchant.option_delta')}</span>
          <input type="text" inputMode="decimal" value={delta} onInput={(e) => setDelta((e.target as HTMLInputElement).value)} /></label>
        <button type="submit" class="btn btn-small" disabled={w.busy}>{t('merchant.option_add')}</button>
      </form>
      <WriteError error={w.error} />
    </li>
  );
}

function NewGroup(props: { itemId: number; onSaved: (item: MenuItem) => void }) {
  const [key, setKey] = useState('');
  const [nameEn, setNameEn] = useState('');
  const [nameZh, setNameZh] = useState('');
  const [min, setMin] = useState('0');
  const [max, setMax] = useState('1');
  const w = useWrite(props.onSaved);
  async function add(e: Event) {
    e.preventDefault();
    if (!nameEn.trim() || !nameZh.trim()) return w.setError(t('merchant.name_bad'));
    if (!/^[a-z0-9_]{1,32}$/.test(key) || !/^\d{1,2}$/.test(min) || !/^\d{1,2}$/.test(max) || Number(max) < Math.max(1, Number(min))) {
      return w.setError(t('merchant.key_bad'));
    }
    const ok = await w.run(() => api.addOptionGroup(props.itemId, {
      key, name_en: nameEn.trim(), name_zh: nameZh.trim(), min_choices: Number(min), max_choices: Number(max), options: [],
    }));
    if (ok) {
      setKey('');
      setNameEn('');
      setNameZh('');
    }
  }
  return (
    <details>
      <summary>{t('merchant.group_add')}</summary>
      <form class="form" onSubmit={add}>
        <div class="grid-fields">
          <label class="field"><span>{t('merchant.group_key')}</span>
            <input type="text" value={key} maxLength={32} onInput={(e) => setKey((e.target as HTMLInputElement).value)} /></label>
          <label class="field"><span>{t('merchant.name_en')}</span>
            <input type="text" value={nameEn} onInput={(e) => setNameEn((e.target as HTMLInputElement).value)} /></label>
          <label class="field"><span>{t('merchant.name_zh')}</span>
            <input type="text" value={nameZh} onInput={(e) => setNameZh((e.target as HTMLInputElement).value)} /></label>
          <label class="field"><span>{t('merchant.group_min')}</span>
            <input type="text" inputMode="numeric" value={min} onInput={(e) => setMin((e.target as HTMLInputElement).value)} /></label>
          <label class="field"><span>{t('merchant.group_max')}</span>
            <input type="text" inputMode="numeric" value={max} onInput={(e) => setMax((e.target as HTMLInputElement).value)} /></label>
        </div>
        <WriteError error={w.error} />
        <button type="submit" class="btn btn-small" disabled={w.busy}>{t('merchant.group_add')}</button>
      </form>
    </details>
  );
}

function OptionGroups(props: { item: MenuItem; onSaved: (item: MenuItem) => void }) {
  const w = useWrite(props.onSaved);
  return (
    <details class="option-groups">
      <summary>{t('merchant.options')} ({props.item.option_groups.length})</summary>
      {props.item.option_groups.map((g) => (
        <fieldset key={g.id} class="option-group">
          <legend>
            {pick(g as unknown as Rec)} <span class="muted small">({g.key}; {t('merchant.group_rule', { min: g.min_choices, max: g.max_choices })})</span>
          </legend>
          <ul class="plain">
            {g.options.map((o) => <OptionRow key={`${o.id}-${o.price_delta}-${o.is_default}`} option={o} onSaved={props.onSaved} />)}
            <NewOption group={g} onSaved={props.onSaved} />
          </ul>
          <button type="button" class="btn btn-small btn-quiet" disabled={w.busy} onClick={() => w.run(() => api.deleteOptionGroup(g.id))}>
            {t('merchant.group_remove')}<span class="sr-only"> {pick(g as unknown as Rec)}</span>
          </button>
        </fieldset>
      ))}
      <WriteError error={w.error} />
      <NewGroup itemId={props.item.id} onSaved={props.onSaved} />
    </details>
  );
}

function NewItem(props: { merchantId: number; onAdded: (item: MenuItem) => void }) {
  const [form, setForm] = useState<ItemForm>(formOf());
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError | string | null>(null);
  const [done, setDone] = useState('');
  async function add(e: Event) {
    e.preventDefault();
    const body = itemBody(form);
    if (typeof body === 'string') {
      setError(body);
      return;
    }
    setBusy(true);
    setError(null);
    const r = await api.createMenuItem(props.merchantId, body);
    setBusy(false);
    if (!r.ok) {
      setError(r.error);
      return;
    }
    setDone(t('merchant.added', { name: pick(r.value as unknown as Rec) }));
    setForm(formOf());
    props.onAdded(r.value);
  }
  return (
    <details class="panel">
      <summary>{t('merchant.add_item')}</summary>
      <form class="form" onSubmit={add}>
        <ItemFields form={form} set={setForm} />
        {typeof error === 'string' && <p class="note note-error" role="alert">{error}</p>}
        {error && typeof error !== 'string' && <ErrorNote error={error} />}
        {done && <p class="note note-ok" role="status">{done}</p>}
        <button type="submit" class="btn btn-primary" disabled={busy}>{t('merchant.add_item')}</button>
      </form>
    </details>
  );
}

function VariantRow(props: { variant: ProductVariant; onSaved: (p: Product) => void }) {
  const v = props.variant;
  const [price, setPrice] = useState((v.price / 100).toFixed(2));
  const [stock, setStock] = useState(v.stock === null ? '' : String(v.stock));
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError | string | null>(null);
  async function save(e: Event) {
    e.preventDefault();
    const fen = parseYuan(price);
    if (fen === null) {
      setError(t('merchant.price_bad'));
      return;
    }
    const body: Record<string, unknown> = {};
    if (fen !== v.price) body.price = fen;
    if (stock.trim() !== (v.stock === null ? '' : String(v.stock))) {
      if (!/^\d{1,9}$/.test(stock.trim())) {
        setError(t('merchant.stock_bad'));
        return;
      }
      body.stock = Number(stock.trim());
    }
    if (Object.keys(body).length === 0) return;
    setBusy(true);
    setError(null);
    const r = await api.updateVariant(v.id, body);
    setBusy(false);
    if (r.ok) props.onSaved(r.value);
    else setError(r.error);
  }
  const label = pick(v as unknown as Rec) || v.sku;
  return (
    <li>
      <form class="form form-inline variant-form" onSubmit={save} aria-label={label}>
        <span class="variant-name">{label} <span class="muted small">{v.sku}</span></span>
        <label class="field">
          <span class="small">{t('merchant.price')}</span>
          <input type="text" inputMode="decimal" value={price} onInput={(e) => setPrice((e.target as HTMLInputElement).value)} />
        </label>
        <label class="field">
          <span class="small">{t('merchant.stock_short')}</span>
          <input type="text" inputMode="numeric" value={stock} onInput={(e) => setStock((e.target as HTMLInputElement).value)} />
        </label>
        <button type="submit" class="btn btn-small" disabled={busy}>{t('app.save')}</button>
      </form>
      {typeof error === 'string' && <p class="note note-error" role="alert">{error}</p>}
      {error && typeof error !== 'string' && <ErrorNote error={error} />}
    </li>
  );
}

function ProductRow(props: { product: Product; onSaved: (p: Product) => void }) {
  const p = props.product;
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError | null>(null);
  async function toggleListed(listed: boolean) {
    setBusy(true);
    const r = await api.updateProduct(p.id, { listed });
    setBusy(false);
    if (r.ok) {
      setError(null);
      props.onSaved(r.value);
    } else {
      setError(r.error);
    }
  }
  return (
    <li class="list-item">
      <div class="list-row">
        <span class="list-main">
          <span class="row-title">{pick(p as unknown as Rec)}</span>
          <span class="muted small">#{p.id}{p.sales ? ` · ${t('card.sales', { n: p.sales })}` : ''}</span>
        </span>
        <label class="field-check">
          <input type="checkbox" checked={p.listed !== false} disabled={busy} onChange={(e) => toggleListed((e.target as HTMLInputElement).checked)} />
          <span>{t('merchant.listed')}</span>
        </label>
      </div>
      {error && <ErrorNote error={error} />}
      <details>
        <summary>{t('merchant.variants')} ({p.variants.length})</summary>
        <ul class="plain">
          {p.variants.map((v) => <VariantRow key={v.id} variant={v} onSaved={props.onSaved} />)}
        </ul>
      </details>
    </li>
  );
}

export function MerchantMenuView() {
  const { stores, error: storesError, selected, reload: reloadStores } = useStores();
  const [tab, setTab] = useState<'menu' | 'products'>('menu');
  const [items, setItems] = useState<MenuItem[] | null>(null);
  const [products, setProducts] = useState<Product[] | null>(null);
  const [productsMore, setProductsMore] = useState(false);
  const [error, setError] = useState<ApiError | null>(null);

  async function loadMenu(id: number) {
    const r = await api.storeMenu(id);
    if (r.ok) {
      setError(null);
      setItems(r.value.data);
    } else {
      setError(r.error);
    }
  }
  async function loadProducts(id: number, after?: number) {
    const r = await api.storeProducts(id, { limit: 100, after });
    if (r.ok) {
      setError(null);
      setProducts((old) => (after ? [...(old ?? []), ...r.value.data] : r.value.data));
      setProductsMore(r.value.has_more);
    } else {
      setError(r.error);
    }
  }
  useEffect(() => {
    setItems(null);
    setProducts(null);
    if (selected === null) return;
    void loadMenu(selected);
    void loadProducts(selected);
  }, [selected]);

  const categories: { name: string; items: MenuItem[] }[] = [];
  for (const it of items ?? []) {
    const c = pick(it as unknown as Rec, 'category');
    let g = categories.find((x) => x.name === c);
    if (!g) categories.push((g = { name: c, items: [] }));
    g.items.push(it);
  }
  const savedItem = (item: MenuItem) => setItems((old) => (old ?? []).map((x) => (x.id === item.id ? item : x)));
  const savedProduct = (p: Product) => setProducts((old) => (old ?? []).map((x) => (x.id === p.id ? p : x)));

  return (
    <div>
      <PageTitle>{t('merchant.menu_title')}</PageTitle>
      {storesError && <ErrorNote error={storesError} onRetry={reloadStores} />}
      {stores && stores.length === 0 && <p class="muted">{t('merchant.no_stores')}</p>}
      {stores && stores.length > 0 && <div class="toolbar"><StorePicker stores={stores} selected={selected} /></div>}
      <div class="tabs" role="tablist" aria-label={t('merchant.menu_title')}>
        {(['menu', 'products'] as const).map((k) => (
          <button key={k} type="button" role="tab" id={`tab-${k}`} aria-controls={`panel-${k}`} aria-selected={tab === k}
            class={tab === k ? 'tab tab-active' : 'tab'} onClick={() => setTab(k)}
            onKeyDown={(e) => {
              if (e.key === 'ArrowRight' || e.key === 'ArrowLeft') {
                const next = tab === 'menu' ? 'products' : 'menu';
                setTab(next);
                document.getElementById(`tab-${next}`)?.focus();
              }
            }}
            tabIndex={tab === k ? 0 : -1}>
            {t(k === 'menu' ? 'merchant.menu_tab' : 'merchant.products_tab')}
          </button>
        ))}
      </div>
      {error && <ErrorNote error={error} onRetry={() => selected !== null && (loadMenu(selected), loadProducts(selected))} />}
      {tab === 'menu' && (
        <div role="tabpanel" id="panel-menu" aria-labelledby="tab-menu">
          {selected !== null && <NewItem merchantId={selected} onAdded={(it) => setItems((old) => [...(old ?? []), it])} />}
          {selected !== null && !items && !error && <Loading />}
          {categories.map((c) => (
            <section key={c.name} class="panel">
              <h2>{c.name || t('card.menu')}</h2>
              <ul class="list plain">
                {c.items.map((it) => <ItemRow key={it.id} item={it} onSaved={savedItem} />)}
              </ul>
            </section>
          ))}
        </div>
      )}
      {tab === 'products' && (
        <div role="tabpanel" id="panel-products" aria-labelledby="tab-products">
          {selected !== null && !products && !error && <Loading />}
          {products && products.length === 0 && <p class="muted">{t('merchant.no_products')}</p>}
          {products && products.length > 0 && (
            <ul class="list plain">
              {products.map((p) => <ProductRow key={p.id} product={p} onSaved={savedProduct} />)}
            </ul>
          )}
          {productsMore && selected !== null && (
            <button type="button" class="btn" onClick={() => loadProducts(selected, products?.[products.length - 1]?.id)}>{t('app.more')}</button>
          )}
        </div>
      )}
    </div>
  );
}
