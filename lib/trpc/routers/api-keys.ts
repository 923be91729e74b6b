// API keys of the export API (admin only; each mutation is audited by adminProcedure). The secret
// is in create's answer and nowhere else: it is never stored or logged.
import { adminProcedure, createTRPCRouter } from "@/lib/trpc/init";
import { createApiKey, listApiKeys, revokeApiKey } from "@/lib/server/api-keys/keys";
import { ZCreateApiKey, ZRevokeApiKey } from "@/lib/shared/export";

export const apiKeysRouter = createTRPCRouter({
  list: adminProcedure.query(() => listApiKeys()),
  create: adminProcedure
    .input(ZCreateApiKey)
    .mutation(({ ctx, input }) => createApiKey(ctx.user.id, input)),
  revoke: adminProcedure.input(ZRevokeApiKey).mutation(({ input }) => revokeApiKey(input.id)),
});
