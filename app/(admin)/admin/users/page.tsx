import { requirePageUser } from "@/lib/server/auth/page-guard";
import { UsersPanel } from "./users-panel";

export default async function UsersPage() {
  const me = await requirePageUser("admin");
  return <UsersPanel meId={me.id} />;
}
