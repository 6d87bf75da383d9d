// Targets: create, edit, switch monitoring, and list them with their latest verdict.
import { Prisma, type Db } from "../db";
import { AppError } from "../domain/errors";
import { createTargetSchema, setMonitoringSchema, slugSchema, updateTargetSchema } from "../domain/targets";
import { parseInput } from "./validation";

export const targetSelect = {
  id: true,
  slug: true,
  name: true,
  description: true,
  monitoringEnabled: true,
  currentSnapshotId: true,
  knownGoodSnapshotId: true,
  createdAt: true,
  updatedAt: true,
} satisfies Prisma.TargetSelect;
export type TargetDto = Prisma.TargetGetPayload<{ select: typeof targetSelect }>;

const latestVerdictSelect = {
  status: true,
  severity: true,
  consecutiveCount: true,
  evaluatedAt: true,
} satisfies Prisma.VerdictRecordSelect;
export type TargetWithVerdictDto = TargetDto & {
  latestVerdict: Prisma.VerdictRecordGetPayload<{ select: typeof latestVerdictSelect }> | null;
};

/** Targets by slug, each with its latest verdict (one indexed lookup per target). */
export async function listTargets(db: Db): Promise<TargetWithVerdictDto[]> {
  const targets = await db.target.findMany({ select: targetSelect, orderBy: { slug: "asc" } });
  return Promise.all(
    targets.map(async (target) => ({
      ...target,
      latestVerdict: await db.verdictRecord.findFirst({
        where: { targetId: target.id },
        orderBy: { evaluatedAt: "desc" },
        select: latestVerdictSelect,
      }),
    })),
  );
}

export async function getTargetBySlug(db: Db, slug: unknown): Promise<TargetDto> {
  const target = await db.target.findUnique({ where: { slug: parseInput(slugSchema, slug) }, select: targetSelect });
  if (!target) throw new AppError("NOT_FOUND", "No such target");
  return target;
}

export async function getTarget(db: Db, id: string): Promise<TargetDto> {
  const target = await db.target.findUnique({ where: { id }, select: targetSelect });
  if (!target) throw new AppError("NOT_FOUND", "No such target");
  return target;
}

export async function createTarget(db: Db, input: unknown): Promise<TargetDto> {
  const data = parseInput(createTargetSchema, input);
  try {
    return await db.target.create({ data, select: targetSelect });
  } catch (error) {
    if (error instanceof Prisma.PrismaClientKnownRequestError && error.code === "P2002") {
      throw new AppError("CONFLICT", "A target with this slug already exists", {
        issues: { slug: "A target with this slug already exists" },
      });
    }
    throw error;
  }
}

export function updateTarget(db: Db, input: unknown): Promise<TargetDto> {
  const { id, ...data } = parseInput(updateTargetSchema, input);
  return changeTarget(db, id, data);
}

export function setMonitoring(db: Db, input: unknown): Promise<TargetDto> {
  const { id, enabled } = parseInput(setMonitoringSchema, input);
  return changeTarget(db, id, { monitoringEnabled: enabled });
}

async function changeTarget(db: Db, id: string, data: Prisma.TargetUpdateInput): Promise<TargetDto> {
  try {
    return await db.target.update({ where: { id }, data, select: targetSelect });
  } catch (error) {
    if (error instanceof Prisma.PrismaClientKnownRequestError && error.code === "P2025") {
      throw new AppError("NOT_FOUND", "No such target");
    }
    throw error;
  }
}
