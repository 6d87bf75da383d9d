// Target mapping rules on the real database (SQLite, or PostgreSQL with TEST_DATABASE=postgresql): admins add, edit
// and delete them through the router (field errors, audit), config as code replaces them whole (by path, all or
// nothing, a no-op when unchanged), and OTLP spans and metric points that name no target land on their rule's target,
// after `rewind.target` and before X-Rewind-Target, within the key's targets.
import { randomBytes } from "node:crypto";
import { TRPCError } from "@trpc/server";
import { afterEach, describe, expect, it } from "vitest";
import { intakeAdapters } from "@/server/services/intake/adapters";
import { receiveIntake } from "@/server/services/intake/receive";
import { listTargetRules, replaceTargetRules } from "@/server/services/intake/target-rules";
import { apiKeyActor } from "@/server/services/access/api-keys";
import { callerFor, makeTarget, makeUser, testDb } from "../helpers";

const db = testDb();
const T = new Date("2026-05-01T12:00:00Z");
const NS = 1_000_000n;
const fullKey = { id: "key-all", prefix: "rwd_all", targetSlugs: null };

// Rules are global: each test leaves none behind, so other files' traffic is routed as they expect.
afterEach(async () => {
  await db.intakeTargetRule.deleteMany({});
});

const unique = (prefix: string) => `${prefix}-${randomBytes(4).toString("hex")}`;
/** Asymmetric matchers typed as the values they stand for (they are `any`). */
const containing = (fields: Record<string, unknown>) => expect.objectContaining(fields) as Record<string, unknown>;
const matching = (pattern: RegExp) => expect.stringMatching(pattern) as string;

describe("rules in Settings → Integrations", () => {
  it("adds, lists most specific first, edits and deletes, audited; refuses bad fields by path", async () => {
    const admin = await callerFor(db, (await makeUser(db, "ADMIN")).id, { now: () => T });
    const [chat, mini] = [await makeTarget(db), await makeTarget(db)];
    const service = unique("chat-api");

    const broad = await admin.integrations.createTargetRule({ serviceName: service, target: chat.slug });
    const narrow = await admin.integrations.createTargetRule({
      serviceName: service,
      model: "gpt-4o-mini",
      target: mini.slug,
    });
    expect(broad).toMatchObject({ serviceName: service, operationName: "", model: "", target: chat.slug });
    expect((await admin.integrations.targetRules()).map((rule) => rule.id)).toEqual([narrow.id, broad.id]);

    await expect(
      admin.integrations.createTargetRule({ serviceName: service, target: mini.slug }),
    ).rejects.toMatchObject({ cause: { details: { issues: { serviceName: matching(/exists already/) } } } });
    await expect(
      admin.integrations.createTargetRule({ serviceName: unique("x"), target: "no-such-target" }),
    ).rejects.toMatchObject({ cause: { details: { issues: { target: "No such target: no-such-target" } } } });
    await expect(admin.integrations.createTargetRule({ serviceName: "*", target: chat.slug })).rejects.toBeInstanceOf(
      TRPCError,
    );

    const edited = await admin.integrations.updateTargetRule({
      id: broad.id,
      serviceName: service,
      operationName: "chat",
      target: mini.slug,
    });
    expect(edited).toMatchObject({ operationName: "chat", target: mini.slug });
    // Saving it again as it is records nothing.
    await admin.integrations.updateTargetRule({
      id: broad.id,
      serviceName: service,
      operationName: "chat",
      target: mini.slug,
    });
    await admin.integrations.deleteTargetRule({ id: narrow.id });
    await expect(admin.integrations.deleteTargetRule({ id: narrow.id })).rejects.toMatchObject({ code: "NOT_FOUND" });

    const events = await db.auditEvent.findMany({
      where: { entityType: "IntakeTargetRule", entityId: { in: [broad.id, narrow.id] } },
      orderBy: { sequence: "asc" },
      select: { action: true, targetId: true, before: true, after: true },
    });
    expect(events).toEqual([
      {
        action: "integration.target_rule_created",
        targetId: chat.id,
        before: null,
        after: containing({ target: chat.slug }),
      },
      {
        action: "integration.target_rule_created",
        targetId: mini.id,
        before: null,
        after: containing({ model: "gpt-4o-mini" }),
      },
      {
        action: "integration.target_rule_updated",
        targetId: mini.id,
        before: containing({ operationName: "", target: chat.slug }),
        after: containing({ operationName: "chat", target: mini.slug }),
      },
      {
        action: "integration.target_rule_deleted",
        targetId: mini.id,
        before: containing({ model: "gpt-4o-mini" }),
        after: null,
      },
    ]);
  });

  it("is for admins only", async () => {
    const operator = await callerFor(db, (await makeUser(db, "OPERATOR")).id, { now: () => T });
    await expect(operator.integrations.targetRules()).rejects.toMatchObject({ code: "FORBIDDEN" });
    await expect(operator.integrations.createTargetRule({ serviceName: "x", target: "y" })).rejects.toMatchObject({
      code: "FORBIDDEN",
    });
  });
});

