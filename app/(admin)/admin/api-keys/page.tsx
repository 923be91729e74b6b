import { requirePageUser } from "@/lib/server/auth/page-guard";
import { ApiKeysPanel } from "./api-keys-panel";

export default async function ApiKeysPage() {
  await requirePageUser("admin");
  return <ApiKeysPanel />;
}
