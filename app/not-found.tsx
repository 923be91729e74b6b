// Any address that leads nowhere: say so, and offer the way home (the home page sends each
// person to their workspace, or to sign in).
import Link from "next/link";

export const metadata = { title: "Page not found · Pairwise" };

export default function NotFound() {
  return (
    <main className="mx-auto max-w-xl px-4 py-16 text-center">
      <p className="text-sm font-medium text-indigo-700">404</p>
      <h1 className="mt-2 text-2xl font-semibold">This page does not exist</h1>
      <p className="mt-2 text-slate-600">
        The address may be mistyped, or what it pointed to was removed.
      </p>
      <Link
        href="/"
        className="mt-6 inline-block rounded-md bg-indigo-600 px-4 py-2 font-medium text-white hover:bg-indigo-700"
      >
        Go to the home page
      </Link>
    </main>
  );
}
