import { checkPasswordLength } from './users';

/** ASVS 2.1.1 and 2.1.2, counted in characters as people type them, not in UTF-16 units or bytes. */
describe('password length', () => {
  const ok = (pw: string) => expect(() => checkPasswordLength(pw)).not.toThrow();
  const refused = (pw: string, code: string) => expect(() => checkPasswordLength(pw)).toThrow(expect.objectContaining({ code }));

  it('takes 12 to 128 characters, Japanese and emoji counted as one each', () => {
    ok('a'.repeat(12));
    ok('a'.repeat(128));
    ok('あ'.repeat(128));
    ok('😀'.repeat(128)); // 256 UTF-16 units, 512 bytes
    ok('パスワードは長いほうがよい');
  });

  it('refuses fewer than 12 and more than 128', () => {
    refused('a'.repeat(11), 'password.short');
    refused('😀'.repeat(11), 'password.short');
    refused('a'.repeat(129), 'password.long');
    refused('あ'.repeat(129), 'password.long');
  });
});
