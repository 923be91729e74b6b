import { requirePageUser } from "@/lib/server/auth/page-guard";
import { AuditTable } from "./audit-table";

export default async function AuditPage() {
  await requirePageUser("admin");
  return <AuditTable />;
}
