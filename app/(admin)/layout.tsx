import type { ReactNode } from "react";
import { NavBar } from "@/app/nav-bar";
import { requirePageUser } from "@/lib/server/auth/page-guard";
import { hasRole } from "@/lib/shared/roles";

export const dynamic = "force-dynamic";

export default async function AdminLayout({ children }: { children: ReactNode }) {
  const user = await requirePageUser("reviewer");
  const links = [
    { href: "/admin", label: "Overview" },
    { href: "/admin/rounds", label: "Rounds" },
    { href: "/admin/review", label: "Review" },
    { href: "/admin/jobs", label: "Jobs" },
    { href: "/admin/models", label: "Models" },
    { href: "/admin/prompts", label: "Prompts" },
    { href: "/annotate", label: "Workspace" },
  ];
  if (hasRole(user.role, "admin")) {
    links.push(
      { href: "/admin/users", label: "Users" },
      { href: "/admin/annotators", label: "Annotators" },
      { href: "/admin/audit", label: "Audit log" },
      { href: "/admin/api-keys", label: "API keys" },
    );
  }
  return (
    <>
      <NavBar user={user} links={links} />
      <main className="mx-auto max-w-6xl px-4 py-8">{children}</main>
    </>
  );
}
