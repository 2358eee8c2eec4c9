import { useState } from 'react';
import { useWidget } from '../shared/data';
import { formatDateTime, formatDayRange } from '../shared/format';
import type { Order, OrderListResult, OrderResult } from '../shared/types';
import { Badge, Button, EmptyState, ErrorBanner, DeliveryPreferenceItems, Notice, PolicyLinks, ProductImage, Spinner, Totals, useMoney } from '../shared/ui';

const statusText: Record<Order['status'], { label: string; tone: 'neutral' | 'success' | 'warn' | 'danger' }> = {
  pending: { label: 'Pending', tone: 'warn' },
  confirmed: { label: 'Confirmed', tone: 'success' },
  shipped: { label: 'Shipped', tone: 'success' },
  delivered: { label: 'Delivered', tone: 'success' },
  cancelled: { label: 'Cancelled', tone: 'danger' },
  refunded: { label: 'Refunded', tone: 'neutral' },
  payment_failed: { label: 'Payment failed', tone: 'danger' },
};

function StatusBadge({ status }: { status: Order['status'] }) {
  const s = statusText[status];
  return (
    <span data-testid="order-status">
      <Badge tone={s.tone}>{s.label}</Badge>
    </span>
  );
}

/** The path every order takes, with the steps reached so far marked from the status history. */
function Timeline({ order }: { order: OrderResult['order'] }) {
  const { snapshot } = useWidget();
  const reached = new Map(order.timeline.map((t) => [t.status, t]));
  const happyPath: Order['status'][] = ['pending', 'confirmed', 'shipped', 'delivered'];
  const terminal = order.timeline.find((t) => t.status === 'cancelled' || t.status === 'payment_failed' || t.status === 'refunded');
  const path = terminal ? [...happyPath.filter((s) => reached.has(s)), terminal.status] : happyPath;
  return (
    <ol className="flex flex-col gap-0" aria-label="Order progress" data-testid="timeline">
      {path.map((status, i) => {
        const entry = reached.get(status);
        return (
          <li key={status} className="flex gap-3">
            <div className="flex flex-col items-center">
              <span aria-hidden="true" className={`mt-1 size-3 rounded-full border-2 ${entry ? 'border-fg bg-accent' : 'border-line'}`} />
              {i < path.length - 1 && <span aria-hidden="true" className={`w-0.5 flex-1 ${entry && reached.has(path[i + 1]) ? 'bg-fg' : 'bg-line'}`} />}
            </div>
            <div className="pb-3 text-sm">
              <p className={entry ? 'font-medium' : 'text-muted'}>
                {statusText[status].label}
                <span className="sr-only">{entry ? ' (done)' : ' (not yet)'}</span>
              </p>
              {entry && <p className="text-xs text-muted">{formatDateTime(entry.at, snapshot.locale)}{entry.reason ? ` · ${entry.reason}` : ''}</p>}
            </div>
          </li>
        );
      })}
    </ol>
  );
}

