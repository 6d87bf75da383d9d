-- CreateIndex
CREATE INDEX "AuditEvent_entityType_entityId_sequence_idx" ON "AuditEvent"("entityType", "entityId", "sequence");
