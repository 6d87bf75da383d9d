-- AlterTable
ALTER TABLE "Target" ADD COLUMN "configChangedAt" DATETIME;

-- CreateTable
CREATE TABLE "RollbackStepCheck" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "rollbackId" TEXT NOT NULL,
    "rollbackVersion" INTEGER NOT NULL,
    "step" INTEGER NOT NULL,
    "trafficPercent" INTEGER NOT NULL,
    "outcome" TEXT NOT NULL,
    "perArm" BOOLEAN NOT NULL,
    "checkedAt" DATETIME NOT NULL,
    "windowFrom" DATETIME NOT NULL,
    "arms" JSONB NOT NULL,
    "comparisons" JSONB NOT NULL,
    "alpha" REAL NOT NULL,
    "explanation" TEXT NOT NULL,
    CONSTRAINT "RollbackStepCheck_rollbackId_fkey" FOREIGN KEY ("rollbackId") REFERENCES "Rollback" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);

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
    "updatedAt" DATETIME NOT NULL,
    CONSTRAINT "MetricBucket_targetId_fkey" FOREIGN KEY ("targetId") REFERENCES "Target" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);
INSERT INTO "new_MetricBucket" ("costMicros", "errorCount", "id", "inputTokens", "model", "outputTokens", "provider", "requestCount", "sketch", "start", "targetId", "ttftSketch", "updatedAt") SELECT "costMicros", "errorCount", "id", "inputTokens", "model", "outputTokens", "provider", "requestCount", "sketch", "start", "targetId", "ttftSketch", "updatedAt" FROM "MetricBucket";
DROP TABLE "MetricBucket";
ALTER TABLE "new_MetricBucket" RENAME TO "MetricBucket";
CREATE UNIQUE INDEX "MetricBucket_targetId_start_provider_model_snapshotVersion_key" ON "MetricBucket"("targetId", "start", "provider", "model", "snapshotVersion");
CREATE TABLE "new_Rollback" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "targetId" TEXT NOT NULL,
    "activeTargetId" TEXT,
    "trigger" TEXT NOT NULL,
    "status" TEXT NOT NULL,
    "version" INTEGER NOT NULL DEFAULT 0,
    "fromSnapshotId" TEXT NOT NULL,
    "toSnapshotId" TEXT NOT NULL,
    "steps" JSONB NOT NULL,
    "currentStep" INTEGER NOT NULL,
    "trafficPercent" INTEGER NOT NULL,
    "approvalsRequired" INTEGER NOT NULL,
    "requestedById" TEXT,
    "requestedAt" DATETIME NOT NULL,
    "reason" TEXT,
    "startedAt" DATETIME,
    "lastStepAt" DATETIME,
    "endedAt" DATETIME,
    "endedById" TEXT,
    "endReason" TEXT,
    "aborted" BOOLEAN NOT NULL DEFAULT false,
    "evidence" JSONB,
    "policyVersion" INTEGER,
    "stepBaseline" JSONB,
    "stepHolds" INTEGER NOT NULL DEFAULT 0,
    "verification" TEXT,
    "verifiedAt" DATETIME,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" DATETIME NOT NULL,
    CONSTRAINT "Rollback_targetId_fkey" FOREIGN KEY ("targetId") REFERENCES "Target" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);
INSERT INTO "new_Rollback" ("aborted", "activeTargetId", "approvalsRequired", "createdAt", "currentStep", "endReason", "endedAt", "endedById", "evidence", "fromSnapshotId", "id", "lastStepAt", "policyVersion", "reason", "requestedAt", "requestedById", "startedAt", "status", "stepBaseline", "steps", "targetId", "toSnapshotId", "trafficPercent", "trigger", "updatedAt", "verification", "verifiedAt", "version") SELECT "aborted", "activeTargetId", "approvalsRequired", "createdAt", "currentStep", "endReason", "endedAt", "endedById", "evidence", "fromSnapshotId", "id", "lastStepAt", "policyVersion", "reason", "requestedAt", "requestedById", "startedAt", "status", "stepBaseline", "steps", "targetId", "toSnapshotId", "trafficPercent", "trigger", "updatedAt", "verification", "verifiedAt", "version" FROM "Rollback";
DROP TABLE "Rollback";
ALTER TABLE "new_Rollback" RENAME TO "Rollback";
CREATE UNIQUE INDEX "Rollback_activeTargetId_key" ON "Rollback"("activeTargetId");
CREATE INDEX "Rollback_targetId_requestedAt_idx" ON "Rollback"("targetId", "requestedAt");
CREATE INDEX "Rollback_status_idx" ON "Rollback"("status");
PRAGMA foreign_keys=ON;
PRAGMA defer_foreign_keys=OFF;

-- CreateIndex
CREATE INDEX "RollbackStepCheck_rollbackId_checkedAt_idx" ON "RollbackStepCheck"("rollbackId", "checkedAt");

-- CreateIndex
CREATE UNIQUE INDEX "RollbackStepCheck_rollbackId_rollbackVersion_key" ON "RollbackStepCheck"("rollbackId", "rollbackVersion");
