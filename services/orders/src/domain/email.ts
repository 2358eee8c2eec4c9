import { formatMoney, shippingMethods, type Order } from '@shop/contracts';

export function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

export interface RenderedEmail {
  subject: string;
  text: string;
  html: string;
}

/** The order e-mails the shopper gets: one per transition. */
export const NotificationKind = ['confirmed', 'shipped', 'delivered', 'cancelled', 'refunded'] as const;
export type NotificationKind = (typeof NotificationKind)[number];

export type Notification =
  | { kind: 'confirmed' | 'shipped' | 'delivered'; order: Order }
  | { kind: 'cancelled' | 'refunded'; order: Order; refundAmount: number };

/**
 * A block of the message, written once for both parts: `text` lines for the plain part; `html`
 * for the HTML part (already escaped) or, when absent, the text lines escaped.
 */
interface Block {
  text: string[];
  html?: string;
}

const e = escapeHtml;

function variantLabel(line: Order['lines'][number]): string {
  return [line.size, line.color].filter(Boolean).join(' / ');
}

function linesBlock(order: Order): Block {
  const money = (cents: number) => formatMoney(cents, order.currency);
  return {
    text: order.lines.map((l) => `${l.quantity} × ${l.name}${variantLabel(l) ? ` (${variantLabel(l)})` : ''} — ${money(l.line_subtotal)}`),
    html: `<table cellpadding="4">
<thead><tr><th align="left">Item</th><th align="right">Qty</th><th align="right">Price</th></tr></thead>
<tbody>
${order.lines
  .map((l) => `<tr><td>${e(l.name)}${variantLabel(l) ? ` <small>${e(variantLabel(l))}</small>` : ''}</td><td align="right">${l.quantity}</td><td align="right">${e(money(l.line_subtotal))}</td></tr>`)
  .join('\n')}
</tbody>
</table>`,
  };
}

function totalsBlock(order: Order): Block {
  const money = (cents: number) => formatMoney(cents, order.currency);
  const totals: Array<[string, string]> = [
    ['Subtotal', money(order.subtotal)],
    ...(order.discount > 0 ? ([[`Discount${order.coupon ? ` (${order.coupon.code})` : ''}`, `−${money(order.discount)}`]] as Array<[string, string]>) : []),
    ['Shipping', order.shipping === 0 ? 'Free' : money(order.shipping)],
    ['Tax', money(order.tax)],
    ['Total', money(order.total)],
  ];
  return {
    text: totals.map(([k, v]) => `${k}: ${v}`),
    html: `<table cellpadding="4">\n${totals.map(([k, v]) => `<tr><td>${e(k)}</td><td align="right">${e(v)}</td></tr>`).join('\n')}\n</table>`,
  };
}

/** Shipping method, delivery window, the shopper's preferred day and instructions. */
function deliveryBlock(order: Order, withEstimate: boolean): Block {
  const lines = [`Shipping: ${shippingMethods[order.shipping_method].label}`];
  if (withEstimate) lines.push(`Estimated delivery: ${order.estimated_delivery.earliest} – ${order.estimated_delivery.latest}`);
  if (order.preferred_delivery_date) lines.push(`Your preferred delivery date: ${order.preferred_delivery_date}`);
  const instructions = order.delivery_instructions ? [`Delivery instructions: ${order.delivery_instructions}`] : [];
  const htmlInstructions = order.delivery_instructions ? `<p>Delivery instructions:<br>${e(order.delivery_instructions).replace(/\r?\n/g, '<br>')}</p>` : '';
  return { text: [...lines, ...instructions], html: `<p>${lines.map(e).join('<br>')}</p>${htmlInstructions}` };
}

function addressBlock(order: Order): Block {
  const a = order.shipping_address;
  const lines = [a.name, a.line1, a.line2, [a.city, a.state, a.postal_code].filter(Boolean).join(', '), a.country].filter((l): l is string => Boolean(l));
  return { text: ['Ship to:', ...lines], html: `<p>Ship to:<br>${lines.map(e).join('<br>')}</p>` };
}

/** Only http(s) links become clickable: anything else is shown as text. */
function trackingBlock(tracking: NonNullable<Order['tracking']>): Block {
  const linkable = /^https?:\/\//i.test(tracking.url);
  return {
    text: [`Carrier: ${tracking.carrier}`, `Tracking number: ${tracking.number}`, `Track your parcel: ${tracking.url}`],
    html: `<p>Carrier: ${e(tracking.carrier)}<br>Tracking number: <strong>${e(tracking.number)}</strong><br>${
      linkable ? `<a href="${e(tracking.url)}">Track your parcel</a>` : `Track your parcel: ${e(tracking.url)}`
    }</p>`,
  };
}

const para = (text: string): Block => ({ text: [text] });

function compose(subject: string, heading: string, blocks: Block[]): RenderedEmail {
  const text = [heading, ...blocks.flatMap((b) => ['', ...b.text])].join('\n');
  const html = `<!doctype html>
<html><body style="font-family:sans-serif">
<h1>${e(heading)}</h1>
${blocks.map((b) => b.html ?? `<p>${b.text.map(e).join('<br>')}</p>`).join('\n')}
</body></html>
`;
  return { subject, text, html };
}

function refundSentence(order: Order, amount: number): string {
  return `A refund of ${formatMoney(amount, order.currency)} has been issued to your ${order.payment.brand ?? 'card'}${order.payment.last4 ? ` ending in ${order.payment.last4}` : ''}. It may take a few business days to appear.`;
}

/** Renders the e-mail for one transition of an order. Every value is HTML-escaped. */
export function renderNotification(n: Notification): RenderedEmail {
  const { order } = n;
  const number = para(`Order number: ${order.number}`);
  const name = order.shipping_address.name;
  switch (n.kind) {
    case 'confirmed':
      return compose(`Your order ${order.number} is confirmed`, `Thank you for your order, ${name}!`, [
        number,
        linesBlock(order),
        totalsBlock(order),
        deliveryBlock(order, true),
        addressBlock(order),
      ]);
    case 'shipped':
      return compose(`Your order ${order.number} has shipped`, `Good news, ${name}: your order is on its way!`, [
        number,
        ...(order.tracking ? [trackingBlock(order.tracking)] : []),
        deliveryBlock(order, true),
        linesBlock(order),
        addressBlock(order),
      ]);
    case 'delivered':
      return compose(`Your order ${order.number} has been delivered`, `Your order has arrived, ${name}.`, [
        number,
        linesBlock(order),
        para('We hope you enjoy it. If anything is wrong with your order, just reply to this e-mail.'),
      ]);
    case 'refunded':
      return compose(`Your order ${order.number} has been refunded`, `Your refund is on its way, ${name}.`, [
        number,
        para(refundSentence(order, n.refundAmount)),
        ...(order.reason ? [para(`Reason: ${order.reason}`)] : []),
        linesBlock(order),
      ]);
    case 'cancelled': {
      const refund = n.refundAmount > 0 ? refundSentence(order, n.refundAmount) : 'You have not been charged.';
      return compose(`Your order ${order.number} has been cancelled`, `Your order has been cancelled, ${name}.`, [
        number,
        ...(order.reason ? [para(`Reason: ${order.reason}`)] : []),
        para(refund),
        linesBlock(order),
      ]);
    }
  }
}