export function OrderView({ data }: { data: OrderResult }) {
  const w = useWidget();
  const money = useMoney();
  const { order } = data;
  const [confirmCancel, setConfirmCancel] = useState(false);
  const cancellable = order.status === 'pending' || order.status === 'confirmed';
  const placed = order.status === 'confirmed' && order.timeline.length <= 2;

  return (
    <section className="flex flex-col gap-4" aria-labelledby="order-heading">
      <header className="flex flex-col gap-1">
        {placed && <p className="text-sm text-success">Thank you! Your order is confirmed.</p>}
        <div className="flex flex-wrap items-center gap-2">
          <h2 id="order-heading" className="text-base font-semibold">
            Order <span data-testid="order-number">{order.number}</span>
          </h2>
          <StatusBadge status={order.status} />
        </div>
        <p className="text-sm text-muted">Placed {formatDateTime(order.created_at, w.snapshot.locale)}</p>
      </header>
      {order.reason && <Notice tone="warn">{order.reason}</Notice>}
      {w.error && <ErrorBanner message={w.error} onDismiss={w.clearError} />}
      <dl className="grid grid-cols-2 gap-3 text-sm sm:grid-cols-3">
        <div>
          <dt className="text-xs font-medium text-muted">Total</dt>
          <dd className="text-lg font-semibold tabular-nums" data-testid="order-total">
            {money(order.total, order.currency)}
          </dd>
        </div>
        <div>
          <dt className="text-xs font-medium text-muted">Estimated delivery</dt>
          <dd data-testid="delivery-estimate">{formatDayRange(order.estimated_delivery.earliest, order.estimated_delivery.latest, w.snapshot.locale)}</dd>
        </div>
        <div className="col-span-2 min-w-0 sm:col-span-1">
          <dt className="text-xs font-medium text-muted">Paid with</dt>
          <dd className="capitalize">{order.payment.brand ? `${order.payment.brand} •••• ${order.payment.last4}` : '—'}</dd>
        </div>
        <DeliveryPreferenceItems date={order.preferred_delivery_date} instructions={order.delivery_instructions} instructionsClassName="col-span-2 min-w-0" />
      </dl>
      {order.tracking && (
        <p className="text-sm">
          Tracking: {order.tracking.carrier}{' '}
          <button type="button" className="underline" onClick={() => w.host.openExternal(order.tracking!.url)}>
            {order.tracking.number}
          </button>
        </p>
      )}
      <Timeline order={order} />
      <ul className="flex flex-col divide-y divide-line" aria-label="Items">
        {order.lines.map((l) => (
          <li key={l.variant_id} className="flex items-center gap-3 py-2 text-sm">
            <div className="w-12 shrink-0">
              <ProductImage src={l.image_url} alt="" />
            </div>
            <span className="min-w-0 flex-1">
              <span className="block truncate font-medium">{l.name}</span>
              <span className="text-xs text-muted">{[l.size && `Size ${l.size}`, l.color, `Qty ${l.quantity}`].filter(Boolean).join(' · ')}</span>
            </span>
            <span className="tabular-nums">{money(l.line_subtotal, order.currency)}</span>
          </li>
        ))}
      </ul>
      <Totals
        rows={[
          { label: 'Subtotal', value: money(order.subtotal, order.currency) },
          ...(order.discount > 0 ? [{ label: `Discount${order.coupon ? ` (${order.coupon.code})` : ''}`, value: `−${money(order.discount, order.currency)}` }] : []),
          { label: 'Shipping', value: order.shipping === 0 ? 'Free' : money(order.shipping, order.currency) },
          { label: 'Tax', value: money(order.tax, order.currency) },
          { label: 'Total', value: money(order.total, order.currency), strong: true },
        ]}
      />
      <PolicyLinks links={data.policies} show={['returns', 'shipping']} label="Returns and shipping policies" />
      {w.busy && <Spinner label={w.busy} />}
      <div className="flex flex-wrap gap-2">
        <Button variant="secondary" disabled={!!w.busy} onClick={() => void w.call('get_order_status', { order_id: order.number }, { label: 'Checking status…' })}>
          Refresh status
        </Button>
        <Button variant="secondary" disabled={!!w.busy} onClick={() => void w.call('reorder', { order_id: order.number }, { label: 'Adding items to your cart…' })}>
          Buy again
        </Button>
        <Button variant="ghost" disabled={!!w.busy} onClick={() => void w.call('list_orders', {}, { label: 'Loading orders…' })}>
          All orders
        </Button>
        {cancellable &&
          (confirmCancel ? (
            <span className="flex flex-wrap items-center gap-2" role="group" aria-label="Confirm cancellation">
              <span className="text-sm">Cancel this order?</span>
              <Button variant="danger" onClick={() => void w.call('cancel_order', { order_id: order.number }, { label: 'Cancelling…' }).then(() => setConfirmCancel(false))}>
                Yes, cancel
              </Button>
              <Button variant="ghost" onClick={() => setConfirmCancel(false)}>
                Keep order
              </Button>
            </span>
          ) : (
            <Button variant="danger" disabled={!!w.busy} onClick={() => setConfirmCancel(true)}>
              Cancel order
            </Button>
          ))}
      </div>
    </section>
  );
}

export function OrderListView({ data }: { data: OrderListResult }) {
  const w = useWidget();
  const money = useMoney();
  const pi = data.page_info;
  if (data.items.length === 0)
    return (
      <EmptyState title="You have no orders yet.">
        <Button onClick={() => void w.host.sendFollowUpMessage('Help me find something to buy.')}>Start shopping</Button>
      </EmptyState>
    );
  return (
    <section className="flex flex-col gap-3" aria-labelledby="orders-heading">
      <h2 id="orders-heading" className="text-base font-semibold">
        Your orders
      </h2>
      {w.error && <ErrorBanner message={w.error} onDismiss={w.clearError} />}
      <ul className="flex flex-col divide-y divide-line" aria-label="Orders">
        {data.items.map((o) => (
          <li key={o.id} data-testid="order-row">
            <button type="button" className="flex w-full flex-wrap items-center justify-between gap-2 py-3 text-left" onClick={() => void w.call('get_order_status', { order_id: o.number }, { label: 'Loading order…' })} aria-label={`Open order ${o.number}`}>
              <span className="min-w-0">
                <span className="block text-sm font-medium">{o.number}</span>
                <span className="block truncate text-xs text-muted">
                  {o.first_item_name}
                  {o.item_count > 1 ? ` and ${o.item_count - 1} more` : ''} · {formatDateTime(o.created_at, w.snapshot.locale)}
                </span>
              </span>
              <span className="flex items-center gap-2">
                <StatusBadge status={o.status} />
                <span className="text-sm font-semibold tabular-nums">{money(o.total, o.currency)}</span>
              </span>
            </button>
          </li>
        ))}
      </ul>
      {pi.total_pages > 1 && (
        <nav className="flex items-center justify-center gap-3" aria-label="Pages">
          <Button variant="secondary" disabled={pi.page <= 1 || !!w.busy} onClick={() => void w.call('list_orders', { page: pi.page - 1 }, { label: 'Loading orders…' })}>
            Previous
          </Button>
          <span className="text-sm text-muted">
            Page {pi.page} of {pi.total_pages}
          </span>
          <Button variant="secondary" disabled={!pi.has_more || !!w.busy} onClick={() => void w.call('list_orders', { page: pi.page + 1 }, { label: 'Loading orders…' })}>
            Next
          </Button>
        </nav>
      )}
    </section>
  );
}
