import { z } from 'zod/v4';
import {
  changedHands,
  expiredWithArrivals,
  membersWithoutContacts,
  membersWithoutPrefixes,
  nestedAcrossMembers,
} from '@deliveryline/shared';
import { importMembers, importPrefixes, ImportError } from '@deliveryline/router';
import { readUpload } from '../services/upload';
import { html, csrfField, data, fmtDate, fmtNum, table } from '../web/html';
import { codeText, t, type Lang } from '../web/i18n';
import { route, type PortalRoute } from '../web/route-table';
import { render } from './render';

/** The import form: members or prefixes CSV, with a dry run that shows every change first. */
export const importForm = (lang: Lang, csrf: ReturnType<typeof csrfField>) =>
  html`<p><a href="/members/check">${t(lang, 'members.check')}</a></p>
    <h2>${t(lang, 'import.title')}</h2>
    <form method="post" action="/members/import" enctype="multipart/form-data" class="stack card">
      ${csrf}
      <label
        >${t(lang, 'registry.kind')}<select name="kind">
          <option value="prefixes">${t(lang, 'import.kind.prefixes')}</option>
          <option value="members">${t(lang, 'import.kind.members')}</option>
        </select></label
      >
      <label>${t(lang, 'field.file')}<input type="file" name="file" accept=".csv,text/csv" required /></label>
      <label><input type="checkbox" name="dryRun" value="1" checked /> ${t(lang, 'import.dryRun')}</label>
      <button>${t(lang, 'import.submit')}</button>
    </form>`;

