import { useEffect, useId, useRef, useState } from 'react';
import { useWidget } from '../shared/data';
import { centsToDollarText, dollarTextToCents, orderSizes } from '../shared/format';
import { searchArgs } from '../shared/tools';
import { searchFromInput, type ActiveSearch } from '../shared/toolInput';
import type { CartResult, ProductDetailResult, ProductListItem, ProductListResult, SearchFilters, SortBy, ToolArgs } from '../shared/types';
import { Button, EmptyState, ErrorBanner, Notice, ProductImage, Spinner, Stars, StockBadge, useMoney } from '../shared/ui';
import { ProductDetailBody } from './ProductDetailView';

const sortLabels: Record<SortBy, string> = {
  relevance: 'Most relevant',
  price_asc: 'Price: low to high',
  price_desc: 'Price: high to low',
  rating: 'Top rated',
  newest: 'Newest',
};

function toggle(list: string[] | undefined, value: string): string[] {
  const set = new Set(list ?? []);
  if (set.has(value)) set.delete(value);
  else set.add(value);
  return [...set];
}

function Chips({ label, options, selected, onToggle }: { label: string; options: Array<{ value: string; label: string; count: number }>; selected: string[]; onToggle: (v: string) => void }) {
  if (!options.length) return null;
  return (
    <fieldset className="flex min-w-0 flex-col gap-1">
      <legend className="mb-1 text-xs font-medium text-muted">{label}</legend>
      <div className="flex flex-wrap gap-1.5">
        {options.map((o) => {
          const on = selected.some((s) => s.toLowerCase() === o.value.toLowerCase());
          return (
            <button
              key={o.value}
              type="button"
              aria-pressed={on}
              aria-label={`${label} ${o.label} (${o.count})`}
              onClick={() => onToggle(o.value)}
              className={`min-h-8 rounded-full border px-2.5 text-xs ${on ? 'border-fg bg-accent text-accent-fg' : 'border-line'}`}
            >
              {o.label} <span className={on ? '' : 'text-muted'}>({o.count})</span>
            </button>
          );
        })}
      </div>
    </fieldset>
  );
}

/** The filters in force, each a chip that re-queries without it. */
function ActiveFilters({ active, currency, onRemove }: { active: ActiveSearch; currency: string; onRemove: (next: ActiveSearch) => void }) {
  const money = useMoney();
  const { query, filters: f } = active;
  const without = (patch: Partial<SearchFilters>) => ({ query, filters: { ...f, ...patch } });
  const chips: Array<{ key: string; label: string; next: ActiveSearch }> = [];
  if (query) chips.push({ key: 'q', label: `“${query}”`, next: { query: null, filters: f } });
  if (f.category) chips.push({ key: 'cat', label: `Category: ${f.category}`, next: without({ category: undefined }) });
  if (f.min_price !== undefined) chips.push({ key: 'min', label: `From ${money(f.min_price, currency)}`, next: without({ min_price: undefined }) });
  if (f.max_price !== undefined) chips.push({ key: 'max', label: `Up to ${money(f.max_price, currency)}`, next: without({ max_price: undefined }) });
  for (const b of f.brands ?? []) chips.push({ key: `b-${b}`, label: `Brand: ${b}`, next: without({ brands: f.brands!.filter((x) => x !== b) }) });
  for (const s of f.sizes ?? []) chips.push({ key: `s-${s}`, label: `Size ${s}`, next: without({ sizes: f.sizes!.filter((x) => x !== s) }) });
  for (const c of f.colors ?? []) chips.push({ key: `c-${c}`, label: `Colour: ${c}`, next: without({ colors: f.colors!.filter((x) => x !== c) }) });
  if (f.in_stock_only) chips.push({ key: 'stock', label: 'In stock only', next: without({ in_stock_only: false }) });
  if (!chips.length) return null;
  return (
    <ul className="flex flex-wrap gap-1.5" aria-label="Active filters">
      {chips.map((c) => (
        <li key={c.key} className="min-w-0">
          <button
            type="button"
            data-testid="filter-chip"
            aria-label={`Remove filter ${c.label}`}
            onClick={() => onRemove(c.next)}
            className="inline-flex min-h-8 max-w-full items-center gap-1 rounded-full border border-line bg-card px-2.5 text-xs"
          >
            <span className="truncate">{c.label}</span>
            <span aria-hidden="true" className="text-muted">
              ✕
            </span>
          </button>
        </li>
      ))}
    </ul>
  );
}

