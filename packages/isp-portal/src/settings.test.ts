import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { portalSettings, totpKeyFrom } from './settings';

describe('portal settings', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dl-settings-'));
  const ctx = { env: { publicUrl: 'https://portal.example.jp', dataDir: dir } } as Parameters<typeof portalSettings>[0];

  it('trusts no proxy and takes the documented sign-in limits by default', () => {
    const s = portalSettings(ctx, {});
    expect(s.trustedProxies).toEqual([]);
    expect(s.cookieSecure).toBe(true);
    expect(s.totpRoles).toEqual(['coordinator']);
    expect(s.sessionIdleMinutes).toBe(30);
    expect(s.limits).toEqual({
      freeFailures: 5,
      backoffMaxSeconds: 300,
      lockFailures: 10,
      lockSeconds: 900,
      windowSeconds: 900,
      addressFailures: 50,
      totpSessionFailures: 5,
    });
  });

  it('reads TRUSTED_PROXIES as addresses and CIDRs, and says what is wrong with a bad one', () => {
    expect(portalSettings(ctx, { TRUSTED_PROXIES: ' 10.0.0.0/8, ::1 ,loopback' }).trustedProxies).toEqual([
      '10.0.0.0/8',
      '::1',
      'loopback',
    ]);
    expect(() => portalSettings(ctx, { TRUSTED_PROXIES: '10.0.0.0/33' })).toThrow(
      'Invalid configuration: TRUSTED_PROXIES="10.0.0.0/33": give addresses or CIDRs (10.0.0.0/8, ::1), comma-separated',
    );
    expect(() => portalSettings(ctx, { PORTAL_TOTP_ROLES: 'coordinator,admin' })).toThrow(/PORTAL_TOTP_ROLES=.*roles are coordinator/);
  });

  it('takes TOTP_KEY as hex or base64, refuses anything but 32 bytes, and otherwise makes DATA_DIR/totp.key once, mode 600', () => {
    const key = Buffer.alloc(32, 7);
    expect(portalSettings(ctx, { TOTP_KEY: key.toString('hex') }).totpKey).toEqual(key);
    expect(portalSettings(ctx, { TOTP_KEY: key.toString('base64') }).totpKey).toEqual(key);
    expect(() => portalSettings(ctx, { TOTP_KEY: 'c2hvcnQ=' })).toThrow(/TOTP_KEY=.*32 bytes/);
    const made = totpKeyFrom(undefined, dir);
    expect(made).toHaveLength(32);
    expect(fs.statSync(path.join(dir, 'totp.key')).mode & 0o777).toBe(0o600);
    expect(totpKeyFrom(undefined, dir)).toEqual(made);
  });
});
