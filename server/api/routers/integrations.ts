// Settings → Integrations: the SNS topics Rewind confirms, the CloudWatch alarm → target table, what alert senders
// sent that Rewind refused lately, and the OTLP target mapping rules. Admins only.
import "server-only";
import { snsSettingsSchema } from "../../domain/intake/sns";
import { deleteTargetRuleSchema, targetRuleSchema, updateTargetRuleSchema } from "../../domain/intake/target-rules";
import { integrationSettings, saveSnsSettings } from "../../services/intake/sns-settings";
import {
  createTargetRule,
  deleteTargetRule,
  listTargetRules,
  updateTargetRule,
} from "../../services/intake/target-rules";
import { adminProcedure, createTRPCRouter } from "../trpc";

export const integrationsRouter = createTRPCRouter({
  settings: adminProcedure.query(({ ctx }) => integrationSettings(ctx.db)),
  /** Replaces the SNS settings (the whole form); audited as integration.sns_settings_changed. */
  saveSns: adminProcedure
    .input(snsSettingsSchema)
    .mutation(({ ctx, input }) => saveSnsSettings(ctx.db, { actor: ctx.actor, ...input }, ctx.now)),
  /** Target mapping rules, most specific first (the order they are tried in). */
  targetRules: adminProcedure.query(({ ctx }) => listTargetRules(ctx.db)),
  /** Audited as integration.target_rule_created, _updated and _deleted. */
  createTargetRule: adminProcedure
    .input(targetRuleSchema)
    .mutation(({ ctx, input }) => createTargetRule(ctx.db, { actor: ctx.actor, ...input }, ctx.now)),
  updateTargetRule: adminProcedure
    .input(updateTargetRuleSchema)
    .mutation(({ ctx, input }) => updateTargetRule(ctx.db, { actor: ctx.actor, ...input }, ctx.now)),
  deleteTargetRule: adminProcedure
    .input(deleteTargetRuleSchema)
    .mutation(({ ctx, input }) => deleteTargetRule(ctx.db, { actor: ctx.actor, ...input }, ctx.now)),
});