function Filters({ filters, facets, onApply }: { filters: SearchFilters; facets: ProductListResult['facets']; onApply: (filters: SearchFilters) => void }) {
  const [draft, setDraft] = useState<SearchFilters>(filters);
  const [minText, setMinText] = useState(filters.min_price !== undefined ? centsToDollarText(filters.min_price) : '');
  const [maxText, setMaxText] = useState(filters.max_price !== undefined ? centsToDollarText(filters.max_price) : '');
  const [priceError, setPriceError] = useState<string | null>(null);
  const id = useId();

  function apply() {
    const min = minText.trim() ? dollarTextToCents(minText) : undefined;
    const max = maxText.trim() ? dollarTextToCents(maxText) : undefined;
    if (min === null || max === null) return setPriceError('Enter prices as amounts like 25 or 25.50.');
    if (min !== undefined && max !== undefined && min > max) return setPriceError('The minimum price must not be above the maximum.');
    setPriceError(null);
    onApply({ ...draft, min_price: min, max_price: max });
  }

  return (
    <form
      className="flex flex-col gap-3 rounded-2xl border border-line p-3"
      aria-label="Filters"
      onSubmit={(e) => {
        e.preventDefault();
        apply();
      }}
    >
      <fieldset className="flex flex-col gap-1">
        <legend className="mb-1 text-xs font-medium text-muted">
          Price{facets.price ? ` (${centsToDollarText(facets.price.min)}–${centsToDollarText(facets.price.max)})` : ''}
        </legend>
        <div className="flex items-center gap-2">
          <label className="sr-only" htmlFor={`${id}-min`}>
            Minimum price
          </label>
          <input id={`${id}-min`} inputMode="decimal" placeholder="Min" value={minText} onChange={(e) => setMinText(e.target.value)} className="min-h-9 w-24 min-w-0 rounded-lg border border-line bg-surface px-2 text-sm" aria-invalid={priceError ? true : undefined} aria-describedby={priceError ? `${id}-perr` : undefined} />
          <span aria-hidden="true">–</span>
          <label className="sr-only" htmlFor={`${id}-max`}>
            Maximum price
          </label>
          <input id={`${id}-max`} inputMode="decimal" placeholder="Max" value={maxText} onChange={(e) => setMaxText(e.target.value)} className="min-h-9 w-24 min-w-0 rounded-lg border border-line bg-surface px-2 text-sm" aria-invalid={priceError ? true : undefined} aria-describedby={priceError ? `${id}-perr` : undefined} />
        </div>
        {priceError && (
          <span id={`${id}-perr`} className="text-xs text-danger" data-testid="field-error">
            {priceError}
          </span>
        )}
      </fieldset>
      <Chips label="Brand" options={facets.brands} selected={draft.brands ?? []} onToggle={(v) => setDraft({ ...draft, brands: toggle(draft.brands, v) })} />
      <Chips label="Size" options={orderSizes(facets.sizes, (f) => f.value)} selected={draft.sizes ?? []} onToggle={(v) => setDraft({ ...draft, sizes: toggle(draft.sizes, v) })} />
      <Chips label="Colour" options={facets.colors} selected={draft.colors ?? []} onToggle={(v) => setDraft({ ...draft, colors: toggle(draft.colors, v) })} />
      <label className="flex items-center gap-2 text-sm">
        <input type="checkbox" checked={draft.in_stock_only} onChange={(e) => setDraft({ ...draft, in_stock_only: e.target.checked })} className="size-4" />
        In stock only
      </label>
      <div className="flex gap-2">
        <Button type="submit">Apply filters</Button>
        <Button
          variant="ghost"
          onClick={() => {
            setMinText('');
            setMaxText('');
            onApply({ in_stock_only: true, sort_by: draft.sort_by, category: filters.category });
          }}
        >
          Clear
        </Button>
      </div>
    </form>
  );
}

