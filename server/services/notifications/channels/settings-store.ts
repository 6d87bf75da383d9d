// Channel settings saved by admins, one `Setting` row per channel (they override environment defaults).
import "server-only";
import type { Db, Tx } from "../../../db";

export async function readSetting(db: Db | Tx, key: string): Promise<string | null> {
  const setting = await db.setting.findUnique({ where: { key }, select: { value: true } });
  return setting?.value ?? null;
}

export async function writeSetting(tx: Tx, key: string, value: string, actorId: string | null): Promise<void> {
  await tx.setting.upsert({
    where: { key },
    create: { key, value, updatedById: actorId },
    update: { value, updatedById: actorId },
  });
}

export async function deleteSetting(tx: Tx, key: string): Promise<void> {
  await tx.setting.deleteMany({ where: { key } });
}
