import { mkdir, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import nodemailer, { type Transporter } from 'nodemailer';
import { OrderConfirmedEvent, orderEvents, parseOrThrow } from '@shop/contracts';
import { consumeEvents, processOnce } from '@shop/kit';
import { renderConfirmationEmail } from '../domain/email.js';
import { findById, renderOrder } from '../db/orders.js';
import type { WorkflowContext } from '../workflows/context.js';

/**
 * Sends the order confirmation once per evt.order.confirmed: through SMTP when SMTP_URL is set,
 * else as an .eml file in MAIL_DIR (nodemailer's stream transport renders the same MIME message).
 */
export async function startNotifier(ctx: WorkflowContext, nc: Parameters<typeof consumeEvents>[0]['nc']): Promise<{ stop: () => Promise<void> }> {
  const { config } = ctx;
  const smtp = config.SMTP_URL ? nodemailer.createTransport(config.SMTP_URL) : undefined;
  const files: Transporter | undefined = smtp ? undefined : nodemailer.createTransport({ streamTransport: true, buffer: true, newline: 'unix' });
  const mailDir = path.resolve(config.MAIL_DIR);
  const consumer = await consumeEvents({
    nc,
    prefix: config.NATS_PREFIX,
    durable: 'orders_notifier',
    subjects: [orderEvents.confirmed],
    logger: ctx.logger,
    handler: async (event) => {
      const data = parseOrThrow(OrderConfirmedEvent, event.data, 'data');
      await processOnce(ctx.pool, 'orders_notifier', event.id, async (tx) => {
        const row = await findById(tx, data.order_id);
        if (!row) return;
        const order = await renderOrder(tx, row);
        const mail = renderConfirmationEmail(order);
        // The contracts carry no shopper e-mail address yet: mail goes to a reserved .invalid domain.
        const message = {
          from: config.MAIL_FROM,
          to: { name: order.shipping_address.name, address: `${order.number.toLowerCase()}@customers.invalid` },
          subject: mail.subject,
          text: mail.text,
          html: mail.html,
          headers: { 'X-Order-Number': order.number },
        };
        if (smtp) {
          await smtp.sendMail(message);
        } else {
          const info = await files!.sendMail(message);
          await mkdir(mailDir, { recursive: true });
          // Written aside and renamed, so a reader never sees a half-written message.
          const target = path.join(mailDir, `${order.number}.eml`);
          await writeFile(`${target}.${process.pid}.tmp`, info.message as Buffer);
          await rename(`${target}.${process.pid}.tmp`, target);
        }
        ctx.logger.info({ order_number: order.number, via: smtp ? 'smtp' : 'file' }, 'confirmation sent');
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
