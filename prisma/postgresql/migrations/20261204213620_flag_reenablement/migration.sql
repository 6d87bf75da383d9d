-- AlterTable
ALTER TABLE "FeatureFlag" ADD COLUMN     "percent" INTEGER NOT NULL DEFAULT 100;

-- AlterTable
ALTER TABLE "Rollback" ADD COLUMN     "flagsTurnedOff" JSONB;

-- CreateTable
CREATE TABLE "FlagReenablement" (
    "id" TEXT NOT NULL,
    "targetId" TEXT NOT NULL,
    "rollbackId" TEXT NOT NULL,
    "activeTargetId" TEXT,
    "flagKeys" JSONB NOT NULL,
    "steps" JSONB NOT NULL,
    "currentStep" INTEGER NOT NULL,
    "percent" INTEGER NOT NULL,
    "status" TEXT NOT NULL,
    "version" INTEGER NOT NULL DEFAULT 0,
    "stepHolds" INTEGER NOT NULL DEFAULT 0,
    "baseline" JSONB,
    "lastCheck" JSONB,
    "startedById" TEXT NOT NULL,
    "startedAt" TIMESTAMP(3) NOT NULL,
    "lastStepAt" TIMESTAMP(3) NOT NULL,
    "endedAt" TIMESTAMP(3),
    "endedById" TEXT,
    "endReason" TEXT,

    CONSTRAINT "FlagReenablement_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "FlagReenablement_activeTargetId_key" ON "FlagReenablement"("activeTargetId");

-- CreateIndex
CREATE INDEX "FlagReenablement_targetId_startedAt_idx" ON "FlagReenablement"("targetId", "startedAt");

-- CreateIndex
CREATE INDEX "FlagReenablement_status_idx" ON "FlagReenablement"("status");

-- AddForeignKey
ALTER TABLE "FlagReenablement" ADD CONSTRAINT "FlagReenablement_rollbackId_fkey" FOREIGN KEY ("rollbackId") REFERENCES "Rollback"("id") ON DELETE CASCADE ON UPDATE CASCADE;
