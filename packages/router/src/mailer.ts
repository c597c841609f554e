import fs from 'node:fs';
import path from 'node:path';
import nodemailer from 'nodemailer';

export interface Mail {
  to: string[];
  subject: string;
  text: string;
  headers?: Record<string, string>;
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

export function smtpMailer(url: string, from: string): Mailer {
  const transport = nodemailer.createTransport(url);
  return {
    async send(mail) {
      const info = await transport.sendMail({ from, to: mail.to, subject: mail.subject, text: mail.text, headers: mail.headers });
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
      const info = await transport.sendMail({ from, to: mail.to, subject: mail.subject, text: mail.text, headers: mail.headers });
      fs.mkdirSync(dir, { recursive: true });
      const id = String(info.messageId).replace(/[<>]/g, '').replace(/[^\w.@-]/g, '_');
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
