import "server-only";
import { z } from "zod";
import { apiKeyEncryptionKey } from "../../env.js";
import { createApiKeySchema } from "../../domain/api-keys";
import { createApiKey, listApiKeys, revokeApiKey } from "../../services/access/api-keys";
import { adminProcedure, createTRPCRouter } from "../trpc";

export const apiKeysRouter = createTRPCRouter({
  list: adminProcedure.query(({ ctx }) => listApiKeys(ctx.db)),
  /** The key and its signing secret are in this response only. */
  create: adminProcedure
    .input(createApiKeySchema)
    .mutation(({ ctx, input }) =>
      createApiKey(ctx.db, { actor: ctx.actor, ...input }, { now: ctx.now, encryptionKey: apiKeyEncryptionKey() }),
    ),
  revoke: adminProcedure
    .input(z.object({ id: z.string().min(1) }))
    .mutation(({ ctx, input }) => revokeApiKey(ctx.db, { actor: ctx.actor, ...input }, ctx.now)),
});
