// Settings → Integrations: the SNS topics Rewind confirms, the CloudWatch alarm → target table, and what alert
// senders sent that Rewind refused lately. Admins only.
import "server-only";
import { snsSettingsSchema } from "../../domain/intake/sns";
import { integrationSettings, saveSnsSettings } from "../../services/intake/sns-settings";
import { adminProcedure, createTRPCRouter } from "../trpc";

export const integrationsRouter = createTRPCRouter({
  settings: adminProcedure.query(({ ctx }) => integrationSettings(ctx.db)),
  /** Replaces the SNS settings (the whole form); audited as integration.sns_settings_changed. */
  saveSns: adminProcedure
    .input(snsSettingsSchema)
    .mutation(({ ctx, input }) => saveSnsSettings(ctx.db, { actor: ctx.actor, ...input }, ctx.now)),
});
