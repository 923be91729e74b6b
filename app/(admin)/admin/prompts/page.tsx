import { requirePageUser } from "@/lib/server/auth/page-guard";
import { PromptsPanel } from "./prompts-panel";

export default async function PromptsPage() {
  const user = await requirePageUser("reviewer");
  return <PromptsPanel canImport={user.role === "admin"} />;
}
