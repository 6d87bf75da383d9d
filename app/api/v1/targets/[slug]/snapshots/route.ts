// POST /api/v1/targets/{slug}/snapshots (scope snapshots:write): publish a configuration. docs/API.md
import { machineRoute } from "@/server/api/http";
import { apiKeyActor } from "@/server/services/access/api-keys";
import { publishConfig } from "@/server/services/config/config-as-code";
import type { PublishedSnapshot } from "@/server/services/config/snapshot-publishing";

export const dynamic = "force-dynamic";

function response({ snapshot, created }: PublishedSnapshot) {
  const { id, version, checksum, label, publishedAt } = snapshot;
  return { status: created ? 201 : 200, body: { id, version, checksum, label, publishedAt, created } };
}

export const POST = machineRoute<{ slug: string }>(
  { scope: "snapshots:write", body: true, idempotent: true },
  async ({ db, key, params, body, now, recordRequest }) =>
    response(
      await publishConfig(db, { actor: apiKeyActor(key), slug: params.slug, body }, now, {
        // The signature is spent, and the Idempotency-Key response stored, in the snapshot's transaction.
        ...(recordRequest && { inTransaction: (tx, committed) => recordRequest(tx, response(committed)) }),
      }),
    ),
);
