import { requirePageUser } from "@/lib/server/auth/page-guard";
import { JobsPanel } from "./jobs-panel";

export default async function JobsPage() {
  const user = await requirePageUser("reviewer");
  return <JobsPanel canManage={user.role === "admin"} />;
}
