import { useState } from 'react';
import { useWidget } from '../shared/data';
import { cartTools } from '../shared/tools';
import { justAddedLineId } from '../shared/toolInput';
import type { Cart, CartResult } from '../shared/types';
import { Badge, Button, EmptyState, ErrorBanner, Notice, ProductImage, QuantityStepper, Spinner, Totals, useMoney } from '../shared/ui';

/** Subtotal, discount, shipping, tax, total: shared by the cart, checkout review and order. */
export function CartTotals({ cart, pending }: { cart: Pick<Cart, 'totals' | 'coupon' | 'currency'>; pending?: boolean }) {
  const money = useMoney();
  const t = cart.totals;
  const rows = [
    { label: 'Subtotal', value: money(t.subtotal, cart.currency), testId: 'subtotal' },
    ...(t.discount > 0 ? [{ label: `Discount${cart.coupon ? ` (${cart.coupon.code})` : ''}`, value: `−${money(t.discount, cart.currency)}`, testId: 'discount' }] : []),
    { label: t.shipping_is_estimate ? 'Shipping (estimate)' : 'Shipping', value: t.shipping === 0 ? 'Free' : money(t.shipping, cart.currency), testId: 'shipping' },
    { label: 'Tax', value: money(t.tax, cart.currency), testId: 'tax' },
    { label: 'Total', value: money(t.total, cart.currency), strong: true, testId: 'total' },
  ];
  return (
    <div aria-busy={pending || undefined} className={pending ? 'opacity-60' : ''}>
      <Totals rows={rows} />
    </div>
  );
}

function CouponForm({ data }: { data: CartResult }) {
  const w = useWidget();
  const tools = cartTools(w);
  const [code, setCode] = useState('');
  const [result, setResult] = useState<{ ok: boolean; text: string } | null>(null);
  const coupon = data.cart.coupon;

  if (coupon)
    return (
      <div className="flex flex-wrap items-center justify-between gap-2 text-sm" data-testid="coupon">
        <span>
          Coupon <strong>{coupon.code}</strong>: {coupon.description}
        </span>
        <Button variant="ghost" onClick={() => void tools.removeCoupon(data)} aria-label={`Remove coupon ${coupon.code}`}>
          Remove
        </Button>
      </div>
    );

  return (
    <form
      className="flex flex-col gap-1"
      onSubmit={async (e) => {
        e.preventDefault();
        const trimmed = code.trim();
        if (!trimmed) return setResult({ ok: false, text: 'Enter a coupon code.' });
        setResult(null);
        const r = await tools.applyCoupon(data, trimmed);
        if (r.isError) {
          w.clearError();
          setResult({ ok: false, text: (r.content ?? []).map((c) => c.text).join(' ') || 'That coupon cannot be applied.' });
        } else {
          setResult({ ok: true, text: `${trimmed.toUpperCase()} applied.` });
          setCode('');
        }
      }}
    >
      <label htmlFor="coupon-code" className="text-xs font-medium text-muted">
        Coupon code
      </label>
      <div className="flex gap-2">
        <input
          id="coupon-code"
          value={code}
          onChange={(e) => setCode(e.target.value)}
          autoComplete="off"
          className="min-h-9 min-w-0 flex-1 rounded-lg border border-line bg-surface px-3 text-sm uppercase"
          aria-describedby={result ? 'coupon-result' : undefined}
          aria-invalid={result && !result.ok ? true : undefined}
        />
        <Button type="submit" variant="secondary" disabled={!!w.busy}>
          Apply
        </Button>
      </div>
      {result && (
        <span id="coupon-result" role={result.ok ? 'status' : 'alert'} data-testid="coupon-result" className={`text-xs ${result.ok ? 'text-success' : 'text-danger'}`}>
          {result.text}
        </span>
      )}
    </form>
  );
}

export function CartView({ data }: { data: CartResult }) {
  const w = useWidget();
  const money = useMoney();
  const tools = cartTools(w);
  const { cart } = data;
  const pending = !!w.busy;
  // The assistant's add_to_cart arguments describe only the host's own result.
  const justAdded = justAddedLineId(cart.lines, data.last_added_line_id, w.fromHost ? w.snapshot.toolInput : null);

  if (cart.lines.length === 0)
    return (
      <div className="flex flex-col gap-3">
        {w.error && <ErrorBanner message={w.error} onDismiss={w.clearError} />}
        <EmptyState title="Your cart is empty.">
          <Button onClick={() => void w.host.sendFollowUpMessage('Help me find something to buy.')}>Continue shopping</Button>
        </EmptyState>
      </div>
    );

  return (
    <section className="flex flex-col gap-4" aria-labelledby="cart-heading">
      <h2 id="cart-heading" className="text-base font-semibold">
        Your cart <span className="text-sm font-normal text-muted">({cart.totals.item_count} {cart.totals.item_count === 1 ? 'item' : 'items'})</span>
      </h2>
      {data.notice && <Notice tone="success">{data.notice}</Notice>}
      {data.reorder && data.reorder.not_added.length > 0 && (
        <Notice tone="warn">
          Not added: {data.reorder.not_added.map((n) => `${n.name} (${n.reason})`).join('; ')}
        </Notice>
      )}
      {cart.messages.map((m, i) => (
        <Notice key={`${m.type}-${m.line_id ?? i}`} tone="warn">
          {m.message}
        </Notice>
      ))}
      {w.error && <ErrorBanner message={w.error} onDismiss={w.clearError} />}
      <ul className="flex flex-col divide-y divide-line" aria-label="Cart items">
        {cart.lines.map((line) => {
          const variant = [line.size && `Size ${line.size}`, line.color].filter(Boolean).join(' · ');
          const isNew = line.id === justAdded;
          return (
            <li key={line.id} className={`flex gap-3 py-3 ${isNew ? '-mx-2 rounded-xl bg-card px-2' : ''}`} data-testid="cart-line" data-just-added={isNew || undefined}>
              <div className="w-16 shrink-0 sm:w-20">
                <ProductImage src={line.image_url} alt="" />
              </div>
              <div className="flex min-w-0 flex-1 flex-col gap-1">
                <div className="flex justify-between gap-2">
                  <div className="min-w-0">
                    {isNew && <Badge tone="success">Just added</Badge>}
                    <p className="truncate text-sm font-semibold">{line.name}</p>
                    <p className="text-xs text-muted">
                      {line.brand}
                      {variant && ` · ${variant}`}
                    </p>
                  </div>
                  <span className="shrink-0 text-sm font-semibold tabular-nums" data-testid="line-subtotal">
                    {money(line.line_subtotal, cart.currency)}
                  </span>
                </div>
                <p className="text-xs text-muted">{money(line.unit_price, cart.currency)} each</p>
                <div className="flex flex-wrap items-center justify-between gap-2">
                  <QuantityStepper
                    label={`quantity of ${line.name}`}
                    value={line.quantity}
                    max={Math.max(line.quantity, Math.min(99, line.available))}
                    disabled={pending}
                    onChange={(q) => void tools.setQuantity(data, line, q)}
                  />
                  <Button variant="danger" disabled={pending} onClick={() => void tools.remove(data, line)} aria-label={`Remove ${line.name}`}>
                    Remove
                  </Button>
                </div>
              </div>
            </li>
          );
        })}
      </ul>
      <CouponForm data={data} />
      <CartTotals cart={cart} pending={pending} />
      {w.busy && <Spinner label={w.busy} />}
      <Button className="w-full" disabled={pending} onClick={() => void tools.startCheckout(data)}>
        Proceed to checkout
      </Button>
    </section>
  );
}
