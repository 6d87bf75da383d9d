-- CreateTable
CREATE TABLE "MetricRollup" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "targetId" TEXT NOT NULL,
    "widthSeconds" INTEGER NOT NULL,
    "start" DATETIME NOT NULL,
    "provider" TEXT NOT NULL DEFAULT '',
    "model" TEXT NOT NULL DEFAULT '',
    "requestCount" BIGINT NOT NULL,
    "errorCount" BIGINT NOT NULL,
    "costMicros" BIGINT NOT NULL,
    "inputTokens" BIGINT NOT NULL,
    "outputTokens" BIGINT NOT NULL,
    "sketch" TEXT NOT NULL,
    "ttftSketch" TEXT,
    "snapshotVersion" INTEGER NOT NULL DEFAULT 0,
    "flagKey" TEXT NOT NULL DEFAULT '',
    "flagOn" BOOLEAN NOT NULL DEFAULT false,
    "updatedAt" DATETIME NOT NULL,
    CONSTRAINT "MetricRollup_targetId_fkey" FOREIGN KEY ("targetId") REFERENCES "Target" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);

-- CreateIndex
CREATE UNIQUE INDEX "MetricRollup_targetId_widthSeconds_start_provider_model_snapshotVersion_flagKey_flagOn_key" ON "MetricRollup"("targetId", "widthSeconds", "start", "provider", "model", "snapshotVersion", "flagKey", "flagOn");

-- Rollups start empty: windows up to the newest bucket stored before this migration are read from the buckets
-- until `npm run rollups -- --rebuild` fills them in (server/services/metrics/rollups.ts). No row: no such bucket.
INSERT INTO "Setting" ("key", "value", "updatedAt")
SELECT 'metricRollupsFrom', CAST(CAST(ROUND((julianday(MAX("start")) - 2440587.5) * 86400000) AS INTEGER) AS TEXT), MAX("updatedAt")
FROM "MetricBucket" HAVING COUNT(*) > 0;
