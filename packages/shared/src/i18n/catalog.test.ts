import { OUTCOMES, outcomeLabelKey } from '../domain/outcomes';
import { ASCII_ALLOWED, CATALOG, CATALOG_PARTS, failureText, hasText, t } from './catalog';

describe('the label catalog', () => {
  const entries = Object.entries(CATALOG);

  it('has a Japanese and an English text for every key, with the same placeholders', () => {
    const bad = entries.filter(
      ([, [ja, en]]) =>
        !ja.trim() ||
        !en.trim() ||
        [...ja.matchAll(/\{(\w+)\}/g)]
          .map((m) => m[1])
          .sort()
          .join() !==
          [...en.matchAll(/\{(\w+)\}/g)]
            .map((m) => m[1])
            .sort()
            .join(),
    );
    expect(bad.map(([k]) => k)).toEqual([]);
    expect(entries.length).toBeGreaterThan(300);
  });

  it('keeps each key in one part only', () => {
    const seen = new Map<string, string>();
    const twice: string[] = [];
    for (const [part, obj] of Object.entries(CATALOG_PARTS)) {
      for (const k of Object.keys(obj)) {
        if (seen.has(k)) twice.push(`${k} (${seen.get(k)}, ${part})`);
        seen.set(k, part);
      }
    }
    expect(twice).toEqual([]);
  });

  it('writes no English sentence in a Japanese text (only file columns, units and standards stay ASCII)', () => {
    const english = entries.filter(([, [ja]]) => /[A-Za-z]{2,}(?:[ -][A-Za-z]{2,}){1,}/.test(ja.replace(ASCII_ALLOWED, '')));
    expect(english.map(([k, [ja]]) => `${k}: ${ja}`)).toEqual([]);
  });

  it("uses the glossary: the figures carry the published reports' words", () => {
    expect([
      t('ja', 'fig.received'),
      t('ja', 'fig.delivered'),
      t('ja', 'fig.returned'),
      t('ja', 'fig.rate'),
      t('ja', 'field.member'),
      t('ja', 'fig.notifiedRate'),
    ]).toEqual(['受領数', '送付数', '返却数', '対応率', '協力先', '注意喚起率']);
    for (const [k, [ja]] of entries) {
      expect({ k, bad: /配信|会員|通知率/.test(ja) }).toEqual({ k, bad: false });
    }
    // the batch state is the e-mail to the member; the outcome is the member's notice to its subscriber
    expect(t('ja', 'state.notified')).not.toEqual(t('ja', 'outcome.notified'));
  });

  it('has words for every outcome (a new outcome in domain/outcomes.ts needs its outcome.* words)', () => {
    expect(OUTCOMES.filter((o) => !hasText(outcomeLabelKey(o)))).toEqual([]);
  });

  it("reads a stored failure as its code, the code's text and the original detail", () => {
    expect(failureText('ja', 'file.bad_zip: the zip file is damaged')).toEqual({
      code: 'file.bad_zip',
      text: t('ja', 'code.file.bad_zip'),
      detail: 'the zip file is damaged',
    });
    expect(failureText('en', 'routing failed: boom').code).toBe('routing');
    expect(failureText('ja', 'something else').code).toBe('unknown');
  });
});
