-- AlterTable
ALTER TABLE "User" ADD COLUMN     "slackUserId" TEXT;

-- CreateTable
CREATE TABLE "OtlpMetricStream" (
    "key" TEXT NOT NULL,
    "startTime" TEXT NOT NULL,
    "time" TEXT NOT NULL,
    "point" JSONB NOT NULL,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "OtlpMetricStream_pkey" PRIMARY KEY ("key")
);

-- CreateIndex
CREATE INDEX "OtlpMetricStream_updatedAt_idx" ON "OtlpMetricStream"("updatedAt");

-- CreateIndex
CREATE UNIQUE INDEX "User_slackUserId_key" ON "User"("slackUserId");
