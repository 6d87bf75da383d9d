-- CreateTable
CREATE TABLE "MetricRollup" (
    "id" TEXT NOT NULL,
    "targetId" TEXT NOT NULL,
    "widthSeconds" INTEGER NOT NULL,
    "start" TIMESTAMP(3) NOT NULL,
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
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "MetricRollup_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "MetricRollup_targetId_widthSeconds_start_provider_model_sna_key" ON "MetricRollup"("targetId", "widthSeconds", "start", "provider", "model", "snapshotVersion", "flagKey", "flagOn");

-- AddForeignKey
ALTER TABLE "MetricRollup" ADD CONSTRAINT "MetricRollup_targetId_fkey" FOREIGN KEY ("targetId") REFERENCES "Target"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- Rollups start empty: windows up to the newest bucket stored before this migration are read from the buckets
-- until `npm run rollups -- --rebuild` fills them in (server/services/metrics/rollups.ts). No row: no such bucket.
INSERT INTO "Setting" ("key", "value", "updatedAt")
SELECT 'metricRollupsFrom', CAST(FLOOR(EXTRACT(EPOCH FROM MAX("start")) * 1000) AS BIGINT)::TEXT, MAX("updatedAt")
FROM "MetricBucket" HAVING COUNT(*) > 0;
