import { GENERIC, HeaderError, headerZone, mapColumns } from './profile';

describe('mapColumns with the generic profile', () => {
  it('finds Japanese and annotated header names, and keeps the rest as extra with unique keys', () => {
    const c = mapColumns(['No.', 'ＩＰアドレス', '観測日時（JST）', 'Source Port', 'マルウェア名', '備考', '備考', ''], GENERIC);
    expect([c.ip, c.observedAt, c.port, c.malware]).toEqual([1, 2, 3, [4]]);
    expect(c.extra).toEqual([0, 5, 6, 7]);
    expect(c.names.filter((_, i) => c.extra.includes(i))).toEqual(['No.', '備考', '備考_2', 'column_8']);
    expect(c.headerZone).toBe('Asia/Tokyo');
  });

  it('says which column is missing and what it may be called', () => {
    expect(() => mapColumns(['address', 'when'], GENERIC)).toThrow(HeaderError);
    expect(() => mapColumns(['address', 'when'], GENERIC)).toThrow(
      /no IP address column in the header \("address", "when"\); name it one of: ip, ip_address/,
    );
  });

  it.each([
    ['timestamp [UTC]', 'UTC'],
    ['time (+09:00)', '+09:00'],
    ['日時', undefined],
  ])('reads the zone note in %s', (h, z) => {
    expect(headerZone(h)).toBe(z);
  });
});
