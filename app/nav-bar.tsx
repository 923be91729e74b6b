"use client";
// The top bar: the app's name, the page links, the signed-in account and Sign out. With many
// links (the admin pages) they fold into a Menu button below 1280 px, and the account's email
// shows only where there is room, so the bar never wraps and Sign out stays on screen.
import Link from "next/link";
import { usePathname, useRouter } from "next/navigation";
import { useState } from "react";
import { authClient } from "@/lib/client/auth-client";

export type TNavLink = { href: string; label: string };

/** More links than this fold into the menu on narrow screens. */
const INLINE_MAX = 3;

export function NavBar({
  user,
  links,
}: {
  user: { name: string; email: string; role: string };
  links: TNavLink[];
}) {
  const router = useRouter();
  const pathname = usePathname();
  const [open, setOpen] = useState(false);
  const fold = links.length > INLINE_MAX;
  async function signOut() {
    await authClient.signOut();
    router.replace("/sign-in");
    router.refresh();
  }
  const linkClass = (href: string) =>
    pathname === href ? "font-medium text-slate-900" : "text-slate-600 hover:text-slate-900";
  return (
    <header className="relative border-b border-slate-200 bg-white">
      <nav className="mx-auto flex max-w-6xl items-center gap-4 px-4 py-3" aria-label="Main">
        <Link href="/" className="shrink-0 font-semibold text-indigo-700">
          Pairwise
        </Link>
        {fold && (
          <button
            type="button"
            aria-expanded={open}
            aria-controls="nav-menu"
            onClick={() => setOpen((o) => !o)}
            className="rounded-md border border-slate-300 px-3 py-1 text-sm hover:bg-slate-100 xl:hidden"
          >
            Menu
          </button>
        )}
        <ul
          className={`${fold ? "hidden xl:flex" : "flex"} min-w-0 gap-3 text-sm whitespace-nowrap`}
        >
          {links.map((l) => (
            <li key={l.href}>
              <Link
                href={l.href}
                aria-current={pathname === l.href ? "page" : undefined}
                className={linkClass(l.href)}
              >
                {l.label}
              </Link>
            </li>
          ))}
        </ul>
        <div className="ml-auto flex shrink-0 items-center gap-3 text-sm">
          <span
            data-testid="current-user"
            title={`${user.email} · ${user.role}`}
            className="hidden text-slate-600 2xl:inline"
          >
            {user.email} · {user.role}
          </span>
          <button
            onClick={signOut}
            title={`Signed in as ${user.email}`}
            className="shrink-0 rounded-md border border-slate-300 px-3 py-1 whitespace-nowrap hover:bg-slate-100"
          >
            Sign out
          </button>
        </div>
      </nav>
      {fold && open && (
        <div
          id="nav-menu"
          className="absolute inset-x-0 top-full z-20 border-b border-slate-200 bg-white shadow-md xl:hidden"
        >
          <ul className="mx-auto grid max-w-6xl grid-cols-2 gap-x-4 gap-y-1 px-4 py-3 text-sm sm:grid-cols-4">
            {links.map((l) => (
              <li key={l.href}>
                <Link
                  href={l.href}
                  onClick={() => setOpen(false)}
                  aria-current={pathname === l.href ? "page" : undefined}
                  className={`block py-1.5 ${linkClass(l.href)}`}
                >
                  {l.label}
                </Link>
              </li>
            ))}
          </ul>
          <p className="mx-auto max-w-6xl px-4 pb-3 text-xs break-all text-slate-600">
            Signed in as {user.email} · {user.role}
          </p>
        </div>
      )}
    </header>
  );
}
