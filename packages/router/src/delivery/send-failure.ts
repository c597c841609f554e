/** How a failed send (SMTP or HTTP) is judged and recorded. */

/**
 * Whether a failed send may have delivered the message anyway. A server's answer (a response
 * code) and a connection that was never made are definite: not sent. A connection that broke or
 * timed out later may have broken after the server took the message, so its outcome is unknown.
 */
export function attemptOutcome(err: unknown): 'failed' | 'unknown' {
  const e = err as { responseCode?: number; code?: string };
  if (typeof e.responseCode === 'number') return 'failed';
  if (
    ['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'EAUTH', 'EENVELOPE', 'EMESSAGE', 'ETLS'].includes(
      e.code ?? '',
    )
  )
    return 'failed';
  return 'unknown';
}

/** What an SMTP or HTTP failure said, for the record: code and server response when there is one. */
export function describeFailure(err: unknown): string {
  const e = err as { responseCode?: number; response?: string; code?: string; message?: string };
  if (e.response) return `${e.responseCode ?? ''} ${e.response}`.trim();
  return [e.code, e.message].filter(Boolean).join(': ') || String(err);
}
