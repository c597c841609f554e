/** Small helpers for server-rendered SVG charts: no DOM, no browser, strings only. */
export const FONT = `font-family="IPAPGothic, IPAGothic, 'Noto Sans CJK JP', 'Hiragino Sans', Meiryo, sans-serif"`;
/**
 * Text sizes in chart units: a chart is 680 units wide and printed across the A4 page (186 mm,
 * about 703 CSS px), so 11 units are about 8.5 pt on paper — the smallest text still read
 * comfortably in print; labels are 13, titles 15.
 */
export const SMALL = 11;
export const COLORS = ['#1f5fa8', '#2e9e5b', '#d9822b', '#8c4fb3', '#c23b3b'];

export function esc(s: string | number): string {
  return String(s).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

/** Round axis steps (1, 2, 5 × 10^k) so gridlines read easily. */
export function niceTicks(max: number, count = 5): number[] {
  if (!(max > 0)) return [0, 1];
  const raw = max / count;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * mag).find((s) => s >= raw)!;
  const ticks: number[] = [];
  for (let v = 0; v <= max + step * 0.999; v += step) ticks.push(Math.round(v * 1e6) / 1e6);
  return ticks;
}

let seq = 0;
/** An accessible chart frame: role=img, a title and a description screen readers announce. */
export function frame(w: number, h: number, title: string, desc: string, body: string): string {
  const id = `c${++seq}`;
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" width="${w}" height="${h}" viewBox="0 0 ${w} ${h}" role="img" aria-labelledby="${id}t ${id}d" ${FONT} font-size="13">` +
    `<title id="${id}t">${esc(title)}</title><desc id="${id}d">${esc(desc)}</desc>` +
    `<rect width="${w}" height="${h}" fill="#fff"/>` +
    `<text x="12" y="20" font-size="15" font-weight="bold" fill="#222">${esc(title)}</text>` +
    body +
    '</svg>'
  );
}

export function text(x: number, y: number, s: string | number, attrs = ''): string {
  return `<text x="${x.toFixed(1)}" y="${y.toFixed(1)}" ${attrs}>${esc(s)}</text>`;
}

export function legend(x: number, y: number, items: [string, string][]): string {
  let cx = x;
  return items
    .map(([color, name]) => {
      const s = `<rect x="${cx}" y="${y - 9}" width="10" height="10" fill="${color}"/>` + text(cx + 14, y, name, 'fill="#333"');
      cx += 24 + [...name].reduce((w, ch) => w + (ch.charCodeAt(0) > 0xff ? 13 : 7.5), 0);
      return s;
    })
    .join('');
}

export function emptyChart(w: number, h: number, title: string, noData: string): string {
  return frame(w, h, title, noData, text(w / 2, h / 2, noData, 'text-anchor="middle" fill="#777"'));
}
