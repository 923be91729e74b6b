"use client";
import Link from "next/link";
import { usePathname, useRouter } from "next/navigation";
import { authClient } from "@/lib/client/auth-client";

export type TNavLink = { href: string; label: string };

export function NavBar({
  user,
  links,
}: {
  user: { name: string; email: string; role: string };
  links: TNavLink[];
}) {
  const router = useRouter();
  const pathname = usePathname();
  async function signOut() {
    await authClient.signOut();
    router.replace("/sign-in");
    router.refresh();
  }
  return (
    <header className="border-b border-slate-200 bg-white">
      <nav
        className="mx-auto flex max-w-6xl items-center gap-3 px-4 py-3 sm:gap-6"
        aria-label="Main"
      >
        <Link href="/" className="font-semibold text-indigo-700">
          Pairwise
        </Link>
        <ul className="flex gap-3 text-sm sm:gap-4">
          {links.map((l) => (
            <li key={l.href}>
              <Link
                href={l.href}
                aria-current={pathname === l.href ? "page" : undefined}
                className={
                  pathname === l.href
                    ? "font-medium text-slate-900"
                    : "text-slate-600 hover:text-slate-900"
                }
              >
                {l.label}
              </Link>
            </li>
          ))}
        </ul>
        <div className="ml-auto flex min-w-0 items-center gap-3 text-sm">
          {/* On a phone the account is the Sign out button's tooltip: the button stays on screen. */}
          <span
            data-testid="current-user"
            className="hidden truncate text-slate-600 sm:inline"
            title={`${user.email} · ${user.role}`}
          >
            {user.email} · {user.role}
          </span>
          <button
            onClick={signOut}
            title={`Signed in as ${user.email}`}
            className="shrink-0 rounded-md border border-slate-300 px-3 py-1 hover:bg-slate-100"
          >
            Sign out
          </button>
        </div>
      </nav>
    </header>
  );
}