function ProductCard({ item, onQuickView, onAdded }: { item: ProductListItem; onQuickView: () => void; onAdded: (message: string) => void }) {
  const w = useWidget();
  const money = useMoney();
  const [choosing, setChoosing] = useState(false);
  const [size, setSize] = useState('');
  const [color, setColor] = useState(item.colors.length === 1 ? item.colors[0] : '');
  const [adding, setAdding] = useState(false);
  const id = useId();
  const hasVariants = item.sizes.length > 0 || item.colors.length > 0;
  const ready = (item.sizes.length === 0 || size) && (item.colors.length === 0 || color);

  async function add() {
    const args: ToolArgs['add_to_cart'] = { product_id: item.id, quantity: 1 };
    if (size) args.size = size;
    if (color) args.color = color;
    setAdding(true);
    const result = await w.call('add_to_cart', args, { label: 'Adding to cart…', keepView: true });
    setAdding(false);
    if (!result.isError) {
      setChoosing(false);
      const cart = result.structuredContent as CartResult | undefined;
      const variant = [size && `size ${size}`, color].filter(Boolean).join(', ');
      onAdded(cart?.notice ?? `Added ${item.name}${variant ? ` (${variant})` : ''} to your cart.`);
    }
  }

  return (
    <li className="flex min-w-0 flex-col gap-2 rounded-2xl border border-line p-3" data-testid="product-card" aria-labelledby={`${id}-name`}>
      {/* The picture opens the quick view on click; keyboard users reach it through "View" (one tab stop). */}
      <button type="button" tabIndex={-1} onClick={onQuickView} className="rounded-xl" aria-label={`Quick view ${item.name}`}>
        <ProductImage src={item.image_url} alt="" />
      </button>
      <div className="min-w-0">
        <p className="truncate text-xs uppercase tracking-wide text-muted">{item.brand}</p>
        <h3 id={`${id}-name`} className="line-clamp-2 text-sm font-semibold">
          {item.name}
        </h3>
      </div>
      <div className="flex flex-wrap items-center justify-between gap-2">
        <span className="font-semibold" data-testid="price">
          {money(item.price, item.currency)}
          {item.price_max > item.price && <span className="text-xs font-normal text-muted"> – {money(item.price_max, item.currency)}</span>}
        </span>
        <StockBadge inStock={item.in_stock} available={item.available} />
      </div>
      <Stars rating={item.rating} count={item.review_count} />
      {choosing && (
        <div className="flex flex-col gap-2 rounded-xl bg-card p-2" role="group" aria-label={`Choose options for ${item.name}`}>
          {item.sizes.length > 0 && (
            <div className="flex flex-col gap-1 text-xs text-muted">
              <label htmlFor={`${id}-size`}>Size</label>
              <select id={`${id}-size`} value={size} onChange={(e) => setSize(e.target.value)} className="min-h-9 rounded-lg border border-line bg-surface px-2 text-sm text-fg">
                <option value="">Choose a size</option>
                {orderSizes(item.sizes).map((s) => (
                  <option key={s} value={s}>
                    {s}
                  </option>
                ))}
              </select>
            </div>
          )}
          {item.colors.length > 0 && (
            <div className="flex flex-col gap-1 text-xs text-muted">
              <label htmlFor={`${id}-color`}>Colour</label>
              <select id={`${id}-color`} value={color} onChange={(e) => setColor(e.target.value)} className="min-h-9 rounded-lg border border-line bg-surface px-2 text-sm text-fg">
                <option value="">Choose a colour</option>
                {item.colors.map((c) => (
                  <option key={c} value={c}>
                    {c}
                  </option>
                ))}
              </select>
            </div>
          )}
          <div className="flex gap-2">
            <Button onClick={add} disabled={!ready || adding} className="flex-1">
              {adding ? 'Adding…' : 'Add'}
            </Button>
            <Button variant="ghost" onClick={() => setChoosing(false)}>
              Cancel
            </Button>
          </div>
        </div>
      )}
      <div className="mt-auto flex gap-2">
        {!choosing && (
          <Button className="flex-1" disabled={!item.in_stock || adding} onClick={() => (hasVariants ? setChoosing(true) : void add())} aria-label={`Add ${item.name} to cart`}>
            {adding ? 'Adding…' : 'Add to cart'}
          </Button>
        )}
        <Button variant="secondary" onClick={onQuickView} aria-label={`Quick view ${item.name}`}>
          View
        </Button>
      </div>
    </li>
  );
}

function QuickView({ product, onClose }: { product: ProductDetailResult['product']; onClose: () => void }) {
  const ref = useRef<HTMLDialogElement>(null);
  const { snapshot } = useWidget();
  useEffect(() => {
    const dialog = ref.current;
    if (dialog && !dialog.open) dialog.showModal();
  }, []);
  return (
    <dialog
      ref={ref}
      onClose={onClose}
      aria-label={`Quick view: ${product.name}`}
      className="m-auto w-[min(40rem,calc(100vw-1.5rem))] overflow-y-auto rounded-2xl border border-line bg-surface p-4 text-fg backdrop:bg-black/50"
      style={{ maxHeight: snapshot.maxHeight ? Math.min(snapshot.maxHeight - 24, window.innerHeight - 24) : 'calc(100vh - 1.5rem)' }}
    >
      <div className="mb-2 flex justify-end">
        <Button variant="ghost" onClick={() => ref.current?.close()} aria-label="Close quick view">
          ✕
        </Button>
      </div>
      <ProductDetailBody product={product} compact />
    </dialog>
  );
}

