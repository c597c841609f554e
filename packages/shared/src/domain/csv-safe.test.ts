import fc from 'fast-check';
import { csvCell, csvLine } from './csv-safe';

describe('csvCell', () => {
  it('makes a malicious malware name inert and keeps it readable', () => {
    expect(csvCell('=HYPERLINK("http://x","y")')).toBe(`"'=HYPERLINK(""http://x"",""y"")"`);
    for (const p of ['=', '+', '-', '@', '\t', '\r', '＝', '＋', '－', '＠']) expect(csvCell(`${p}1+1`).replace(/^"/, '')).toMatch(/^'/);
  });

  it('leaves numbers written as numbers and ordinary text alone', () => {
    expect(csvLine([-1, 'gameover', 443], new Set([0, 2]))).toBe('-1,gameover,443\r\n');
    expect(csvLine(['-1'], new Set([0]))).toBe("'-1\r\n"); // text in a numeric column is still text
  });

  it('never lets a text cell start with a formula character, and round-trips through RFC 4180 quoting', () => {
    fc.assert(
      fc.property(fc.string(), (s) => {
        const cell = csvCell(s);
        const unquoted = cell.startsWith('"') ? cell.slice(1, -1).replace(/""/g, '"') : cell;
        expect(/^[=+\-@\t\r＝＋－＠]/.test(unquoted)).toBe(false);
        expect(unquoted === s || unquoted === `'${s}`).toBe(true);
      }),
    );
  });
});
