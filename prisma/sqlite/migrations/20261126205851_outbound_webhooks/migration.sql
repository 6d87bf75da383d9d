-- Delivery state moves from Notification to one NotificationDelivery row per channel. Undelivered
-- notifications (PENDING, DEAD) keep their Slack state as a SLACK delivery, and every existing notification
-- counts as dispatched, so none is sent again to a channel added later.
-- CreateTable
CREATE TABLE "NotificationDelivery" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "notificationId" TEXT NOT NULL,
    "channel" TEXT NOT NULL,
    "endpointId" TEXT,
    "status" TEXT NOT NULL DEFAULT 'PENDING',
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "nextAttemptAt" DATETIME NOT NULL,
    "queuedAt" DATETIME NOT NULL,
    "lastAttemptAt" DATETIME,
    "lastError" TEXT,
    "deliveredAt" DATETIME,
    "createdAt" DATETIME NOT NULL,
    CONSTRAINT "NotificationDelivery_notificationId_fkey" FOREIGN KEY ("notificationId") REFERENCES "Notification" ("id") ON DELETE CASCADE ON UPDATE CASCADE,
    CONSTRAINT "NotificationDelivery_endpointId_fkey" FOREIGN KEY ("endpointId") REFERENCES "WebhookEndpoint" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);

-- CreateTable
CREATE TABLE "WebhookEndpoint" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "name" TEXT NOT NULL,
    "url" TEXT NOT NULL,
    "events" TEXT NOT NULL,
    "signingSecretEncrypted" TEXT NOT NULL,
    "enabled" BOOLEAN NOT NULL DEFAULT true,
    "createdById" TEXT,
    "createdAt" DATETIME NOT NULL,
    "updatedAt" DATETIME NOT NULL
);

-- Backfill: the Slack delivery state of undelivered notifications
INSERT INTO "NotificationDelivery" ("id", "notificationId", "channel", "endpointId", "status", "attempts", "nextAttemptAt", "queuedAt", "lastAttemptAt", "lastError", "deliveredAt", "createdAt")
SELECT 'slack_' || "id", "id", 'SLACK', NULL, "status", "attempts", "nextAttemptAt", "createdAt", NULL, "lastError", NULL, "createdAt" FROM "Notification" WHERE "status" IN ('PENDING', 'DEAD');

-- RedefineTables
PRAGMA defer_foreign_keys=ON;
PRAGMA foreign_keys=OFF;
CREATE TABLE "new_Notification" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "event" TEXT NOT NULL,
    "severity" TEXT NOT NULL,
    "title" TEXT NOT NULL,
    "body" TEXT NOT NULL,
    "targetId" TEXT,
    "rollbackId" TEXT,
    "payload" JSONB NOT NULL,
    "createdAt" DATETIME NOT NULL,
    "dispatchedAt" DATETIME
);
INSERT INTO "new_Notification" ("body", "createdAt", "dispatchedAt", "event", "id", "payload", "rollbackId", "severity", "targetId", "title") SELECT "body", "createdAt", "createdAt", "event", "id", "payload", "rollbackId", "severity", "targetId", "title" FROM "Notification";
DROP TABLE "Notification";
ALTER TABLE "new_Notification" RENAME TO "Notification";
CREATE INDEX "Notification_dispatchedAt_idx" ON "Notification"("dispatchedAt");
PRAGMA foreign_keys=ON;
PRAGMA defer_foreign_keys=OFF;

-- CreateIndex
CREATE INDEX "NotificationDelivery_status_nextAttemptAt_idx" ON "NotificationDelivery"("status", "nextAttemptAt");

-- CreateIndex
CREATE INDEX "NotificationDelivery_notificationId_idx" ON "NotificationDelivery"("notificationId");

-- CreateIndex
CREATE INDEX "NotificationDelivery_endpointId_status_idx" ON "NotificationDelivery"("endpointId", "status");