describe("rules as code (replace-all)", () => {
  it("replaces the set, keeps unchanged rules, records one event, and does nothing when applied again", async () => {
    const [a, b] = [await makeTarget(db), await makeTarget(db)];
    const actor = apiKeyActor(fullKey);
    const service = unique("svc");
    const first = await replaceTargetRules(
      db,
      {
        actor,
        key: fullKey,
        body: {
          rules: [
            { serviceName: service, target: a.slug },
            { serviceName: `${service}-old`, target: a.slug },
          ],
        },
      },
      T,
    );
    expect(first.changed).toBe(true);
    const kept = first.rules.find((rule) => rule.serviceName === service);

    const body = {
      rules: [
        { serviceName: service, target: a.slug },
        { serviceName: service, model: "gpt-*", target: b.slug },
      ],
    };
    const second = await replaceTargetRules(db, { actor, key: fullKey, body }, T);
    expect(second.changed).toBe(true);
    expect(second.rules.map((rule) => [rule.serviceName, rule.model, rule.target])).toEqual([
      [service, "gpt-*", b.slug],
      [service, "", a.slug],
    ]);
    expect(second.rules.find((rule) => rule.model === "")?.id).toBe(kept?.id);

    const again = await replaceTargetRules(db, { actor, key: fullKey, body }, T);
    expect(again).toMatchObject({ changed: false });
    const events = await db.auditEvent.findMany({
      where: { action: "integration.target_rules_replaced", actorId: fullKey.id },
      orderBy: { sequence: "asc" },
      select: { before: true, after: true },
    });
    expect(events).toHaveLength(2);
    expect(events[1]?.after).toEqual(
      second.rules.map(({ serviceName, operationName, model, target }) => ({
        serviceName,
        operationName,
        model,
        target,
      })),
    );
  });

  it("refuses a bad set by path and writes nothing; a key limited to some targets may not replace them", async () => {
    const target = await makeTarget(db);
    const actor = apiKeyActor(fullKey);
    const service = unique("svc");
    await replaceTargetRules(
      db,
      { actor, key: fullKey, body: { rules: [{ serviceName: service, target: target.slug }] } },
      T,
    );
    const before = await listTargetRules(db);

    await expect(
      replaceTargetRules(
        db,
        {
          actor,
          key: fullKey,
          body: {
            rules: [
              { serviceName: "x", target: target.slug },
              { serviceName: "y", target: "missing-one" },
            ],
          },
        },
        T,
      ),
    ).rejects.toMatchObject({
      code: "VALIDATION",
      details: { issues: { "rules.1.target": "No such target: missing-one" } },
    });
    await expect(
      replaceTargetRules(db, { actor, key: fullKey, body: { rules: [{ serviceName: "", target: target.slug }] } }, T),
    ).rejects.toMatchObject({ details: { issues: { "rules.0.serviceName": "service.name is required" } } });
    await expect(replaceTargetRules(db, { actor, key: fullKey, body: { rules: "all" } }, T)).rejects.toMatchObject({
      details: { issues: { rules: expect.any(String) as string } },
    });
    await expect(
      replaceTargetRules(db, { actor, key: { ...fullKey, targetSlugs: [target.slug] }, body: { rules: [] } }, T),
    ).rejects.toMatchObject({ code: "FORBIDDEN" });
    expect(await listTargetRules(db)).toEqual(before);
    expect(await listTargetRules(db, { targetSlugs: ["some-other-target"] })).toEqual([]);
  });
});

