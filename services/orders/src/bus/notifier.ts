import { mkdir, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import nodemailer, { type Transporter } from 'nodemailer';
import { OrderCancelledEvent, OrderConfirmedEvent, OrderDeliveredEvent, orderEvents, OrderRefundedEvent, OrderShippedEvent, type EventEnvelope, type Order } from '@shop/contracts';
import { consumeEvents, processOnce } from '@shop/kit';
import { renderNotification, type Notification, type NotificationKind, type RenderedEmail } from '../domain/email.js';
import { findById, renderOrder } from '../db/orders.js';
import { claimNotification } from '../db/notifications.js';
import type { WorkflowContext } from '../app/context.js';

interface Trigger {
  kind: NotificationKind;
  orderId: string;
  /** What the shopper got back; only on cancellations and refunds. */
  refundAmount: number;
}

/** The e-mail an event asks for, or null when its data does not match its contract. */
export function notificationTrigger(event: EventEnvelope): Trigger | null {
  switch (event.type) {
    case orderEvents.confirmed: {
      const data = OrderConfirmedEvent.safeParse(event.data);
      return data.success ? { kind: 'confirmed', orderId: data.data.order_id, refundAmount: 0 } : null;
    }
    case orderEvents.shipped: {
      const data = OrderShippedEvent.safeParse(event.data);
      return data.success ? { kind: 'shipped', orderId: data.data.order_id, refundAmount: 0 } : null;
    }
    case orderEvents.delivered: {
      const data = OrderDeliveredEvent.safeParse(event.data);
      return data.success ? { kind: 'delivered', orderId: data.data.order_id, refundAmount: 0 } : null;
    }
    case orderEvents.cancelled: {
      const data = OrderCancelledEvent.safeParse(event.data);
      return data.success ? { kind: 'cancelled', orderId: data.data.order_id, refundAmount: data.data.refund_amount } : null;
    }
    case orderEvents.refunded: {
      const data = OrderRefundedEvent.safeParse(event.data);
      return data.success ? { kind: 'refunded', orderId: data.data.order_id, refundAmount: data.data.refund_amount } : null;
    }
    default:
      return null;
  }
}

function notificationOf(trigger: Trigger, order: Order): Notification {
  return trigger.kind === 'cancelled' || trigger.kind === 'refunded' ? { kind: trigger.kind, order, refundAmount: trigger.refundAmount } : { kind: trigger.kind, order };
}

/**
 * Mails the shopper once per order transition (confirmed, shipped, delivered, cancelled, refunded): through
 * SMTP when SMTP_URL is set, else as `<order-number>-<kind>.eml` in MAIL_DIR (nodemailer's stream
 * transport renders the same MIME message). Twice guarded: processOnce skips a redelivered event,
 * and the (order, kind) claim skips another event announcing the same transition.
 */
export async function startNotifier(ctx: WorkflowContext, nc: Parameters<typeof consumeEvents>[0]['nc']): Promise<{ stop: () => Promise<void> }> {
  const { config, logger } = ctx;
  const smtp = config.SMTP_URL ? nodemailer.createTransport(config.SMTP_URL) : undefined;
  const files: Transporter | undefined = smtp ? undefined : nodemailer.createTransport({ streamTransport: true, buffer: true, newline: 'unix' });
  const mailDir = path.resolve(config.MAIL_DIR);

  async function send(kind: NotificationKind, order: Order, mail: RenderedEmail): Promise<void> {
    // The contracts carry no shopper e-mail address yet: mail goes to a reserved .invalid domain.
    const message = {
      from: config.MAIL_FROM,
      to: { name: order.shipping_address.name, address: `${order.number.toLowerCase()}@customers.invalid` },
      subject: mail.subject,
      text: mail.text,
      html: mail.html,
      headers: { 'X-Order-Number': order.number, 'X-Order-Notification': kind },
    };
    if (smtp) {
      await smtp.sendMail(message);
      return;
    }
    const info = await files!.sendMail(message);
    await mkdir(mailDir, { recursive: true });
    // Written aside and renamed, so a reader never sees a half-written message.
    const target = path.join(mailDir, `${order.number}-${kind}.eml`);
    await writeFile(`${target}.${process.pid}.tmp`, info.message as Buffer);
    await rename(`${target}.${process.pid}.tmp`, target);
  }

  const consumer = await consumeEvents({
    nc,
    prefix: config.NATS_PREFIX,
    durable: 'orders_notifier',
    subjects: [orderEvents.confirmed, orderEvents.shipped, orderEvents.delivered, orderEvents.cancelled, orderEvents.refunded],
    logger,
    handler: async (event) => {
      const trigger = notificationTrigger(event);
      if (!trigger) {
        // Redelivery cannot repair a malformed event: acknowledge it and say so.
        logger.error({ type: event.type, id: event.id }, 'order event does not match its contract; no e-mail sent');
        return;
      }
      await processOnce(ctx.pool, 'orders_notifier', event.id, async (tx) => {
        const row = await findById(tx, trigger.orderId);
        if (!row) {
          logger.error({ order_id: trigger.orderId, kind: trigger.kind, event_id: event.id }, 'order event names an unknown order; no e-mail sent');
          return;
        }
        if (!(await claimNotification(tx, trigger.orderId, trigger.kind, event.id))) {
          logger.info({ order_id: trigger.orderId, kind: trigger.kind, event_id: event.id }, 'e-mail for this transition already sent');
          return;
        }
        const order = await renderOrder(tx, row);
        // Sent before the claim commits: a failed send rolls the claim back and the event is redelivered.
        await send(trigger.kind, order, renderNotification(notificationOf(trigger, order)));
        logger.info({ order_number: order.number, kind: trigger.kind, via: smtp ? 'smtp' : 'file' }, 'order e-mail sent');
      });
    },
  });
  return {
    stop: async () => {
      await consumer.stop();
      smtp?.close();
    },
  };
}
