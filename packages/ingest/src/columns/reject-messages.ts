import type { TokenizedRecord } from '../read/csv-tokenizer';

/** Messages for records that could not be read as CSV at all (codes are stable). */
export function brokenMessage(code: NonNullable<TokenizedRecord['broken']>): string {
  switch (code) {
    case 'csv.unclosed_quote':
      return 'a field opens a quote (") that is never closed; close it or remove the quote (the next rows were read on)';
    case 'csv.record_too_large':
      return 'the record is longer than 1 MiB (an unclosed quote or a pasted blob?); only its start is kept here';
  }
}
