import { type Payload, JOBS, UnrecoverableError } from '@deliveryline/shared';
import type { RouterDeps } from '../deps';
import { markWebhookSent } from '../repositories/notice.repository';
import { recordAttempt } from '../repositories/delivery.repository';
import { describeFailure } from '../delivery/send-failure';
import { withLockedBatch, AttemptFailure } from '../delivery/locked-attempt';
import { signWebhook, SIGNATURE_HEADER } from '../delivery/webhook-signature';

export interface WebhookBody {
  event: 'batch.ready';
  batchId: number;
  listId: number;
  memberId: string;
  campaign: string;
  round: number | null;
  entries: number;
  relapses: number;
  tlp: string;
  dueAt: string | null;
  links: { portal: string; api: string };
}

/**
 * Tells a member's own ticket system that a batch is ready: one HMAC-signed POST of ids, counts
 * and links (never entries), so the system can pull the batch by API. Like the e-mail: the batch
 * row is locked while posting, at most one success per batch, every attempt recorded, retried
 * with exponential backoff on any failure or non-2xx answer.
 */
export async function notifyWebhook(
  p: Payload<'router.notify-webhook'>,
  deps: RouterDeps & { fetch?: typeof fetch },
  attempt = 1,
): Promise<void> {
  const lastAttempt = attempt >= JOBS['router.notify-webhook'].attempts;
  await withLockedBatch(deps.pool, p.batchId, async (tx, b) => {
    if (b.webhookSentAt || !b.webhookUrl) return;
    const base = { batchId: b.id, channel: 'webhook', kind: 'ready', attempt, recipients: [b.webhookUrl] } as const;
    if (!b.webhookSecret) {
      throw new AttemptFailure(
        { ...base, status: 'failed', response: 'no webhook secret', final: true },
        new UnrecoverableError(`member ${b.memberId} has a webhook URL but no webhook secret; nothing unsigned is ever sent`),
      );
    }
    const base_ = deps.env.publicUrl.replace(/\/$/, '');
    const body: WebhookBody = {
      event: 'batch.ready',
      batchId: b.id,
      listId: b.listId,
      memberId: b.memberId,
      campaign: b.facts.campaignName,
      round: b.facts.round,
      entries: b.facts.entries,
      relapses: b.facts.relapses ?? 0,
      tlp: `TLP:${b.facts.tlp.toUpperCase()}`,
      dueAt: b.dueAt?.toISOString() ?? null,
      links: { portal: `${base_}/batches/${b.id}`, api: `${base_}/api/v1/batches/${b.id}` },
    };
    const raw = JSON.stringify(body);
    let response: string;
    try {
      const res = await (deps.fetch ?? fetch)(b.webhookUrl, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'user-agent': 'deliveryline-webhook/1',
          'x-deliveryline-event': body.event,
          'x-deliveryline-delivery': `batch-${b.id}`,
          [SIGNATURE_HEADER.toLowerCase()]: signWebhook(b.webhookSecret, raw),
        },
        body: raw,
        redirect: 'manual',
        signal: AbortSignal.timeout(15_000),
      });
      response = `${res.status} ${(await res.text().catch(() => '')).slice(0, 500)}`.trim();
      if (res.status < 200 || res.status > 299) throw Object.assign(new Error(`HTTP ${response}`), { response });
    } catch (err) {
      throw new AttemptFailure({ ...base, status: 'failed', response: describeFailure(err), final: lastAttempt }, err);
    }
    await recordAttempt(tx, { ...base, status: 'sent', response, final: true });
    await markWebhookSent(tx, b.id);
  });
}
