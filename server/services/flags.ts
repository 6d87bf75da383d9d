// Feature flags and the kill switches the emergency stop turns off.
import type { Tx } from "../db";
import { appendAudit, type Actor } from "./audit";

/**
 * Turns off every enabled kill-switch flag (of one target and the global ones, or all when no target is
 * given), auditing each. Returns the keys it turned off. Only a person turns them back on.
 */
export async function disableKillSwitches(
  tx: Tx,
  options: { actor: Actor; targetId?: string; reason: string; now: Date },
): Promise<string[]> {
  const flags = await tx.featureFlag.findMany({
    where: {
      killSwitch: true,
      enabled: true,
      ...(options.targetId ? { OR: [{ targetId: options.targetId }, { targetId: null }] } : {}),
    },
    select: { id: true, key: true, targetId: true },
    orderBy: { key: "asc" },
  });
  for (const flag of flags) {
    await tx.featureFlag.update({
      where: { id: flag.id },
      data: { enabled: false, updatedById: options.actor.type === "SYSTEM" ? null : options.actor.id },
    });
    await appendAudit(
      tx,
      {
        actor: options.actor,
        action: "flag.kill_switch_off",
        entityType: "FeatureFlag",
        entityId: flag.id,
        targetId: flag.targetId,
        before: { enabled: true },
        after: { enabled: false },
        reason: options.reason,
      },
      options.now,
    );
  }
  return flags.map((flag) => flag.key);
}
