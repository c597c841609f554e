import { formatRate, rate, checkCounts } from './figures';

describe('figures', () => {
  it('shows the published handling rates to one decimal from exact counts', () => {
    expect(
      [
        [839, 1320],
        [13028, 19482],
        [31725, 46718],
        [58647, 88001],
        [104239, 155521],
        [33196, 43565],
      ].map(([d, r]) => formatRate(d, r)),
    ).toEqual(['63.6%', '66.9%', '67.9%', '66.6%', '67.0%', '76.2%']);
  });
  it('rounds half up on the exact ratio', () => {
    expect(formatRate(1, 8)).toBe('12.5%');
    expect(formatRate(1, 16)).toBe('6.3%');
    expect(formatRate(2, 3)).toBe('66.7%');
    expect(formatRate(0, 0)).toBe('–');
  });
  it('has no rate for an empty list', () => expect(rate(0, 0)).toBeNull());
  it('names the invariant a list breaks', () => {
    expect(checkCounts({ rowsRead: 10, rejected: 1, duplicates: 1, received: 8, delivered: 5, returned: 3 })).toEqual([]);
    expect(checkCounts({ rowsRead: 10, rejected: 1, duplicates: 1, received: 8, delivered: 5, returned: 2 })).toEqual([
      'received = delivered + returned',
    ]);
  });
});