describe("rules applied to OTLP intake", () => {
  const options = { now: T, bucketWidthMs: 10_000, retentionMs: 30 * 86_400_000 };
  const endNs = BigInt(T.getTime() - 5_000) * NS;
  const attribute = (key: string, value: string) => ({ key, value: { stringValue: value } });

  function spans(service: string, calls: { model: string; target?: string }[]) {
    return {
      resourceSpans: [
        {
          resource: { attributes: [attribute("service.name", service)] },
          scopeSpans: [
            {
              spans: calls.map(({ model, target }) => ({
                startTimeUnixNano: String(endNs - 800n * NS),
                endTimeUnixNano: String(endNs),
                attributes: [
                  attribute("gen_ai.operation.name", "chat"),
                  attribute("gen_ai.request.model", model),
                  ...(target ? [attribute("rewind.target", target)] : []),
                ],
              })),
            },
          ],
        },
      ],
    };
  }

  function points(service: string, model: string) {
    return {
      resourceMetrics: [
        {
          resource: { attributes: [attribute("service.name", service)] },
          scopeMetrics: [
            {
              metrics: [
                {
                  name: "gen_ai.client.operation.duration",
                  unit: "s",
                  histogram: {
                    aggregationTemporality: 1,
                    dataPoints: [
                      {
                        attributes: [
                          attribute("gen_ai.operation.name", "chat"),
                          attribute("gen_ai.request.model", model),
                        ],
                        startTimeUnixNano: String(endNs - 10_000n * NS),
                        timeUnixNano: String(endNs),
                        count: "4",
                        sum: 2,
                        bucketCounts: ["4", "0"],
                        explicitBounds: [1],
                      },
                    ],
                  },
                },
              ],
            },
          ],
        },
      ],
    };
  }

  const send = (
    adapter: "otlp-traces" | "otlp-metrics",
    body: unknown,
    key: { prefix: string; targetSlugs: string[] | null } = fullKey,
    target: string | null = null,
  ) =>
    receiveIntake(
      db,
      intakeAdapters[adapter],
      { key, body: Buffer.from(JSON.stringify(body)), contentType: "application/json", contentEncoding: null, target },
      options,
    );

  const requests = async (targetId: string) =>
    (
      await db.metricBucket.aggregate({
        // The all-traffic series.
        where: { targetId, provider: "", model: "", snapshotVersion: 0, flagKey: "" },
        _sum: { requestCount: true },
      })
    )._sum.requestCount ?? 0;

  it("routes spans and points that name no target by their rule, before the header and within the key's targets", async () => {
    const [ruled, mini, named, header] = await Promise.all([
      makeTarget(db),
      makeTarget(db),
      makeTarget(db),
      makeTarget(db),
    ]);
    const service = unique("chat-api");
    await replaceTargetRules(
      db,
      {
        actor: apiKeyActor(fullKey),
        key: fullKey,
        body: {
          rules: [
            { serviceName: service, target: ruled.slug },
            { serviceName: service, operationName: "chat", model: "gpt-4o-mini", target: mini.slug },
          ],
        },
      },
      T,
    );

    const reply = await send(
      "otlp-traces",
      spans(service, [{ model: "gpt-4o" }, { model: "gpt-4o-mini" }, { model: "gpt-4o", target: named.slug }]),
      fullKey,
      header.slug,
    );
    expect(reply.status).toBe(200);
    expect(reply.headers).toMatchObject({ "X-Rewind-Accepted-Spans": "3", "X-Rewind-Rejected-Spans": "0" });
    expect([
      await requests(ruled.id),
      await requests(mini.id),
      await requests(named.id),
      await requests(header.id),
    ]).toEqual([1, 1, 1, 0]);
    // A service no rule names falls back to the header.
    await send("otlp-traces", spans(unique("other"), [{ model: "gpt-4o" }]), fullKey, header.slug);
    expect(await requests(header.id)).toBe(1);

    const metrics = await send("otlp-metrics", points(service, "gpt-4o-mini"));
    expect(metrics.headers).toMatchObject({ "X-Rewind-Accepted-Windows": "1", "X-Rewind-Rejected-Points": "0" });
    expect(await requests(mini.id)).toBe(5);

    // A rule pointing at a target the key may not use refuses that item, naming the rule.
    const limited = { prefix: "rwd_lim", targetSlugs: [header.slug] };
    const refused = await send("otlp-traces", spans(service, [{ model: "gpt-4o" }]), limited, header.slug);
    expect(refused.headers).toMatchObject({ "X-Rewind-Accepted-Spans": "0", "X-Rewind-Rejected-Spans": "1" });
    expect(JSON.parse(refused.body as string)).toMatchObject({
      partialSuccess: {
        errorMessage: expect.stringContaining(
          `may not use target ${ruled.slug} (target mapping rule service.name=${service} → ${ruled.slug})`,
        ) as string,
      },
    });
    const refusedPoints = await send("otlp-metrics", points(service, "gpt-4o"), limited, header.slug);
    expect(refusedPoints.headers).toMatchObject({ "X-Rewind-Rejected-Points": "1" });
    expect(await requests(ruled.id)).toBe(1);
    expect(await requests(header.id)).toBe(1);
  });
});
