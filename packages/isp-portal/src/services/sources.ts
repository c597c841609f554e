import { listSources, type AppContext, type SourceRow } from '@deliveryline/shared';
import { setSourceSettings, SourceSettingsError } from '@deliveryline/ingest';
import type { Caller } from '../auth/caller';
import { HttpError } from '../web/errors';

export const sourceJson = (s: SourceRow) => ({
  id: s.id,
  name: s.name,
  kind: s.kind,
  timezone: s.default_timezone,
  profile: s.default_profile,
  anonymous: s.anonymous,
  lists: s.lists,
  lastEncoding: s.last_encoding,
});

/** A coordinator changes a source's defaults (portal form and API); a bad zone or profile is a 400 with the reason. */
export async function changeSource(ctx: AppContext, caller: Caller, id: string, patch: Record<string, unknown>): Promise<SourceRow> {
  try {
    await setSourceSettings(ctx, id, patch, caller.actor);
  } catch (e) {
    if (e instanceof SourceSettingsError) throw new HttpError(400, e.code, { detail: e.message });
    throw e;
  }
  return (await listSources(ctx.pool)).find((s) => s.id === id)!;
}

/** Time zones offered in forms: JST first (what Japanese offices write), then UTC (Shadowserver, most CERT feeds). */
export const ZONE_CHOICES = ['Asia/Tokyo', 'UTC'] as const;
