import { adminProcedure, createTRPCRouter } from "@/lib/trpc/init";
import { auditFacets, listAudit, ZListAudit } from "@/lib/server/audit/list-audit";

export const auditRouter = createTRPCRouter({
  list: adminProcedure.input(ZListAudit).query(({ input }) => listAudit(input)),
  facets: adminProcedure.query(() => auditFacets()),
});
