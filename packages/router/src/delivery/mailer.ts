import fs from 'node:fs';
import path from 'node:path';
import nodemailer from 'nodemailer';

export interface Mail {
  to: string[];
  subject: string;
  text: string;
  headers?: Record<string, string>;
  /** the Message-ID to send with (e.g. one per batch, the same on every attempt); made up when not given */
  messageId?: string;
}
export interface SentMail {
  messageId: string;
  response: string;
}
/** The mailer is an interface so that delivery logic runs the same against SMTP and the outbox. */
export interface Mailer {
  send(mail: Mail): Promise<SentMail>;
  close(): void;
}

/**
 * SMTP_URL as nodemailer reads it (smtp:// with opportunistic or `requireTLS=true` STARTTLS,
 * smtps:// for implicit TLS, user:pass@ for AUTH, `tls.*` options in the query). Timeouts are
 * shortened from nodemailer's (10 min socket) unless the URL sets them: a batch row stays locked
 * while its message is sent, and a hung server should fail the attempt and let BullMQ retry.
 */
export function smtpTransportUrl(url: string): string {
  const u = new URL(url);
  const defaults: Record<string, string> = { connectionTimeout: '30000', greetingTimeout: '30000', socketTimeout: '60000' };
  for (const [k, v] of Object.entries(defaults)) if (!u.searchParams.has(k)) u.searchParams.set(k, v);
  return u.toString();
}

export function smtpMailer(url: string, from: string): Mailer {
  const transport = nodemailer.createTransport(smtpTransportUrl(url));
  return {
    async send(mail) {
      const info = await transport.sendMail({
        from,
        to: mail.to,
        subject: mail.subject,
        text: mail.text,
        headers: mail.headers,
        messageId: mail.messageId,
      });
      return { messageId: info.messageId, response: String(info.response ?? '') };
    },
    close: () => transport.close(),
  };
}

/** Without SMTP_URL, each message is written as an .eml file under <dataDir>/outbox. */
export function outboxMailer(dir: string, from: string): Mailer {
  const transport = nodemailer.createTransport({ streamTransport: true, buffer: true, newline: 'unix' });
  return {
    async send(mail) {
      const info = await transport.sendMail({
        from,
        to: mail.to,
        subject: mail.subject,
        text: mail.text,
        headers: mail.headers,
        messageId: mail.messageId,
      });
      fs.mkdirSync(dir, { recursive: true });
      const id = String(info.messageId)
        .replace(/[<>]/g, '')
        .replace(/[^\w.@-]/g, '_');
      const file = path.join(dir, `${new Date().toISOString().replace(/[:.]/g, '-')}_${id}.eml`);
      fs.writeFileSync(file, info.message as Buffer);
      return { messageId: info.messageId, response: `written to ${file}` };
    },
    close: () => undefined,
  };
}

export function mailerFromEnv(env: { SMTP_URL?: string; MAIL_FROM: string; dataDir: string }): Mailer {
  return env.SMTP_URL ? smtpMailer(env.SMTP_URL, env.MAIL_FROM) : outboxMailer(path.join(env.dataDir, 'outbox'), env.MAIL_FROM);
}
