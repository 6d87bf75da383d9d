-- CreateTable
CREATE TABLE "MetricBucket" (
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
    "updatedAt" DATETIME NOT NULL,
    CONSTRAINT "MetricBucket_targetId_fkey" FOREIGN KEY ("targetId") REFERENCES "Target" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);

-- CreateTable
CREATE TABLE "Policy" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "targetId" TEXT NOT NULL,
    "version" INTEGER NOT NULL,
    "config" JSONB NOT NULL,
    "createdById" TEXT,
    "createdAt" DATETIME NOT NULL,
    CONSTRAINT "Policy_targetId_fkey" FOREIGN KEY ("targetId") REFERENCES "Target" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);

-- CreateTable
CREATE TABLE "Target" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "slug" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "description" TEXT NOT NULL DEFAULT '',
    "monitoringEnabled" BOOLEAN NOT NULL DEFAULT true,
    "currentSnapshotId" TEXT,
    "knownGoodSnapshotId" TEXT,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" DATETIME NOT NULL
);

-- CreateTable
CREATE TABLE "VerdictRecord" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "targetId" TEXT NOT NULL,
    "evaluatedAt" DATETIME NOT NULL,
    "status" TEXT NOT NULL,
    "severity" TEXT,
    "consecutiveCount" INTEGER NOT NULL,
    "details" JSONB NOT NULL,
    "policyVersion" INTEGER,
    CONSTRAINT "VerdictRecord_targetId_fkey" FOREIGN KEY ("targetId") REFERENCES "Target" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);

-- CreateIndex
CREATE UNIQUE INDEX "MetricBucket_targetId_start_provider_model_key" ON "MetricBucket"("targetId", "start", "provider", "model");

-- CreateIndex
CREATE UNIQUE INDEX "Policy_targetId_version_key" ON "Policy"("targetId", "version");

-- CreateIndex
CREATE UNIQUE INDEX "Target_slug_key" ON "Target"("slug");

-- CreateIndex
CREATE INDEX "VerdictRecord_targetId_evaluatedAt_idx" ON "VerdictRecord"("targetId", "evaluatedAt");
