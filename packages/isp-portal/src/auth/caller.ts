export const ROLES = ['coordinator', 'member', 'source', 'viewer'] as const;
export type Role = (typeof ROLES)[number];

/**
 * Who is asking, resolved once per request from a session cookie or a bearer token. Every
 * scoped query takes this (as a Scope) and nothing else decides what a caller may see.
 */
export interface Caller {
  userId: number;
  email: string;
  name: string;
  role: Role;
  memberId: string | null;
  sourceId: string | null;
  /** 'user:12' for a session, 'token:3' for an API token: what the audit log records */
  actor: string;
  via: 'session' | 'token';
  /** the session's CSRF token (forms and the page's fetch calls send it back) */
  csrf: string | null;
  /** an API token's scope: read tokens cannot change anything */
  tokenScope: 'read' | 'write' | null;
  /** a session still waiting for its TOTP code, a coordinator who must add one, or a user who must replace a one-time password */
  pending: null | 'totp' | 'totp-setup' | 'password';
  hasTotp: boolean;
}

export type Scope = Pick<Caller, 'role' | 'memberId' | 'sourceId'>;
