import { z } from 'zod/v4';
import { html, type Safe } from '../web/html';
import { t, type Lang } from '../web/i18n';

/** The query every big table takes: filters by campaign, member, dates, and the page. */
export const Filters = z.object({
  campaign: z.string().max(100).optional(),
  member: z.string().max(100).optional(),
  from: z
    .string()
    .regex(/^\d{4}-\d{2}-\d{2}$/)
    .optional()
    .or(z.literal('')),
  to: z
    .string()
    .regex(/^\d{4}-\d{2}-\d{2}$/)
    .optional()
    .or(z.literal('')),
  page: z.coerce.number().int().min(1).max(1_000_000).optional(),
  size: z.coerce.number().int().optional(),
});
export const ListStates = z.enum([
  'uploaded',
  'parsing',
  'parsed',
  'routing',
  'routed',
  'awaiting_approval',
  'released',
  'returned_sent',
  'refused',
  'failed',
]);
export const BatchStates = z.enum(['ready', 'notified', 'downloaded', 'closed']);

/** Dates are JST days, both ends included. */
export function dateRange(q: { from?: string; to?: string }): { from?: string; to?: string } {
  const day = (d: string | undefined) => (d && /^\d{4}-\d{2}-\d{2}$/.test(d) ? d : undefined);
  const next = (d: string) => new Date(Date.parse(`${d}T00:00:00+09:00`) + 86_400_000).toISOString();
  const from = day(q.from),
    to = day(q.to);
  return { from: from ? `${from}T00:00:00+09:00` : q.from || undefined, to: to ? next(to) : q.to || undefined };
}

export function filterForm(
  lang: Lang,
  path: string,
  q: { from?: string; to?: string; size?: number },
  fields: (Safe | string)[],
  dates = true,
): Safe {
  return html`<form method="get" action="${path}" class="filters card">
    ${fields}
    ${dates ? html`<label>${t(lang, 'filter.from')}<input type="date" name="from" value="${q.from ?? ''}" /></label><label>${t(lang, 'filter.to')}<input type="date" name="to" value="${q.to ?? ''}" /></label>` : ''}
    <label
      >${t(lang, 'paging.size')}<select name="size">
        ${[25, 50, 100, 200].map((n) => html`<option${(q.size ?? 50) === n ? html` selected` : ''}>${n}</option>`)}
      </select></label
    >
    <button>${t(lang, 'common.filter')}</button> <a href="${path}">${t(lang, 'filter.clear')}</a>
  </form>`;
}
