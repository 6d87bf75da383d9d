-- CreateTable
CREATE TABLE "ConfigSnapshot" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "targetId" TEXT NOT NULL,
    "version" INTEGER NOT NULL,
    "parentId" TEXT,
    "label" TEXT,
    "config" JSONB NOT NULL,
    "checksum" TEXT NOT NULL,
    "createdByType" TEXT NOT NULL,
    "createdById" TEXT,
    "createdAt" DATETIME NOT NULL,
    "publishedAt" DATETIME,
    "knownGoodAt" DATETIME,
    "failedAt" DATETIME,
    "failedReason" TEXT,
    CONSTRAINT "ConfigSnapshot_targetId_fkey" FOREIGN KEY ("targetId") REFERENCES "Target" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);

-- CreateTable
CREATE TABLE "Rollback" (
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
    "verification" TEXT,
    "verifiedAt" DATETIME,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" DATETIME NOT NULL,
    CONSTRAINT "Rollback_targetId_fkey" FOREIGN KEY ("targetId") REFERENCES "Target" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);

-- CreateTable
CREATE TABLE "RollbackApproval" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "rollbackId" TEXT NOT NULL,
    "userId" TEXT NOT NULL,
    "decision" TEXT NOT NULL,
    "comment" TEXT,
    "createdAt" DATETIME NOT NULL,
    CONSTRAINT "RollbackApproval_rollbackId_fkey" FOREIGN KEY ("rollbackId") REFERENCES "Rollback" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);

-- CreateTable
CREATE TABLE "FeatureFlag" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "key" TEXT NOT NULL,
    "description" TEXT NOT NULL DEFAULT '',
    "enabled" BOOLEAN NOT NULL DEFAULT false,
    "killSwitch" BOOLEAN NOT NULL DEFAULT false,
    "targetId" TEXT,
    "updatedById" TEXT,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" DATETIME NOT NULL,
    CONSTRAINT "FeatureFlag_targetId_fkey" FOREIGN KEY ("targetId") REFERENCES "Target" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);

-- CreateTable
CREATE TABLE "SystemState" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "emergencyStopActive" BOOLEAN NOT NULL DEFAULT false,
    "emergencyStopReason" TEXT,
    "emergencyStopById" TEXT,
    "emergencyStopAt" DATETIME,
    "monitoringPaused" BOOLEAN NOT NULL DEFAULT false,
    "pauseReason" TEXT,
    "pausedById" TEXT,
    "pausedAt" DATETIME,
    "updatedAt" DATETIME NOT NULL
);

-- CreateTable
CREATE TABLE "AuditEvent" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "sequence" INTEGER NOT NULL,
    "at" DATETIME NOT NULL,
    "actorType" TEXT NOT NULL,
    "actorId" TEXT,
    "action" TEXT NOT NULL,
    "entityType" TEXT NOT NULL,
    "entityId" TEXT NOT NULL,
    "targetId" TEXT,
    "before" JSONB,
    "after" JSONB,
    "reason" TEXT,
    "previousHash" TEXT NOT NULL,
    "hash" TEXT NOT NULL
);

-- CreateTable
CREATE TABLE "Notification" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "event" TEXT NOT NULL,
    "severity" TEXT NOT NULL,
    "title" TEXT NOT NULL,
    "body" TEXT NOT NULL,
    "targetId" TEXT,
    "rollbackId" TEXT,
    "payload" JSONB NOT NULL,
    "createdAt" DATETIME NOT NULL,
    "status" TEXT NOT NULL DEFAULT 'PENDING',
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "nextAttemptAt" DATETIME NOT NULL,
    "lastError" TEXT,
    "deliveredAt" DATETIME
);

-- CreateIndex
CREATE INDEX "ConfigSnapshot_targetId_checksum_idx" ON "ConfigSnapshot"("targetId", "checksum");

-- CreateIndex
CREATE UNIQUE INDEX "ConfigSnapshot_targetId_version_key" ON "ConfigSnapshot"("targetId", "version");

-- CreateIndex
CREATE UNIQUE INDEX "Rollback_activeTargetId_key" ON "Rollback"("activeTargetId");

-- CreateIndex
CREATE INDEX "Rollback_targetId_requestedAt_idx" ON "Rollback"("targetId", "requestedAt");

-- CreateIndex
CREATE INDEX "Rollback_status_idx" ON "Rollback"("status");

-- CreateIndex
CREATE UNIQUE INDEX "RollbackApproval_rollbackId_userId_key" ON "RollbackApproval"("rollbackId", "userId");

-- CreateIndex
CREATE UNIQUE INDEX "FeatureFlag_key_key" ON "FeatureFlag"("key");

-- CreateIndex
CREATE UNIQUE INDEX "AuditEvent_sequence_key" ON "AuditEvent"("sequence");

-- CreateIndex
CREATE INDEX "AuditEvent_targetId_at_idx" ON "AuditEvent"("targetId", "at");

-- CreateIndex
CREATE INDEX "AuditEvent_actorId_at_idx" ON "AuditEvent"("actorId", "at");

-- CreateIndex
CREATE INDEX "AuditEvent_action_at_idx" ON "AuditEvent"("action", "at");

-- CreateIndex
CREATE INDEX "AuditEvent_at_idx" ON "AuditEvent"("at");

-- CreateIndex
CREATE INDEX "Notification_status_nextAttemptAt_idx" ON "Notification"("status", "nextAttemptAt");
