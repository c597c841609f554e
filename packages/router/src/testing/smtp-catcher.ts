import { SMTPServer, type SMTPServerOptions } from 'smtp-server';
import type { AddressInfo } from 'node:net';
import { until } from '@deliveryline/shared/testing';

/**
 * A real SMTP server for tests (npm smtp-server): STARTTLS with its built-in certificate, AUTH
 * PLAIN/LOGIN, and a hook to refuse attempts, so delivery is tested over the wire, not against
 * a fake mailer. Messages are decoded just enough to assert on: headers, subject, text body.
 */
export interface CaughtMail {
  from: string;
  to: string[];
  raw: string;
  headers: Record<string, string>;
  subject: string;
  text: string;
  secure: boolean;
  user: string | undefined;
}

export interface SmtpCatcher {
  url: string;
  port: number;
  mails: CaughtMail[];
  /** recipients refused so far */
  refused: number;
  close(): Promise<void>;
}

function decodeWords(s: string): string {
  return s.replace(/=\?([^?]+)\?([BbQq])\?([^?]*)\?=\s*/g, (_m, _cs, enc: string, data: string) =>
    enc.toUpperCase() === 'B'
      ? Buffer.from(data, 'base64').toString('utf8')
      : Buffer.from(
          data.replace(/_/g, ' ').replace(/=([0-9A-F]{2})/gi, (_x, h: string) => String.fromCharCode(parseInt(h, 16))),
          'latin1',
        ).toString('utf8'),
  );
}

export function parseMail(raw: string): { headers: Record<string, string>; subject: string; text: string } {
  const split = raw.indexOf('\r\n\r\n') >= 0 ? raw.indexOf('\r\n\r\n') : raw.indexOf('\n\n');
  const head = raw.slice(0, split).replace(/\r?\n[ \t]+/g, ' ');
  const body = raw.slice(split).replace(/^\r?\n\r?\n/, '');
  const headers: Record<string, string> = {};
  for (const line of head.split(/\r?\n/)) {
    const i = line.indexOf(':');
    if (i > 0) headers[line.slice(0, i).toLowerCase()] = line.slice(i + 1).trim();
  }
  const cte = (headers['content-transfer-encoding'] ?? '').toLowerCase();
  const text =
    cte === 'base64'
      ? Buffer.from(body.replace(/\s+/g, ''), 'base64').toString('utf8')
      : cte === 'quoted-printable'
        ? Buffer.from(
            body.replace(/=\r?\n/g, '').replace(/=([0-9A-F]{2})/gi, (_x, h: string) => String.fromCharCode(parseInt(h, 16))),
            'latin1',
          ).toString('utf8')
        : body;
  return { headers, subject: decodeWords(headers.subject ?? ''), text: text.replace(/\r\n/g, '\n') };
}

export async function startSmtpCatcher(
  o: {
    user?: string;
    pass?: string;
    refuse?: (attempt: number, to: string) => boolean;
    options?: Partial<SMTPServerOptions>;
    /** called once a message is taken, before the server answers it: what it returns is awaited (a slow or stuck server) */
    holdReply?: (n: number, mail: CaughtMail) => Promise<void> | void;
  } = {},
): Promise<SmtpCatcher> {
  const mails: CaughtMail[] = [];
  const state = { refused: 0, attempts: 0 };
  const server = new SMTPServer({
    authOptional: !o.user,
    logger: false,
    onAuth(auth, _session, cb) {
      if (auth.username === o.user && auth.password === o.pass) cb(null, { user: auth.username });
      else cb(new Error('535 authentication failed'));
    },
    onRcptTo(addr, _session, cb) {
      state.attempts++;
      if (o.refuse?.(state.attempts, addr.address)) {
        state.refused++;
        const err = Object.assign(new Error('try again later (greylisted)'), { responseCode: 451 });
        cb(err);
        return;
      }
      cb();
    },
    onData(stream, session, cb) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        const raw = Buffer.concat(chunks).toString('utf8');
        const mail: CaughtMail = {
          from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
          to: session.envelope.rcptTo.map((r) => r.address),
          raw,
          ...parseMail(raw),
          secure: session.secure,
          user: session.user as string | undefined,
        };
        mails.push(mail);
        void Promise.resolve(o.holdReply?.(mails.length, mail)).then(
          () => cb(),
          () => cb(),
        );
      });
    },
    ...o.options,
  });
  await new Promise<void>((res) => server.listen(0, '127.0.0.1', () => res()));
  const port = (server.server.address() as AddressInfo).port;
  const auth = o.user ? `${encodeURIComponent(o.user)}:${encodeURIComponent(o.pass ?? '')}@` : '';
  return {
    // STARTTLS is required; the test server's certificate is self-signed, hence rejectUnauthorized=false
    url: `smtp://${auth}127.0.0.1:${port}?requireTLS=true&tls.rejectUnauthorized=false`,
    port,
    mails,
    get refused() {
      return state.refused;
    },
    close: () => new Promise<void>((res) => server.close(() => res())),
  };
}

/** Polls a condition (no fixed sleeps): resolves when it holds, fails with `what` after `timeoutMs`. */
export async function waitFor(cond: () => boolean | Promise<boolean>, what: string, timeoutMs = 30_000): Promise<void> {
  await until(what, cond, { timeoutMs });
}
