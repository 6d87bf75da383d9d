-- RedefineTables
PRAGMA defer_foreign_keys=ON;
PRAGMA foreign_keys=OFF;
CREATE TABLE "new_MetricBucket" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "targetId" TEXT NOT NULL,
    "start" DATETIME NOT NULL,
    "provider" TEXT NOT NULL DEFAULT '',
    "model" TEXT NOT NULL DEFAULT '',
    "requestCount" INTEGER NOT NULL,
    "errorCount" INTEGER NOT NULL,
    "costMicros" BIGINT NOT NULL,
    "inputTokens" BIGINT NOT NULL,
    "outputTokens" BIGINT NOT NULL,
    "sketch" TEXT NOT NULL,
    "ttftSketch" TEXT,
    "snapshotVersion" INTEGER NOT NULL DEFAULT 0,
    "flagKey" TEXT NOT NULL DEFAULT '',
    "flagOn" BOOLEAN NOT NULL DEFAULT false,
    "updatedAt" DATETIME NOT NULL,
    CONSTRAINT "MetricBucket_targetId_fkey" FOREIGN KEY ("targetId") REFERENCES "Target" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);
INSERT INTO "new_MetricBucket" ("costMicros", "errorCount", "id", "inputTokens", "model", "outputTokens", "provider", "requestCount", "sketch", "snapshotVersion", "start", "targetId", "ttftSketch", "updatedAt") SELECT "costMicros", "errorCount", "id", "inputTokens", "model", "outputTokens", "provider", "requestCount", "sketch", "snapshotVersion", "start", "targetId", "ttftSketch", "updatedAt" FROM "MetricBucket";
DROP TABLE "MetricBucket";
ALTER TABLE "new_MetricBucket" RENAME TO "MetricBucket";
CREATE UNIQUE INDEX "MetricBucket_targetId_start_provider_model_snapshotVersion_flagKey_flagOn_key" ON "MetricBucket"("targetId", "start", "provider", "model", "snapshotVersion", "flagKey", "flagOn");
PRAGMA foreign_keys=ON;
PRAGMA defer_foreign_keys=OFF;
