import { normalEmail } from './email';

describe('normalEmail', () => {
  it('trims, folds full-width and compatibility forms, and lower-cases', () => {
    expect(normalEmail('  Alice@Example.JP \t')).toBe('alice@example.jp');
    expect(normalEmail('ＡＬＩＣＥ＠ｅｘａｍｐｌｅ．ｊｐ')).toBe('alice@example.jp');
    expect(normalEmail('ﬁle@example.jp')).toBe('file@example.jp');
  });
});
