import { importMembers, importPrefixes, ImportError, checkRegistry, formatCheck } from '@deliveryline/router';
import { readUpload } from '../services/upload';
import { html, csrfField, table } from '../web/html';
import type { Lang } from '../web/i18n';
import { route, type PortalRoute } from '../web/route-table';
import { render } from './render';

const L = (lang: Lang, ja: string, en: string) => (lang === 'ja' ? ja : en);

/** The import form: members or prefixes CSV, with a dry run that shows every change first. */
export const importForm = (lang: Lang, csrf: ReturnType<typeof csrfField>) => html`<p><a href="/members/check">${L(lang, '登録情報の点検（データ品質）', 'Registry check (data quality)')}</a></p>
<h2>${L(lang, 'CSV から取り込む', 'Import from CSV')}</h2>
<form method="post" action="/members/import" enctype="multipart/form-data" class="stack card">${csrf}
<label>${L(lang, '種類', 'Kind')}<select name="kind"><option value="prefixes">${L(lang, 'プレフィックス（member_id,cidr,valid_from,valid_to）', 'Prefixes (member_id,cidr,valid_from,valid_to)')}</option>
<option value="members">${L(lang, '会員（member_id,name,contact_email,…）', 'Members (member_id,name,contact_email,…)')}</option></select></label>
<label>${L(lang, 'ファイル', 'File')}<input type="file" name="file" accept=".csv,text/csv" required></label>
<label><input type="checkbox" name="dryRun" value="1" checked> ${L(lang, '試行のみ（変更内容を表示し、何も書き込まない）', 'Dry run (show what would change, write nothing)')}</label>
<button>${L(lang, '取り込む', 'Import')}</button></form>`;

export const registryImportPages: PortalRoute[] = [
  route({
    method: 'GET', url: '/members/check', kind: 'page', roles: ['coordinator'],
    summary: "the registry's data-quality report: nested prefixes across members, changes of hands, members without contacts or prefixes, expired prefixes with lists still arriving",
    handler: async (c) => {
      const { ctx, lang } = c;
      const report = formatCheck(await checkRegistry(ctx.pool));
      return render(c, L(lang, '登録情報の点検', 'Registry check'), html`<div class="card"><pre class="check">${report}</pre>
<p><a href="/members">${L(lang, '会員とプレフィックスへ戻る', 'Back to members & prefixes')}</a></p></div>`);
    },
  }),
  route({
    method: 'POST', url: '/members/import', kind: 'page', roles: ['coordinator'], multipart: true,
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
          summary = L(lang, `追加 ${r.inserted}、更新 ${r.updated}、変更なし ${r.unchanged}`, `${r.inserted} added, ${r.updated} updated, ${r.unchanged} unchanged`);
        } else {
          const r = await importPrefixes(ctx.pool, up.path, { actor: caller.actor, dryRun });
          lines = r.lines;
          summary = L(lang, `追加 ${r.added}、終了 ${r.closed}、変更なし ${r.unchanged}`, `${r.added} added, ${r.closed} closed, ${r.unchanged} unchanged`);
        }
        const head = dryRun ? L(lang, '試行の結果（まだ何も書き込まれていません）', 'Dry run: nothing was written yet') : L(lang, '取り込みました', 'Imported');
        return render(c, head, html`<div class="card"><p><b>${summary}</b></p>
${lines.length ? html`<ul>${lines.slice(0, 500).map((l) => html`<li><code>${l}</code></li>`)}</ul>${lines.length > 500 ? html`<p>… ${lines.length - 500}</p>` : ''}` : ''}
<p><a href="/members">${L(lang, '会員とプレフィックスへ戻る', 'Back to members & prefixes')}</a></p></div>${importForm(lang, csrfField(caller))}`,
        { flash: { kind: 'ok', text: head } });
      } catch (err) {
        if (!(err instanceof ImportError)) throw err;
        return render(c, L(lang, '取り込めませんでした', 'Nothing was imported'), html`<div class="card">
<p>${L(lang, `${err.errors.length} 行に問題があるため、何も取り込んでいません。`, `${err.errors.length} row(s) have problems, so nothing was imported.`)}</p>
${table([L(lang, '行', 'Line'), L(lang, '項目', 'Field'), L(lang, '内容', 'Problem')], err.errors.slice(0, 200).map((e) => [e.line, e.field, e.message]))}</div>
${importForm(lang, csrfField(caller))}`, { status: 400, flash: { kind: 'error', text: L(lang, '取り込めませんでした', 'Nothing was imported') } });
      } finally {
        await up.cleanup();
      }
    },
  }),
];
