import { formatMoney, shippingMethods, type Order } from '@shop/contracts';

export function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

export interface RenderedEmail {
  subject: string;
  text: string;
  html: string;
}

function variantLabel(line: Order['lines'][number]): string {
  return [line.size, line.color].filter(Boolean).join(' / ');
}

/** The order confirmation: number, items, totals, delivery estimate. Every value is HTML-escaped. */
export function renderConfirmationEmail(order: Order): RenderedEmail {
  const money = (cents: number) => formatMoney(cents, order.currency);
  const delivery = `${order.estimated_delivery.earliest} – ${order.estimated_delivery.latest}`;
  const method = shippingMethods[order.shipping_method].label;
  const totals: Array<[string, string]> = [
    ['Subtotal', money(order.subtotal)],
    ...(order.discount > 0 ? ([[`Discount${order.coupon ? ` (${order.coupon.code})` : ''}`, `−${money(order.discount)}`]] as Array<[string, string]>) : []),
    ['Shipping', order.shipping === 0 ? 'Free' : money(order.shipping)],
    ['Tax', money(order.tax)],
    ['Total', money(order.total)],
  ];
  const address = order.shipping_address;
  const addressLines = [address.name, address.line1, address.line2, [address.city, address.state, address.postal_code].filter(Boolean).join(', '), address.country].filter(
    (l): l is string => Boolean(l),
  );

  const subject = `Your order ${order.number} is confirmed`;
  const text = [
    `Thank you for your order, ${address.name}!`,
    '',
    `Order number: ${order.number}`,
    '',
    ...order.lines.map((l) => `${l.quantity} × ${l.name}${variantLabel(l) ? ` (${variantLabel(l)})` : ''} — ${money(l.line_subtotal)}`),
    '',
    ...totals.map(([k, v]) => `${k}: ${v}`),
    '',
    `Shipping: ${method}`,
    `Estimated delivery: ${delivery}`,
    '',
    'Ship to:',
    ...addressLines,
  ].join('\n');

  const e = escapeHtml;
  const html = `<!doctype html>
<html><body style="font-family:sans-serif">
<h1>Thank you for your order, ${e(address.name)}!</h1>
<p>Order number: <strong>${e(order.number)}</strong></p>
<table cellpadding="4">
<thead><tr><th align="left">Item</th><th align="right">Qty</th><th align="right">Price</th></tr></thead>
<tbody>
${order.lines
  .map((l) => `<tr><td>${e(l.name)}${variantLabel(l) ? ` <small>${e(variantLabel(l))}</small>` : ''}</td><td align="right">${l.quantity}</td><td align="right">${e(money(l.line_subtotal))}</td></tr>`)
  .join('\n')}
</tbody>
<tfoot>
${totals.map(([k, v]) => `<tr><td colspan="2">${e(k)}</td><td align="right">${e(v)}</td></tr>`).join('\n')}
</tfoot>
</table>
<p>Shipping: ${e(method)}<br>Estimated delivery: ${e(delivery)}</p>
<p>Ship to:<br>${addressLines.map(e).join('<br>')}</p>
</body></html>
`;
  return { subject, text, html };
}
