import { requirePageUser } from "@/lib/server/auth/page-guard";
import { hasRole } from "@/lib/shared/roles";
import { AdminOverview } from "./overview";

export default async function AdminHome() {
  const user = await requirePageUser("reviewer");
  return (
    <section aria-labelledby="admin-title">
      <h1 id="admin-title" className="text-2xl font-semibold">
        Overview
      </h1>
      <p className="mt-1 text-sm text-slate-600">
        The round under way, jobs, the newest models and the annotators who need a look.
      </p>
      <AdminOverview isAdmin={hasRole(user.role, "admin")} />
    </section>
  );
}
