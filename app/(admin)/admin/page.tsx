import Link from "next/link";
import { prisma } from "@/lib/db";
import { requirePageUser } from "@/lib/server/auth/page-guard";

export default async function AdminHome() {
  await requirePageUser("reviewer");
  const db = prisma;
  const [users, prompts, rounds, comparisons, annotations] = await Promise.all([
    db.user.count(),
    db.prompt.count(),
    db.round.count(),
    db.comparison.count(),
    db.annotation.count(),
  ]);
  const stats = [
    { label: "Users", value: users, href: "/admin/users" },
    { label: "Prompts", value: prompts },
    { label: "Rounds", value: rounds },
    { label: "Comparisons", value: comparisons },
    { label: "Annotations", value: annotations },
  ];
  return (
    <section aria-labelledby="admin-title">
      <h1 id="admin-title" className="text-2xl font-semibold">
        Admin
      </h1>
      <p className="mt-1 text-sm text-slate-600">Rounds, jobs and models will be run from here.</p>
      <dl className="mt-6 grid grid-cols-2 gap-4 md:grid-cols-5">
        {stats.map((s) => (
          <div key={s.label} className="rounded-lg border border-slate-200 bg-white p-4">
            <dt className="text-sm text-slate-600">{s.label}</dt>
            <dd className="text-2xl font-semibold">
              {s.href ? (
                <Link href={s.href} className="hover:underline">
                  {s.value}
                </Link>
              ) : (
                s.value
              )}
            </dd>
          </div>
        ))}
      </dl>
    </section>
  );
}
