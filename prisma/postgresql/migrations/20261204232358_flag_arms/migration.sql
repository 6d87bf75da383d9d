-- DropIndex
DROP INDEX "MetricBucket_targetId_start_provider_model_snapshotVersion_key";

-- AlterTable
ALTER TABLE "MetricBucket" ADD COLUMN     "flagKey" TEXT NOT NULL DEFAULT '',
ADD COLUMN     "flagOn" BOOLEAN NOT NULL DEFAULT false;

-- CreateIndex
CREATE UNIQUE INDEX "MetricBucket_targetId_start_provider_model_snapshotVersion__key" ON "MetricBucket"("targetId", "start", "provider", "model", "snapshotVersion", "flagKey", "flagOn");
