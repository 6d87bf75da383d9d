-- CreateTable
CREATE TABLE "IntakeTargetRule" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "serviceName" TEXT NOT NULL,
    "operationName" TEXT NOT NULL DEFAULT '',
    "model" TEXT NOT NULL DEFAULT '',
    "targetId" TEXT NOT NULL,
    "createdAt" DATETIME NOT NULL,
    "updatedAt" DATETIME NOT NULL,
    CONSTRAINT "IntakeTargetRule_targetId_fkey" FOREIGN KEY ("targetId") REFERENCES "Target" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);

-- CreateIndex
CREATE INDEX "IntakeTargetRule_targetId_idx" ON "IntakeTargetRule"("targetId");

-- CreateIndex
CREATE UNIQUE INDEX "IntakeTargetRule_serviceName_operationName_model_key" ON "IntakeTargetRule"("serviceName", "operationName", "model");
