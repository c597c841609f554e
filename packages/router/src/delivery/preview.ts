import { type AppContext, type Queryable, audit, getList, isoJst, isoUtc, t, tlpLabel } from '@deliveryline/shared';
import { previewFirstEntries, previewHead, previewMembers, recordReleaseTest } from '../repositories/preview.repository';
import type { Mailer, Mail } from './mailer';
import { batchReadyMail, type MailLanguage } from './batch-email';
import { dueDate } from './due-date';

/**
 * Preview and test mode: before a list is released (routed, or waiting for approval), what
 * each member would receive — counts, relapses, the e-mail in its language(s), the first rows —
 * and the whole release sent to a test address instead of the members. Both are audit events;
 * test sends are also rows in `release_tests`.
 */
export interface MemberPreview {
  memberId: string;
  memberName: string;
  contacts: string[];
  language: MailLanguage;
  webhook: boolean;
  entries: number;
  relapses: number;
  dueAt: string;
  mail: { to: string[]; subject: string; text: string };
  firstRows: { ip: string; port: number | null; observedAtJst: string; observedAtUtc: string; malware: string | null }[];
}

export interface ReleasePreview {
  listId: number;
  state: string;
  campaign: string;
  round: number | null;
  tlp: string;
  delivered: number;
  returned: number;
  members: MemberPreview[];
}

export class PreviewError extends Error {
  constructor(
    public code: string,
    message: string,
  ) {
    super(message);
  }
}

const PREVIEWABLE = ['routed', 'awaiting_approval', 'released', 'returned_sent'];

async function buildPreview(db: Queryable, env: AppContext['env'], listId: number, rows: number, now: Date): Promise<ReleasePreview> {
  const l = await getList(db, listId);
  if (!l) throw new PreviewError('list.not_found', `list ${listId} does not exist`);
  if (!PREVIEWABLE.includes(l.state))
    throw new PreviewError('list.not_routed', `list ${listId} is ${l.state}; a preview exists once it is routed`);
  const head = await previewHead(db, listId, env.DEFAULT_DUE_DAYS);
  const due = dueDate(now, head.due_days);
  const counts = await previewMembers(db, listId);
  const first = await previewFirstEntries(db, listId, rows);
  const members = counts.map((c): MemberPreview => {
    const mail = batchReadyMail(
      {
        batchId: null,
        memberName: c.name,
        campaignName: head.campaign_name,
        listId,
        round: l.round,
        entries: c.entries,
        tlp: l.tlp,
        dueAt: due,
        portalUrl: env.publicUrl,
        sourceName: head.source_name,
        language: c.language,
        relapses: c.relapses,
      },
      c.contact_emails ?? [],
    );
    return {
      memberId: c.member_id,
      memberName: c.name,
      contacts: c.contact_emails ?? [],
      language: c.language,
      webhook: c.webhook,
      entries: c.entries,
      relapses: c.relapses,
      dueAt: due.toISOString(),
      mail: { to: mail.to, subject: mail.subject, text: mail.text },
      firstRows: first
        .filter((f) => f.member_id === c.member_id)
        .map((f) => ({
          ip: f.ip,
          port: f.port,
          observedAtJst: isoJst(f.observed_at),
          observedAtUtc: isoUtc(f.observed_at),
          malware: f.malware,
        })),
    };
  });
  return {
    listId,
    state: l.state,
    campaign: head.campaign_name,
    round: l.round,
    tlp: tlpLabel(l.tlp),
    delivered: l.delivered ?? 0,
    returned: l.returned ?? 0,
    members,
  };
}

/** What each member would receive; recorded as a `list.preview` audit event. */
export async function previewRelease(
  ctx: Pick<AppContext, 'pool' | 'env'>,
  listId: number,
  a: { actor: string; rows?: number; now?: Date },
): Promise<ReleasePreview> {
  const p = await buildPreview(ctx.pool, ctx.env, listId, a.rows ?? 5, a.now ?? new Date());
  await audit(ctx.pool, {
    actor: a.actor,
    action: 'list.preview',
    object: `list:${listId}`,
    details: { members: p.members.length, delivered: p.delivered },
  });
  return p;
}

export interface TestSendResult {
  memberId: string;
  status: 'sent' | 'failed';
  response: string;
}

/**
 * Test mode: every message of the release, as each member would get it, sent to `to` instead
 * (subject marked [TEST], the real recipients named in the body). Nothing is released and no
 * member is contacted. Each message is a `release_tests` row; the whole send an audit event.
 */
export async function sendReleaseTest(
  ctx: Pick<AppContext, 'pool' | 'env'>,
  mailer: Mailer,
  listId: number,
  a: { to: string; actor: string; now?: Date },
): Promise<TestSendResult[]> {
  const p = await buildPreview(ctx.pool, ctx.env, listId, 0, a.now ?? new Date());
  const results: TestSendResult[] = [];
  for (const m of p.members) {
    const mail: Mail = {
      to: [a.to],
      subject: `[TEST] ${m.mail.subject}`,
      text: `*** ${t('en', 'test.banner')} / ${t('ja', 'test.banner')}: ${t('en', 'test.wouldGoTo')} / ${t('ja', 'test.wouldGoTo')}: ${m.contacts.join(', ') || `(${t('en', 'test.noContact')} / ${t('ja', 'test.noContact')})`} ***\n\n${m.mail.text}`,
      headers: { 'X-Deliveryline-Kind': 'test', 'X-Deliveryline-List': String(listId), 'X-Deliveryline-Member': m.memberId },
    };
    let r: TestSendResult;
    let messageId: string | null = null;
    try {
      const sent = await mailer.send(mail);
      messageId = sent.messageId;
      r = { memberId: m.memberId, status: 'sent', response: sent.response };
    } catch (err) {
      r = { memberId: m.memberId, status: 'failed', response: (err as Error).message };
    }
    await recordReleaseTest(ctx.pool, {
      listId,
      memberId: m.memberId,
      to: a.to,
      status: r.status,
      response: r.response,
      messageId,
      actor: a.actor,
    });
    results.push(r);
  }
  await audit(ctx.pool, {
    actor: a.actor,
    action: 'list.test_send',
    object: `list:${listId}`,
    details: {
      to: a.to,
      sent: results.filter((r) => r.status === 'sent').length,
      failed: results.filter((r) => r.status === 'failed').length,
    },
  });
  return results;
}
