// The SNS integration's settings, kept as one `Setting` row (JSON): the topic ARNs whose subscriptions Rewind
// confirms, and the explicit CloudWatch alarm → target table. Saved by admins, audited as
// `integration.sns_settings_changed` with what changed.
import "server-only";
import { log } from "../platform/log";
import type { Db, Tx } from "../../db";
import { emptySnsSettings, snsSettingsSchema, type SnsSettings } from "../../domain/intake/sns";
import { actorIdOf, appendAudit, type WithActor } from "../audit/audit-log";
import { parseInput } from "../platform/validation";
import { retryOnConflict } from "../platform/retry";
import type { ApiKeyDto } from "../access/api-keys";
import { listRefusals } from "./intake-refusals";
import { assertKeyForAllTargets } from "./target-rules";

export const SNS_SETTING = "integrations.sns";

/** The saved settings; none saved (or a row this version cannot read) reads as empty: no topic is allowed. */
export async function readSnsSettings(db: Db | Tx): Promise<SnsSettings> {
  const row = await db.setting.findUnique({ where: { key: SNS_SETTING }, select: { value: true } });
  if (!row) return emptySnsSettings;
  try {
    const parsed = snsSettingsSchema.safeParse(JSON.parse(row.value));
    if (parsed.success) return parsed.data;
  } catch {
    // Not JSON: read as empty, as below.
  }
  log.error("sns.settings_unreadable", {
    setting: SNS_SETTING,
    consequence: "no topic is allowed until an admin saves the settings again",
  });
  return emptySnsSettings;
}

/** Replaces the settings (the whole form is sent); a save that changes nothing records nothing. */
export async function saveSnsSettings(
  db: Db,
  { actor, ...input }: WithActor<{ allowedTopicArns: unknown; alarmTargets: unknown }>,
  now: Date,
): Promise<SnsSettings> {
  const settings = parseInput(snsSettingsSchema, input);
  return retryOnConflict(() =>
    db.$transaction(async (tx) => {
      const before = await readSnsSettings(tx);
      if (JSON.stringify(before) === JSON.stringify(settings)) return settings;
      const value = JSON.stringify(settings);
      await tx.setting.upsert({
        where: { key: SNS_SETTING },
        create: { key: SNS_SETTING, value, updatedById: actorIdOf(actor) },
        update: { value, updatedById: actorIdOf(actor) },
      });
      await appendAudit(
        tx,
        {
          actor,
          action: "integration.sns_settings_changed",
          entityType: "Setting",
          entityId: SNS_SETTING,
          before,
          after: settings,
        },
        now,
      );
      return settings;
    }),
  );
}

/** Alarms speak for any target: only a key for every target reads or replaces the settings as code. */
const SPAN = "the SNS settings route alarms to any target";

/** Config as code (GET /api/v1/intake/sns): the saved settings, for a key for all targets. */
export function readSnsSettingsAsCode(db: Db, key: Pick<ApiKeyDto, "prefix" | "targetSlugs">): Promise<SnsSettings> {
  assertKeyForAllTargets(key, SPAN);
  return readSnsSettings(db);
}

/** Config as code (PUT /api/v1/intake/sns): replaces the settings with the body's, for a key for all targets. */
export function replaceSnsSettingsAsCode(
  db: Db,
  { key, body, actor }: WithActor<{ key: Pick<ApiKeyDto, "prefix" | "targetSlugs">; body: unknown }>,
  now: Date,
): Promise<SnsSettings> {
  assertKeyForAllTargets(key, SPAN);
  const fields = (body ?? {}) as { allowedTopicArns?: unknown; alarmTargets?: unknown };
  return saveSnsSettings(
    db,
    { actor, allowedTopicArns: fields.allowedTopicArns, alarmTargets: fields.alarmTargets },
    now,
  );
}

/** What the Integrations page shows: the settings and what senders sent that Rewind refused lately. */
export async function integrationSettings(db: Db) {
  const [sns, refusals] = await Promise.all([readSnsSettings(db), listRefusals(db)]);
  return { sns, refusals };
}
