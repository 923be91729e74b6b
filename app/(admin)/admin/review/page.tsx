import Link from "next/link";
import { requirePageUser } from "@/lib/server/auth/page-guard";
import { DemonstrationReview } from "./demonstration-review";
import { ReviewPanel } from "./review-panel";

export default async function ReviewPage({
  searchParams,
}: {
  searchParams: Promise<{ tab?: string | string[] }>;
}) {
  await requirePageUser("reviewer");
  const { tab } = await searchParams;
  const current = tab === "demonstrations" ? "demonstrations" : "annotations";
  const tabs = [
    ["annotations", "Comparisons", "/admin/review"],
    ["demonstrations", "Demonstrations", "/admin/review?tab=demonstrations"],
  ] as const;
  return (
    <div className="space-y-6">
      <nav aria-label="Review" className="flex gap-1 rounded-lg bg-slate-100 p-1 text-sm w-fit">
        {tabs.map(([key, label, href]) => (
          <Link
            key={key}
            href={href}
            aria-current={current === key ? "page" : undefined}
            className={`rounded-md px-3 py-1.5 ${current === key ? "bg-white font-medium shadow-sm" : "text-slate-600 hover:text-slate-900"}`}
          >
            {label}
          </Link>
        ))}
      </nav>
      {current === "demonstrations" ? <DemonstrationReview /> : <ReviewPanel />}
    </div>
  );
}