export function ProductListView({ data }: { data: ProductListResult }) {
  const w = useWidget();
  const [showFilters, setShowFilters] = useState(false);
  const [quick, setQuick] = useState<ProductDetailResult['product'] | null>(null);
  const [added, setAdded] = useState<string | null>(null);
  const { page_info: pi } = data;
  // The host's own result carries the assistant's arguments; after a widget re-query the result speaks for itself.
  const active = w.fromHost ? searchFromInput(w.snapshot.toolInput, data.query, data.filters) : { query: data.query, filters: data.filters };

  async function search(filters: SearchFilters, page = 1, query = active.query) {
    setAdded(null);
    const result = await w.call('search_products', searchArgs({ query, filters, page, per_page: pi.per_page }), { label: 'Searching…' });
    if (!result.isError) w.host.setWidgetState({ query, filters, page });
  }

  async function quickView(id: string) {
    const result = await w.call('get_product_details', { product_id: id }, { label: 'Loading product…', keepView: true });
    const detail = result.structuredContent as ProductDetailResult | undefined;
    if (!result.isError && detail?.kind === 'product_detail') setQuick(detail.product);
  }

  return (
    <section className="flex flex-col gap-3" aria-labelledby="results-heading">
      <header className="flex flex-wrap items-center justify-between gap-2">
        <h2 id="results-heading" className="min-w-0 text-base font-semibold">
          {active.query ? `Results for “${active.query}”` : 'Products'} <span className="text-sm font-normal text-muted">({pi.total})</span>
        </h2>
        <div className="flex items-center gap-2">
          <label className="sr-only" htmlFor="sort">
            Sort by
          </label>
          <select
            id="sort"
            value={active.filters.sort_by}
            onChange={(e) => void search({ ...active.filters, sort_by: e.target.value as SortBy })}
            className="min-h-9 rounded-full border border-line bg-surface px-3 text-sm"
          >
            {(Object.keys(sortLabels) as SortBy[]).map((s) => (
              <option key={s} value={s}>
                {sortLabels[s]}
              </option>
            ))}
          </select>
          <Button variant="secondary" aria-expanded={showFilters} aria-controls="filters" onClick={() => setShowFilters((v) => !v)}>
            Filters
          </Button>
        </div>
      </header>
      <ActiveFilters active={active} currency={data.items[0]?.currency ?? 'USD'} onRemove={(next) => void search(next.filters, 1, next.query)} />
      {showFilters && (
        <div id="filters">
          <Filters key={JSON.stringify(active.filters)} filters={active.filters} facets={data.facets} onApply={(f) => void search(f)} />
        </div>
      )}
      {w.busy === 'Searching…' && <Spinner label="Searching…" />}
      {/* While the quick view is open it shows the error itself. */}
      {w.error && !quick && <ErrorBanner message={w.error} onDismiss={w.clearError} />}
      {added && (
        <Notice tone="success">
          {added}{' '}
          <button type="button" className="font-medium underline" onClick={() => void w.host.sendFollowUpMessage('Show my cart')}>
            View cart
          </button>
        </Notice>
      )}
      {data.items.length === 0 ? (
        <EmptyState title="No products match these filters.">
          <Button variant="secondary" onClick={() => void search({ in_stock_only: true, sort_by: active.filters.sort_by })}>
            Clear filters
          </Button>
        </EmptyState>
      ) : (
        <ul className="grid grid-cols-1 gap-3 min-[480px]:grid-cols-2 md:grid-cols-3 lg:grid-cols-4" aria-label="Products">
          {data.items.map((item) => (
            <ProductCard key={item.id} item={item} onQuickView={() => void quickView(item.id)} onAdded={setAdded} />
          ))}
        </ul>
      )}
      {pi.total_pages > 1 && (
        <nav className="flex items-center justify-center gap-3" aria-label="Pages">
          <Button variant="secondary" disabled={pi.page <= 1 || !!w.busy} onClick={() => void search(active.filters, pi.page - 1)}>
            Previous
          </Button>
          <span className="text-sm text-muted" aria-current="page">
            Page {pi.page} of {pi.total_pages}
          </span>
          <Button variant="secondary" disabled={!pi.has_more || !!w.busy} onClick={() => void search(active.filters, pi.page + 1)}>
            Next
          </Button>
        </nav>
      )}
      {quick && <QuickView key={quick.id} product={quick} onClose={() => setQuick(null)} />}
    </section>
  );
}
