-- CreateEnum
CREATE TYPE "MetricSourceKind" AS ENUM ('PROMETHEUS', 'CLOUDWATCH');

-- CreateTable
CREATE TABLE "MetricSource" (
    "id" TEXT NOT NULL,
    "targetId" TEXT NOT NULL,
    "kind" "MetricSourceKind" NOT NULL,
    "enabled" BOOLEAN NOT NULL DEFAULT true,
    "config" JSONB NOT NULL,
    "secretSealed" TEXT,
    "lastPulledAt" TIMESTAMP(3),
    "lastReadings" JSONB,
    "lastError" TEXT,
    "updatedById" TEXT,
    "createdAt" TIMESTAMP(3) NOT NULL,
    "savedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "MetricSource_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "MetricSource_targetId_key" ON "MetricSource"("targetId");

-- AddForeignKey
ALTER TABLE "MetricSource" ADD CONSTRAINT "MetricSource_targetId_fkey" FOREIGN KEY ("targetId") REFERENCES "Target"("id") ON DELETE CASCADE ON UPDATE CASCADE;
