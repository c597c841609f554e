import fs from 'node:fs';
import path from 'node:path';
import { hasText, pickLang, t } from './i18n';

function sources(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((d) => {
    const p = path.join(dir, d.name);
    if (d.isDirectory()) return sources(p);
    return d.name.endsWith('.ts') && !d.name.endsWith('.test.ts') ? [p] : [];
  });
}

describe('i18n', () => {
  it('has Japanese and English text for every literal key the pages use', () => {
    const missing: string[] = [];
    let seen = 0;
    for (const file of sources(path.join(__dirname, '..'))) {
      for (const m of fs.readFileSync(file, 'utf8').matchAll(/\bt\((?:c\.)?lang, '([\w.]+)'/g)) {
        seen++;
        if (!hasText(m[1])) missing.push(`${path.basename(file)}: ${m[1]}`);
      }
    }
    expect(seen).toBeGreaterThan(80);
    expect(missing).toEqual([]);
  });

  it("picks the cookie first, then the browser's first of ja/en, then Japanese", () => {
    expect(pickLang('en', 'ja,en;q=0.8')).toBe('en');
    expect(pickLang(undefined, 'fr-FR,en-US;q=0.8,ja;q=0.5')).toBe('en');
    expect(pickLang(undefined, 'ja-JP,en;q=0.5')).toBe('ja');
    expect(pickLang(undefined, 'de')).toBe('ja');
  });

  it('fills values into messages', () => {
    expect(t('en', 'error.list.duplicate', { listId: 7 })).toBe('This file was already uploaded as list 7.');
    expect(t('ja', 'batch.result.stored', { n: 3 })).toBe('3 行を記録しました。');
  });
});
