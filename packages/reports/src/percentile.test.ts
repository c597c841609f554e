import { spread, weightedPercentiles } from './percentile';
import { niceTicks, esc } from './svg';

describe('nearest-rank percentiles', () => {
  it('weights values and takes the smallest value reaching p of the weight', () => {
    // 0 h ×2, 10 h ×2, 20 h ×1: half the weight (2.5) is reached at 10 h, 90 % (4.5) at 20 h
    expect(
      weightedPercentiles(
        [
          { v: 20, w: 1 },
          { v: 0, w: 2 },
          { v: 10, w: 2 },
        ],
        [0.5, 0.9],
      ),
    ).toEqual([10, 20]);
    expect(weightedPercentiles([], [0.5])).toEqual([null]);
    expect(weightedPercentiles([{ v: 3, w: 0 }], [0.5])).toEqual([null]);
  });

  it('gives quartiles of plain values, ignoring unknowns', () => {
    expect(spread([5, null, 1, 3, 2, 4])).toEqual({ n: 5, q1: 2, median: 3, q3: 4 });
    expect(spread([null])).toEqual({ n: 0, q1: null, median: null, q3: null });
  });
});

describe('svg helpers', () => {
  it('picks round axis steps that cover the maximum', () => {
    expect(niceTicks(88001)).toEqual([0, 20000, 40000, 60000, 80000, 100000]);
    expect(niceTicks(0)).toEqual([0, 1]);
  });

  it('escapes text for SVG', () => {
    expect(esc(`<a href="x">'&'</a>`)).toBe('&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;');
  });
});
