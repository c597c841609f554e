import { audit, ensureSource, normalEmail, type Pool } from '@deliveryline/shared';
import { z } from 'zod/v4';
import { ROLES } from '../auth/caller';
import crypto from 'node:crypto';
import { insertToken, insertUser, memberExists, setPassword, userByEmail } from '../repositories/identity.repository';
import { hashPassword, MAX_PASSWORD, MIN_PASSWORD, newApiToken, sha256 } from '../auth/secrets';

export const NewUserSchema = z.object({
  email: z.string().transform(normalEmail).pipe(z.email().max(320)),
  name: z.string().trim().min(1).max(200),
  role: z.enum(ROLES),
  org: z.string().trim().max(100).optional(),
  password: z.string().max(1000),
  language: z.enum(['ja', 'en']).default('ja'),
  /** a generated one-time password: the user must choose their own at the first sign-in */
  mustChangePassword: z.boolean().default(false),
});
export type NewUserInput = z.input<typeof NewUserSchema>;

export class UserInputError extends Error {
  constructor(
    public code: string,
    message: string,
  ) {
    super(message);
  }
}

/**
 * Adds a user (portal and `dline users add`). A member user is bound to an existing member,
 * a source user to a source (created on first use, as uploads do).
 */
export async function createUser(pool: Pool, input: NewUserInput, actor: string): Promise<number> {
  const p = NewUserSchema.safeParse(input);
  if (!p.success) {
    const i = p.error.issues[0];
    throw new UserInputError('request.invalid', `${i.path.join('.')}: ${i.message}`);
  }
  const u = p.data;
  checkPasswordLength(u.password);
  if (await userByEmail(pool, u.email)) throw new UserInputError('user.exists', `${u.email} already has an account`);
  const org = u.org || null;
  if (u.role === 'member' && (!org || !(await memberExists(pool, org))))
    throw new UserInputError(
      'user.org',
      `a member user needs an existing member id (--member); "${org ?? ''}" is not one (see dline members import)`,
    );
  if (u.role === 'source') {
    if (!org || !/^[a-z0-9][a-z0-9_.-]*$/.test(org))
      throw new UserInputError('user.org', 'a source user needs a source id (--source), lower-case letters, digits, _ . -');
    await ensureSource(pool, org);
  }
  const userId = await insertUser(pool, {
    email: u.email,
    name: u.name,
    role: u.role,
    memberId: u.role === 'member' ? org : null,
    sourceId: u.role === 'source' ? org : null,
    passwordHash: await hashPassword(u.password),
    language: u.language,
    mustChangePassword: u.mustChangePassword,
  });
  await audit(pool, { actor, action: 'user.add', object: `user:${userId}`, details: { email: normalEmail(u.email), role: u.role, org } });
  return userId;
}

/** A password to hand over once: 16 characters from an alphabet without look-alikes (no 0/O, 1/l/I). */
export function oneTimePassword(): string {
  const abc = 'ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnpqrstuvwxyz23456789';
  const bytes = crypto.randomBytes(16);
  return Array.from(bytes, (b) => abc[b % abc.length])
    .join('')
    .replace(/(.{4})(?!$)/g, '$1-');
}

/** A password's length in characters (code points): at least MIN_PASSWORD, at most MAX_PASSWORD (ASVS 2.1.1, 2.1.2). */
export function checkPasswordLength(password: string): void {
  const n = [...password].length;
  if (n < MIN_PASSWORD) throw new UserInputError('password.short', `the password needs at least ${MIN_PASSWORD} characters`);
  if (n > MAX_PASSWORD) throw new UserInputError('password.long', `the password may have at most ${MAX_PASSWORD} characters`);
}

/**
 * The user's own password replaces the one-time one (the first sign-in asks for it); an audit
 * event. Every other session of the user ends (`keepSession`: the one that changed it).
 */
export async function changePassword(
  pool: Pool,
  a: { userId: number; password: string; actor: string; keepSession?: string | null },
): Promise<void> {
  checkPasswordLength(a.password);
  const ended = await setPassword(pool, a.userId, await hashPassword(a.password), a.keepSession ?? null);
  await audit(pool, { actor: a.actor, action: 'user.password_changed', object: `user:${a.userId}`, details: { sessionsEnded: ended } });
}

/** A new API token for a user; the secret is returned once and only its hash is kept. */
export async function createToken(
  pool: Pool,
  a: { userId: number; name: string; scope: 'read' | 'write'; actor: string },
): Promise<{ id: number; token: string }> {
  const token = newApiToken();
  const id = await insertToken(pool, { userId: a.userId, name: a.name, hash: sha256(token), scope: a.scope });
  await audit(pool, {
    actor: a.actor,
    action: 'token.create',
    object: `token:${id}`,
    details: { user: a.userId, name: a.name, scope: a.scope },
  });
  return { id, token };
}
