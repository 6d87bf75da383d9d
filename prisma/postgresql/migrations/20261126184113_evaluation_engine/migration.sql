-- CreateEnum
CREATE TYPE "VerdictStatus" AS ENUM ('INSUFFICIENT_DATA', 'HEALTHY', 'VIOLATION', 'BREACH');

-- CreateEnum
CREATE TYPE "BreachSeverity" AS ENUM ('CRITICAL', 'EMERGENCY');

-- CreateTable
CREATE TABLE "MetricBucket" (
    "id" TEXT NOT NULL,
    "targetId" TEXT NOT NULL,
    "start" TIMESTAMP(3) NOT NULL,
    "provider" TEXT NOT NULL DEFAULT '',
    "model" TEXT NOT NULL DEFAULT '',
    "requestCount" INTEGER NOT NULL,
    "errorCount" INTEGER NOT NULL,
    "costMicros" BIGINT NOT NULL,
    "inputTokens" BIGINT NOT NULL,
    "outputTokens" BIGINT NOT NULL,
    "sketch" TEXT NOT NULL,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "MetricBucket_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Policy" (
    "id" TEXT NOT NULL,
    "targetId" TEXT NOT NULL,
    "version" INTEGER NOT NULL,
    "config" JSONB NOT NULL,
    "createdById" TEXT,
    "createdAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "Policy_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Target" (
    "id" TEXT NOT NULL,
    "slug" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "description" TEXT NOT NULL DEFAULT '',
    "monitoringEnabled" BOOLEAN NOT NULL DEFAULT true,
    "currentSnapshotId" TEXT,
    "knownGoodSnapshotId" TEXT,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "Target_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "VerdictRecord" (
    "id" TEXT NOT NULL,
    "targetId" TEXT NOT NULL,
    "evaluatedAt" TIMESTAMP(3) NOT NULL,
    "status" "VerdictStatus" NOT NULL,
    "severity" "BreachSeverity",
    "consecutiveCount" INTEGER NOT NULL,
    "details" JSONB NOT NULL,
    "policyVersion" INTEGER,

    CONSTRAINT "VerdictRecord_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "MetricBucket_targetId_start_provider_model_key" ON "MetricBucket"("targetId", "start", "provider", "model");

-- CreateIndex
CREATE UNIQUE INDEX "Policy_targetId_version_key" ON "Policy"("targetId", "version");

-- CreateIndex
CREATE UNIQUE INDEX "Target_slug_key" ON "Target"("slug");

-- CreateIndex
CREATE INDEX "VerdictRecord_targetId_evaluatedAt_idx" ON "VerdictRecord"("targetId", "evaluatedAt");

-- AddForeignKey
ALTER TABLE "MetricBucket" ADD CONSTRAINT "MetricBucket_targetId_fkey" FOREIGN KEY ("targetId") REFERENCES "Target"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Policy" ADD CONSTRAINT "Policy_targetId_fkey" FOREIGN KEY ("targetId") REFERENCES "Target"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "VerdictRecord" ADD CONSTRAINT "VerdictRecord_targetId_fkey" FOREIGN KEY ("targetId") REFERENCES "Target"("id") ON DELETE CASCADE ON UPDATE CASCADE;
