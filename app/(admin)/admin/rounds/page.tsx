import { requirePageUser } from "@/lib/server/auth/page-guard";
import { RoundsPanel } from "./rounds-panel";

export default async function RoundsPage() {
  const user = await requirePageUser("reviewer");
  return <RoundsPanel canManage={user.role === "admin"} />;
}
