import { requirePageUser } from "@/lib/server/auth/page-guard";
import { RoundPage } from "./round-page";

export default async function RoundDetailPage({ params }: { params: Promise<{ id: string }> }) {
  const user = await requirePageUser("reviewer");
  const { id } = await params;
  return <RoundPage roundId={id} canManage={user.role === "admin"} />;
}
