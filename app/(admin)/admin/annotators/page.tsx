import { requirePageUser } from "@/lib/server/auth/page-guard";
import { AnnotatorsPanel } from "./annotators-panel";

export default async function AnnotatorsPage() {
  await requirePageUser("admin");
  return <AnnotatorsPanel />;
}
