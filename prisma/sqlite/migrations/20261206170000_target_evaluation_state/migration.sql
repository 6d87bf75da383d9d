-- CreateTable
CREATE TABLE "TargetEvaluationState" (
    "targetId" TEXT NOT NULL PRIMARY KEY,
    "lastVerdictAt" DATETIME NOT NULL,
    "lastStatus" TEXT NOT NULL,
    "lastSeverity" TEXT,
    "consecutiveCount" INTEGER NOT NULL,
    "policyVersion" INTEGER,
    CONSTRAINT "TargetEvaluationState_targetId_fkey" FOREIGN KEY ("targetId") REFERENCES "Target" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);

-- Each target's state from its newest verdict (the newest id among verdicts of one instant), so that an upgraded
-- database skips exactly the targets it would have skipped had the state always been kept.
INSERT INTO "TargetEvaluationState" ("targetId", "lastVerdictAt", "lastStatus", "lastSeverity", "consecutiveCount", "policyVersion")
SELECT "v"."targetId", "v"."evaluatedAt", "v"."status", "v"."severity", "v"."consecutiveCount", "v"."policyVersion"
FROM "VerdictRecord" AS "v"
WHERE "v"."id" = (
    SELECT "p"."id" FROM "VerdictRecord" AS "p" WHERE "p"."targetId" = "v"."targetId"
    ORDER BY "p"."evaluatedAt" DESC, "p"."id" DESC LIMIT 1
);
