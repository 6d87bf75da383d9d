-- CreateTable
CREATE TABLE "IntakeTargetRule" (
    "id" TEXT NOT NULL,
    "serviceName" TEXT NOT NULL,
    "operationName" TEXT NOT NULL DEFAULT '',
    "model" TEXT NOT NULL DEFAULT '',
    "targetId" TEXT NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "IntakeTargetRule_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "IntakeTargetRule_targetId_idx" ON "IntakeTargetRule"("targetId");

-- CreateIndex
CREATE UNIQUE INDEX "IntakeTargetRule_serviceName_operationName_model_key" ON "IntakeTargetRule"("serviceName", "operationName", "model");

-- AddForeignKey
ALTER TABLE "IntakeTargetRule" ADD CONSTRAINT "IntakeTargetRule_targetId_fkey" FOREIGN KEY ("targetId") REFERENCES "Target"("id") ON DELETE CASCADE ON UPDATE CASCADE;
