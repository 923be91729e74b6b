import { requirePageUser } from "@/lib/server/auth/page-guard";
import { ModelsPanel } from "./models-panel";

export default async function ModelsPage() {
  const user = await requirePageUser("reviewer");
  return <ModelsPanel canDownload={user.role === "admin"} />;
}
