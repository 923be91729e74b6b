import type { ReactNode } from "react";
import { NavBar } from "@/app/nav-bar";
import { requirePageUser } from "@/lib/server/auth/page-guard";
import { hasRole } from "@/lib/shared/roles";

export const dynamic = "force-dynamic";

export default async function AnnotateLayout({ children }: { children: ReactNode }) {
  const user = await requirePageUser("annotator");
  const links = [{ href: "/annotate", label: "Workspace" }];
  if (hasRole(user.role, "reviewer")) links.push({ href: "/admin", label: "Admin" });
  return (
    <>
      <NavBar user={user} links={links} />
      <main className="mx-auto max-w-6xl px-4 py-8">{children}</main>
    </>
  );
}
