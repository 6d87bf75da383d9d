// Settings → Integrations through the router on a real database: SNS settings saved whole, refused by field path,
// audited when they change; refusals recorded once an hour and listed for admins.
import { describe, expect, it } from "vitest";
import { systemActor } from "@/server/services/audit/audit-log";
import { recordRefusal } from "@/server/services/intake/intake-refusals";
import { readSnsSettings, saveSnsSettings, SNS_SETTING } from "@/server/services/intake/sns-settings";
import { callerFor, makeUser, testDb, uniqueSlug } from "../helpers";

const db = testDb();
const T = new Date("2026-05-01T12:00:00Z");

describe("SNS settings", () => {
  it("saves the topics and the alarm table, audits a change once, and refuses bad fields by path", async () => {
    const admin = await callerFor(db, (await makeUser(db, "ADMIN")).id, { now: () => T });
    const input = {
      allowedTopicArns: ["arn:aws:sns:us-east-1:123456789012:rewind-alarms"],
      alarmTargets: [{ alarmName: "LLM errors", target: "chat-completions", level: "emergency" as const }],
    };
    expect(await admin.integrations.saveSns(input)).toEqual(input);
    await admin.integrations.saveSns(input);
    expect(await db.auditEvent.count({ where: { action: "integration.sns_settings_changed" } })).toBe(1);
    expect((await admin.integrations.settings()).sns).toEqual(input);

    await expect(
      saveSnsSettings(
        db,
        {
          actor: systemActor,
          allowedTopicArns: ["arn:aws:sqs:us-east-1:123456789012:q"],
          alarmTargets: [{ alarmName: "x", target: "Bad Slug" }],
        },
        T,
      ),
    ).rejects.toMatchObject({
      code: "VALIDATION",
      details: {
        issues: {
          "allowedTopicArns.0": expect.stringMatching(/SNS topic ARN/) as string,
          "alarmTargets.0.target": expect.any(String) as string,
        },
      },
    });
    expect(await readSnsSettings(db)).toEqual(input);
    await db.setting.update({ where: { key: SNS_SETTING }, data: { value: "{not json" } });
    expect(await readSnsSettings(db)).toEqual({ allowedTopicArns: [], alarmTargets: [] });
    await db.setting.delete({ where: { key: SNS_SETTING } });
  });

  it("records a refusal at most once an hour and lists it", async () => {
    const admin = await callerFor(db, (await makeUser(db, "ADMIN")).id, { now: () => T });
    const slug = uniqueSlug("missing");
    const refusal = {
      action: "integration.alert_target_unknown" as const,
      entityType: "AlertTarget",
      entityId: slug,
      reason: `1 alert labelled rewind_target=${slug}: no such target`,
    };
    await recordRefusal(db, refusal, T);
    await recordRefusal(db, refusal, new Date(T.getTime() + 59 * 60_000));
    await recordRefusal(db, refusal, new Date(T.getTime() + 61 * 60_000));
    expect(await db.auditEvent.count({ where: { action: refusal.action, entityId: slug } })).toBe(2);
    const { refusals } = await admin.integrations.settings();
    expect(refusals.filter((listed) => listed.entityId === slug)).toHaveLength(2);
    expect(refusals[0]).toMatchObject({ what: "Alertmanager alert naming an unknown target" });
  });
});
