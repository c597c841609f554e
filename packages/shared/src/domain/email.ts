/**
 * The one form of an e-mail address as it is stored and looked up (users, sign-in limits):
 * surrounding white space removed, NFKC (full-width ａ → a, compatibility forms folded) and
 * lower-case. " Alice@Example.JP " and "ａｌｉｃｅ@example.jp" are the same account.
 * Migration 0027 brought the stored addresses to this form.
 */
export function normalEmail(email: string): string {
  return email.trim().normalize('NFKC').toLowerCase();
}
