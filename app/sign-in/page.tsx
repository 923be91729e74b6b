import { headers } from "next/headers";
import { redirect } from "next/navigation";
import { getSessionUser } from "@/lib/server/auth/auth";
import { homePath } from "@/lib/shared/roles";
import { SignInForm } from "./sign-in-form";

export const dynamic = "force-dynamic";

export default async function SignInPage() {
  const user = await getSessionUser(await headers());
  if (user) redirect(homePath(user.role));
  return (
    <main className="flex min-h-screen items-center justify-center px-4">
      <div className="w-full max-w-sm rounded-xl border border-slate-200 bg-white p-8 shadow-sm">
        <h1 className="text-2xl font-semibold">Pairwise</h1>
        <p className="mt-1 text-sm text-slate-600">
          Sign in to compare responses and run RLHF rounds.
        </p>
        <SignInForm />
      </div>
    </main>
  );
}
