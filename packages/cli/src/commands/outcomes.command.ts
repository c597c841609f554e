import fs from 'node:fs';
import { Readable } from 'node:stream';
import { decodeTextFile, InputError } from '@deliveryline/ingest';
import type { Command } from 'commander';
import { getBatch, importOutcomesCsv, OutcomeFileError, OUTCOMES, audit } from '@deliveryline/shared';
import { intArg, CliError, print, say } from '../cli-context';
import { withUser } from '../cli-user';

export function register(program: Command) {
  const outcomes = program.command('outcomes').description("members' outcomes per entry");
  outcomes
    .command('import <batch> <file>')
    .description(
      `store a member's outcome report for a batch: CSV entry_id,outcome[,notified_at,channel,note]; outcomes: ${OUTCOMES.join(', ')}`,
    )
    .option('--json', 'machine output: { rows, stored, rejected: [{ row, field, code, message }], batchClosed }')
    .action(async (batchArg: string, file: string, o: { json?: boolean }) => {
      const batchId = intArg('BATCH')(batchArg);
      if (!fs.existsSync(file)) throw new CliError(`${file}: no such file`);
      await withUser('write', async (ctx, user) => {
        const batch = await getBatch(ctx.pool, batchId);
        if (!batch) throw new CliError(`batch ${batchId} does not exist (see: dline batches)`);
        let r;
        try {
          // decoded as the portal does: Shift_JIS from Excel is read right, undecodable bytes refuse the file
          const { text } = await decodeTextFile(fs.readFileSync(file));
          r = await importOutcomesCsv(ctx.pool, {
            batchId,
            memberId: batch.memberId,
            reportedBy: user.actor,
            input: Readable.from([text]),
          });
        } catch (err) {
          if (err instanceof OutcomeFileError || err instanceof InputError) throw new CliError(`${file}: ${err.message} [${err.code}]`);
          throw err;
        }
        await audit(ctx.pool, {
          actor: user.actor,
          action: 'outcome.import',
          object: `batch:${batchId}`,
          details: { file, rows: r.rows, stored: r.stored, rejected: r.rejected.length },
        });
        if (o.json) {
          print(r);
          return;
        }
        for (const x of r.rejected) say(`${file}: row ${x.row}, ${x.field}: ${x.message} [${x.code}]`);
        say(
          `batch ${batchId}: ${r.rows} rows read, ${r.stored} stored, ${r.skipped} skipped (empty outcome), ${r.unchanged} unchanged, ${r.rejected.length} refused${r.batchClosed ? '; every entry now has an outcome: batch closed' : ''}`,
        );
      });
    });
}
