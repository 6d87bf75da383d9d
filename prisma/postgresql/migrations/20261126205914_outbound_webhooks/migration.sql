-- Delivery state moves from Notification to one NotificationDelivery row per channel. Undelivered
-- notifications (PENDING, DEAD) keep their Slack state as a SLACK delivery, and every existing notification
-- counts as dispatched, so none is sent again to a channel added later.

-- AlterTable
ALTER TABLE "Notification" ADD COLUMN     "dispatchedAt" TIMESTAMP(3);

-- CreateTable
CREATE TABLE "NotificationDelivery" (
    "id" TEXT NOT NULL,
    "notificationId" TEXT NOT NULL,
    "channel" TEXT NOT NULL,
    "endpointId" TEXT,
    "status" TEXT NOT NULL DEFAULT 'PENDING',
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "nextAttemptAt" TIMESTAMP(3) NOT NULL,
    "queuedAt" TIMESTAMP(3) NOT NULL,
    "lastAttemptAt" TIMESTAMP(3),
    "lastError" TEXT,
    "deliveredAt" TIMESTAMP(3),
    "createdAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "NotificationDelivery_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "WebhookEndpoint" (
    "id" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "url" TEXT NOT NULL,
    "events" TEXT NOT NULL,
    "signingSecretEncrypted" TEXT NOT NULL,
    "enabled" BOOLEAN NOT NULL DEFAULT true,
    "createdById" TEXT,
    "createdAt" TIMESTAMP(3) NOT NULL,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "WebhookEndpoint_pkey" PRIMARY KEY ("id")
);

-- Backfill: the Slack delivery state of undelivered notifications
INSERT INTO "NotificationDelivery" ("id", "notificationId", "channel", "endpointId", "status", "attempts", "nextAttemptAt", "queuedAt", "lastAttemptAt", "lastError", "deliveredAt", "createdAt")
SELECT 'slack_' || "id", "id", 'SLACK', NULL, "status", "attempts", "nextAttemptAt", "createdAt", NULL, "lastError", NULL, "createdAt" FROM "Notification" WHERE "status" IN ('PENDING', 'DEAD');

UPDATE "Notification" SET "dispatchedAt" = "createdAt";

-- DropIndex
DROP INDEX "Notification_status_nextAttemptAt_idx";

-- AlterTable
ALTER TABLE "Notification" DROP COLUMN "attempts",
DROP COLUMN "deliveredAt",
DROP COLUMN "lastError",
DROP COLUMN "nextAttemptAt",
DROP COLUMN "status";

-- CreateIndex
CREATE INDEX "NotificationDelivery_status_nextAttemptAt_idx" ON "NotificationDelivery"("status", "nextAttemptAt");

-- CreateIndex
CREATE INDEX "NotificationDelivery_notificationId_idx" ON "NotificationDelivery"("notificationId");

-- CreateIndex
CREATE INDEX "NotificationDelivery_endpointId_status_idx" ON "NotificationDelivery"("endpointId", "status");

-- CreateIndex
CREATE INDEX "Notification_dispatchedAt_idx" ON "Notification"("dispatchedAt");

-- AddForeignKey
ALTER TABLE "NotificationDelivery" ADD CONSTRAINT "NotificationDelivery_notificationId_fkey" FOREIGN KEY ("notificationId") REFERENCES "Notification"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "NotificationDelivery" ADD CONSTRAINT "NotificationDelivery_endpointId_fkey" FOREIGN KEY ("endpointId") REFERENCES "WebhookEndpoint"("id") ON DELETE CASCADE ON UPDATE CASCADE;
