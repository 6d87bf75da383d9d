-- AlterTable
ALTER TABLE "Rollback" ADD COLUMN "flagsTurnedOff" JSONB;

-- CreateTable
CREATE TABLE "FlagReenablement" (
    "id" TEXT NOT NULL PRIMARY KEY,
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
    "startedAt" DATETIME NOT NULL,
    "lastStepAt" DATETIME NOT NULL,
    "endedAt" DATETIME,
    "endedById" TEXT,
    "endReason" TEXT,
    CONSTRAINT "FlagReenablement_rollbackId_fkey" FOREIGN KEY ("rollbackId") REFERENCES "Rollback" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);

-- RedefineTables
PRAGMA defer_foreign_keys=ON;
PRAGMA foreign_keys=OFF;
CREATE TABLE "new_FeatureFlag" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "key" TEXT NOT NULL,
    "description" TEXT NOT NULL DEFAULT '',
    "enabled" BOOLEAN NOT NULL DEFAULT false,
    "killSwitch" BOOLEAN NOT NULL DEFAULT false,
    "percent" INTEGER NOT NULL DEFAULT 100,
    "targetId" TEXT,
    "updatedById" TEXT,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" DATETIME NOT NULL,
    CONSTRAINT "FeatureFlag_targetId_fkey" FOREIGN KEY ("targetId") REFERENCES "Target" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);
INSERT INTO "new_FeatureFlag" ("createdAt", "description", "enabled", "id", "key", "killSwitch", "targetId", "updatedAt", "updatedById") SELECT "createdAt", "description", "enabled", "id", "key", "killSwitch", "targetId", "updatedAt", "updatedById" FROM "FeatureFlag";
DROP TABLE "FeatureFlag";
ALTER TABLE "new_FeatureFlag" RENAME TO "FeatureFlag";
CREATE UNIQUE INDEX "FeatureFlag_key_key" ON "FeatureFlag"("key");
PRAGMA foreign_keys=ON;
PRAGMA defer_foreign_keys=OFF;

-- CreateIndex
CREATE UNIQUE INDEX "FlagReenablement_activeTargetId_key" ON "FlagReenablement"("activeTargetId");

-- CreateIndex
CREATE INDEX "FlagReenablement_targetId_startedAt_idx" ON "FlagReenablement"("targetId", "startedAt");

-- CreateIndex
CREATE INDEX "FlagReenablement_status_idx" ON "FlagReenablement"("status");
