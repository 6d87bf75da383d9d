-- DropIndex
DROP INDEX "MetricBucket_targetId_start_provider_model_key";

-- AlterTable
ALTER TABLE "MetricBucket" ADD COLUMN     "snapshotVersion" INTEGER NOT NULL DEFAULT 0;

-- AlterTable
ALTER TABLE "Rollback" ADD COLUMN     "stepHolds" INTEGER NOT NULL DEFAULT 0;

-- AlterTable
ALTER TABLE "Target" ADD COLUMN     "configChangedAt" TIMESTAMP(3);

-- CreateTable
CREATE TABLE "RollbackStepCheck" (
    "id" TEXT NOT NULL,
    "rollbackId" TEXT NOT NULL,
    "rollbackVersion" INTEGER NOT NULL,
    "step" INTEGER NOT NULL,
    "trafficPercent" INTEGER NOT NULL,
    "outcome" TEXT NOT NULL,
    "perArm" BOOLEAN NOT NULL,
    "checkedAt" TIMESTAMP(3) NOT NULL,
    "windowFrom" TIMESTAMP(3) NOT NULL,
    "arms" JSONB NOT NULL,
    "comparisons" JSONB NOT NULL,
    "alpha" DOUBLE PRECISION NOT NULL,
    "explanation" TEXT NOT NULL,

    CONSTRAINT "RollbackStepCheck_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "RollbackStepCheck_rollbackId_checkedAt_idx" ON "RollbackStepCheck"("rollbackId", "checkedAt");

-- CreateIndex
CREATE UNIQUE INDEX "RollbackStepCheck_rollbackId_rollbackVersion_key" ON "RollbackStepCheck"("rollbackId", "rollbackVersion");

-- CreateIndex
CREATE UNIQUE INDEX "MetricBucket_targetId_start_provider_model_snapshotVersion_key" ON "MetricBucket"("targetId", "start", "provider", "model", "snapshotVersion");

-- AddForeignKey
ALTER TABLE "RollbackStepCheck" ADD CONSTRAINT "RollbackStepCheck_rollbackId_fkey" FOREIGN KEY ("rollbackId") REFERENCES "Rollback"("id") ON DELETE CASCADE ON UPDATE CASCADE;
