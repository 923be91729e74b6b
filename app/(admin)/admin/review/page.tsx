import { requirePageUser } from "@/lib/server/auth/page-guard";
import { ReviewPanel } from "./review-panel";

export default async function ReviewPage() {
  await requirePageUser("reviewer");
  return <ReviewPanel />;
}
