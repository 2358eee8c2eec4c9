import { useMemo, useState } from 'react';
import { useWidget } from '../shared/data';
import { orderSizes } from '../shared/format';
import type { CartResult, ProductDetailResult, ProductSummary, ToolArgs } from '../shared/types';
import { Button, ErrorBanner, Notice, ProductImage, QuantityStepper, Stars, StockBadge, useMoney } from '../shared/ui';

type Product = ProductDetailResult['product'];
type Variant = Product['variants'][number];

function uniq(values: Array<string | null>): string[] {
  return [...new Set(values.filter((v): v is string => v !== null))];
}

/** Units available for a size/colour pair given what is already chosen. */
function availability(variants: Variant[], size: string | null, color: string | null): number {
  return variants.filter((v) => (size === null || v.size === size) && (color === null || v.color === color)).reduce((n, v) => n + v.available, 0);
}

function OptionPicker({ label, options, value, onChange, availableFor }: { label: string; options: string[]; value: string | null; onChange: (v: string) => void; availableFor: (v: string) => number }) {
  return (
    <fieldset className="flex flex-col gap-2">
      <legend className="mb-1 text-sm font-medium">
        {label}
        {value ? <span className="font-normal text-muted">: {value}</span> : null}
      </legend>
      <div className="flex flex-wrap gap-2">
        {options.map((o) => {
          const available = availableFor(o);
          return (
            <button
              key={o}
              type="button"
              aria-pressed={value === o}
              aria-label={`${label} ${o}${available > 0 ? `, ${available} available` : ', out of stock'}`}
              disabled={available === 0}
              onClick={() => onChange(o)}
              className={`min-h-9 min-w-11 rounded-lg border px-3 text-sm disabled:cursor-not-allowed disabled:line-through disabled:opacity-40 ${value === o ? 'border-fg bg-accent text-accent-fg' : 'border-line'}`}
            >
              {o}
            </button>
          );
        })}
      </div>
    </fieldset>
  );
}

export function RelatedProducts({ items, onOpen }: { items: ProductSummary[]; onOpen: (id: string) => void }) {
  const money = useMoney();
  if (!items.length) return null;
  return (
    <section aria-labelledby="related-heading" className="flex flex-col gap-2">
      <h3 id="related-heading" className="text-sm font-semibold">
        Related products
      </h3>
      <ul className="grid grid-cols-2 gap-3 sm:grid-cols-4">
        {items.slice(0, 4).map((r) => (
          <li key={r.id} className="min-w-0">
            <button type="button" onClick={() => onOpen(r.id)} className="flex w-full flex-col gap-1 rounded-xl text-left" aria-label={`View ${r.name}`}>
              <ProductImage src={r.image_url} alt="" />
              <span className="truncate text-xs font-medium">{r.name}</span>
              <span className="text-xs text-muted">{money(r.price, r.currency)}</span>
            </button>
          </li>
        ))}
      </ul>
    </section>
  );
}

/** The product with its variant pickers; used by the detail widget and the grid's quick view. */
export function ProductDetailBody({ product, compact = false }: { product: Product; compact?: boolean }) {
  const w = useWidget();
  const money = useMoney();
  const sizes = useMemo(() => orderSizes(uniq(product.variants.map((v) => v.size))), [product]);
  const colors = useMemo(() => uniq(product.variants.map((v) => v.color)), [product]);
  const [size, setSize] = useState<string | null>(sizes.length === 1 ? sizes[0] : null);
  const [color, setColor] = useState<string | null>(colors.length === 1 ? colors[0] : null);
  const [quantity, setQuantity] = useState(1);
  const [added, setAdded] = useState<string | null>(null);

  const needsSize = sizes.length > 0 && size === null;
  const needsColor = colors.length > 0 && color === null;
  const selected = product.variants.find((v) => (sizes.length === 0 || v.size === size) && (colors.length === 0 || v.color === color));
  const maxQty = Math.max(1, Math.min(99, selected?.available ?? product.available));
  const price = selected?.price ?? product.price;

  async function add() {
    setAdded(null);
    const args: ToolArgs['add_to_cart'] = { product_id: product.id, quantity };
    if (size) args.size = size;
    if (color) args.color = color;
    const result = await w.call('add_to_cart', args, { label: 'Adding to cart…', keepView: true });
    if (!result.isError) {
      const cart = result.structuredContent as CartResult | undefined;
      setAdded(cart?.notice ?? `Added ${quantity} × ${product.name} to your cart.`);
    }
  }

  return (
    <article className="flex flex-col gap-4" aria-labelledby={`p-${product.id}`}>
      <div className={`grid gap-4 ${compact ? 'sm:grid-cols-[160px_1fr]' : 'sm:grid-cols-2'}`}>
        <ProductImage src={product.image_url} alt={product.name} />
        <div className="flex min-w-0 flex-col gap-3">
          <div>
            <p className="text-xs uppercase tracking-wide text-muted">{product.brand}</p>
            <h2 id={`p-${product.id}`} className="text-lg font-semibold">
              {product.name}
            </h2>
            <Stars rating={product.rating} count={product.review_count} />
          </div>
          <p className="text-xl font-semibold" data-testid="price">
            {money(price, product.currency)}
          </p>
          <StockBadge inStock={selected ? selected.in_stock : product.in_stock} available={selected ? selected.available : product.available} />
          {!compact && <p className="text-sm text-muted">{product.description}</p>}
          {sizes.length > 0 && (
            <OptionPicker label="Size" options={sizes} value={size} onChange={setSize} availableFor={(s) => availability(product.variants, s, color)} />
          )}
          {colors.length > 0 && (
            <OptionPicker label="Colour" options={colors} value={color} onChange={setColor} availableFor={(c) => availability(product.variants, size, c)} />
          )}
          <div className="flex flex-wrap items-center gap-3">
            <QuantityStepper label="quantity" value={Math.min(quantity, maxQty)} max={maxQty} onChange={setQuantity} />
            <Button onClick={add} disabled={needsSize || needsColor || !!w.busy || (selected ? !selected.in_stock : !product.in_stock)}>
              {w.busy === 'Adding to cart…' ? 'Adding…' : 'Add to cart'}
            </Button>
          </div>
          {(needsSize || needsColor) && <p className="text-xs text-muted">Choose {needsSize && needsColor ? 'a size and a colour' : needsSize ? 'a size' : 'a colour'} to add this to your cart.</p>}
          {added && <Notice tone="success">{added}</Notice>}
          {w.error && <ErrorBanner message={w.error} onDismiss={w.clearError} />}
        </div>
      </div>
      {!compact && (
        <RelatedProducts items={product.related} onOpen={(id) => void w.call('get_product_details', { product_id: id }, { label: 'Loading product…' })} />
      )}
    </article>
  );
}

export function ProductDetailView({ data }: { data: ProductDetailResult }) {
  return <ProductDetailBody key={data.product.id} product={data.product} />;
}
