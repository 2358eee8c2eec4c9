import { mkdir, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import nodemailer, { type Transporter } from 'nodemailer';

export interface CodeMail {
  to: string;
  code: string;
  purpose: 'sign_in' | 'sign_up';
  minutes: number;
}

export interface Mailer {
  sendCode(mail: CodeMail): Promise<void>;
}

/**
 * Mails a one-time code: through SMTP when SMTP_URL is set, else as a `.eml` file in MAIL_DIR
 * (nodemailer's stream transport renders the same MIME message), as orders does.
 */
export function createMailer(opts: { smtpUrl?: string; mailDir: string; from: string }): Mailer {
  const smtp: Transporter | undefined = opts.smtpUrl ? nodemailer.createTransport(opts.smtpUrl) : undefined;
  const files = smtp ? undefined : nodemailer.createTransport({ streamTransport: true, buffer: true, newline: 'unix' });
  const mailDir = path.resolve(opts.mailDir);
  return {
    async sendCode(mail) {
      const what = mail.purpose === 'sign_up' ? 'finish creating your account' : 'sign in';
      const message = {
        from: opts.from,
        to: mail.to,
        subject: `Your code: ${mail.code}`,
        text: `Your one-time code to ${what} is ${mail.code}.\n\nIt works once, for ${mail.minutes} minutes. If you did not ask for it, ignore this e-mail: nobody can sign in without the code.\n`,
        headers: { 'X-Sign-In-Purpose': mail.purpose },
      };
      if (smtp) {
        await smtp.sendMail(message);
        return;
      }
      const info = await files!.sendMail(message);
      await mkdir(mailDir, { recursive: true });
      const safe = mail.to.replace(/[^a-z0-9@._-]/gi, '_');
      const target = path.join(mailDir, `sign-in-${safe}-${Date.now()}-${randomBytes(3).toString('hex')}.eml`);
      // Written aside and renamed, so a reader never sees a half-written message.
      await writeFile(`${target}.tmp`, info.message as Buffer);
      await rename(`${target}.tmp`, target);
    },
  };
}