export const registryImportPages: PortalRoute[] = [
  route({
    method: 'GET',
    url: '/members/check',
    kind: 'page',
    roles: ['coordinator'],
    summary:
      "the registry's data-quality report: nested prefixes across members, changes of hands, members without contacts or prefixes, expired prefixes with lists still arriving",
    query: z.object({ expired: z.enum(['0', '1']).optional() }),
    handler: async (c) => {
      const { ctx, lang, query } = c;
      // The registry-only findings come at once; arrivals after expiry search every stored entry, so they are asked for.
      const [nested, changed, noContacts, noPrefixes, expired] = await Promise.all([
        nestedAcrossMembers(ctx.pool),
        changedHands(ctx.pool),
        membersWithoutContacts(ctx.pool),
        membersWithoutPrefixes(ctx.pool),
        query.expired === '1' ? expiredWithArrivals(ctx.pool) : null,
      ]);
      const r = {
        nested,
        changedHands: changed,
        membersWithoutContacts: noContacts,
        membersWithoutPrefixes: noPrefixes,
        expiredWithArrivals: expired ?? [],
      };
      const when = (d: Date | null) => (d ? fmtDate(d, lang) : '…');
      const code = (v: string) => html`<code translate="no">${v}</code>`;
      const section = (key: string, id: string, head: string[], rows: unknown[][]) =>
        html`<h2>${t(lang, `check.${key}`)} (${fmtNum(rows.length)})</h2>
          ${rows.length > 500 ? html`<p class="muted">${t(lang, 'list.shown', { n: '500', total: fmtNum(rows.length) })}</p>` : ''}${table(head, rows.slice(0, 500), '', id)}`;
      return render(
        c,
        t(lang, 'members.check'),
        html`<p class="muted">${t(lang, 'check.help')}</p>
          ${section(
            'nested',
            'check-nested',
            [t(lang, 'check.inner'), t(lang, 'field.member'), t(lang, 'check.outer'), t(lang, 'field.member')],
            r.nested.map((n) => [code(n.inner_cidr), data(n.inner_member), code(n.outer_cidr), data(n.outer_member)]),
          )}
          ${section(
            'changedHands',
            'check-hands',
            [t(lang, 'registry.cidr'), t(lang, 'check.holders')],
            r.changedHands.map((h) => [
              code(h.cidr),
              html`${h.holders.map((x) => html`${data(x.member_id)} ${when(x.valid_from)}〜${when(x.valid_to)}<br />`)}`,
            ]),
          )}
          ${section(
            'noContacts',
            'check-contacts',
            [t(lang, 'field.memberId')],
            r.membersWithoutContacts.map((m) => [html`<a href="/members/${encodeURIComponent(m)}">${data(m)}</a>`]),
          )}
          ${section(
            'noPrefixes',
            'check-prefixes',
            [t(lang, 'field.memberId')],
            r.membersWithoutPrefixes.map((m) => [html`<a href="/members/${encodeURIComponent(m)}">${data(m)}</a>`]),
          )}
          ${
            expired === null
              ? html`<h2>${t(lang, 'check.expired')}</h2>
                  <p>
                    <a class="button secondary" href="/members/check?expired=1" id="check-expired-run">${t(lang, 'check.expired.run')}</a>
                  </p>`
              : section(
                  'expired',
                  'check-expired',
                  [
                    t(lang, 'registry.cidr'),
                    t(lang, 'field.member'),
                    t(lang, 'registry.validTo'),
                    t(lang, 'fig.entries'),
                    t(lang, 'check.lists'),
                    t(lang, 'check.lastObserved'),
                  ],
                  r.expiredWithArrivals.map((g) => [
                    code(g.cidr),
                    data(g.member_id),
                    fmtDate(g.valid_to, lang),
                    fmtNum(g.entries),
                    fmtNum(g.lists),
                    fmtDate(g.last_observed, lang),
                  ]),
                )
          }
          <p><a href="/members">${t(lang, 'members.back')}</a></p>`,
      );
    },
  }),
  route({
    method: 'POST',
    url: '/members/import',
    kind: 'page',
    roles: ['coordinator'],
    multipart: true,
    summary: 'import members or prefixes from a CSV, with a dry run (audited when written)',
    handler: async (c) => {
      const { ctx, caller, lang, req } = c;
      const up = await readUpload(req, caller);
      try {
        const dryRun = up.fields.dryRun === '1';
        const kind = up.fields.kind === 'members' ? 'members' : 'prefixes';
        let lines: string[];
        let summary: string;
        if (kind === 'members') {
          const r = await importMembers(ctx.pool, up.path, { actor: caller.actor, dryRun });
          lines = r.changes;
          summary = t(lang, 'import.members.summary', { added: r.inserted, updated: r.updated, unchanged: r.unchanged });
        } else {
          const r = await importPrefixes(ctx.pool, up.path, { actor: caller.actor, dryRun });
          lines = r.lines;
          summary = t(lang, 'import.prefixes.summary', { added: r.added, closed: r.closed, unchanged: r.unchanged });
        }
        const head = dryRun ? t(lang, 'import.dryRun.done') : t(lang, 'import.done');
        return render(
          c,
          head,
          html`<div class="card">
              <p><b>${summary}</b></p>
              ${
                lines.length
                  ? html`<ul>
                        ${lines.slice(0, 500).map((l) => html`<li><code translate="no">${l}</code></li>`)}
                      </ul>
                      ${lines.length > 500 ? html`<p>… ${lines.length - 500}</p>` : ''}`
                  : ''
              }
              <p><a href="/members">${t(lang, 'members.back')}</a></p>
            </div>
            ${importForm(lang, csrfField(caller))}`,
          { flash: { kind: 'ok', text: head } },
        );
      } catch (err) {
        if (!(err instanceof ImportError)) throw err;
        return render(
          c,
          t(lang, 'import.failed'),
          html`<div class="card">
              <p>${t(lang, 'import.failed.rows', { n: err.errors.length })}</p>
              ${table(
                [t(lang, 'list.line'), t(lang, 'import.field'), t(lang, 'batch.result.problem')],
                err.errors
                  .slice(0, 200)
                  .map((e) => [
                    e.line,
                    html`<code translate="no">${e.field}</code>`,
                    lang === 'en' || !e.code
                      ? html`<span translate="no">${e.message}</span>`
                      : html`${codeText(lang, e.code) ?? ''} <code translate="no">${e.code}</code>
                          <span class="muted" translate="no">${e.message}</span>`,
                  ]),
              )}
            </div>
            ${importForm(lang, csrfField(caller))}`,
          { status: 400, flash: { kind: 'error', text: t(lang, 'import.failed') } },
        );
      } finally {
        await up.cleanup();
      }
    },
  }),
];
