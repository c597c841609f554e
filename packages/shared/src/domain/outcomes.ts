/**
 * Every outcome a member can report for an entry, in the order pages and tables show them. This
 * list is the one place an outcome is named: the upload's validation, the figures' per-outcome
 * columns (report.repository, the reports package's member.repository) and the label lookups
 * (`outcome.<value>` in the catalog) come from it. A new outcome is one line here, a migration
 * that lets `outcomes.outcome` take it (its CHECK) and its words in i18n/codes.ts (the catalog
 * test asks for them).
 */
export const OUTCOMES = ['notified', 'not_identified', 'not_our_address', 'duplicate', 'declined'] as const;
export type OutcomeValue = (typeof OUTCOMES)[number];

type Camel<S extends string> = S extends `${infer H}_${infer T}` ? `${H}${Capitalize<Camel<T>>}` : S;

/** An outcome's name among the figures: `not_identified` → `notIdentified`. */
export type OutcomeFigureKey = Camel<OutcomeValue>;

/** Entries per outcome (each entry counted under its latest outcome). */
export type OutcomeFigures = Record<OutcomeFigureKey, number>;

export function outcomeFigureKey<O extends OutcomeValue>(o: O): Camel<O> {
  return o.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase()) as Camel<O>;
}

/** The figure keys in OUTCOMES' order, each with its outcome. */
export const OUTCOME_FIGURES: readonly { outcome: OutcomeValue; key: OutcomeFigureKey }[] = OUTCOMES.map((outcome) => ({
  outcome,
  key: outcomeFigureKey(outcome),
}));

/** The catalog key of an outcome's words. */
export const outcomeLabelKey = (o: OutcomeValue): `outcome.${OutcomeValue}` => `outcome.${o}`;

/** Every figure key zero: the start of a sum. */
export const zeroOutcomeFigures = (): OutcomeFigures => Object.fromEntries(OUTCOME_FIGURES.map((f) => [f.key, 0])) as OutcomeFigures;
