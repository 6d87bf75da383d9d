-- CreateTable
CREATE TABLE "MetricSource" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "targetId" TEXT NOT NULL,
    "kind" TEXT NOT NULL,
    "enabled" BOOLEAN NOT NULL DEFAULT true,
    "config" JSONB NOT NULL,
    "secretSealed" TEXT,
    "lastPulledAt" DATETIME,
    "lastReadings" JSONB,
    "lastError" TEXT,
    "updatedById" TEXT,
    "createdAt" DATETIME NOT NULL,
    "savedAt" DATETIME NOT NULL,
    CONSTRAINT "MetricSource_targetId_fkey" FOREIGN KEY ("targetId") REFERENCES "Target" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);

-- CreateIndex
CREATE UNIQUE INDEX "MetricSource_targetId_key" ON "MetricSource"("targetId");
