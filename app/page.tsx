import { headers } from "next/headers";
import { redirect } from "next/navigation";
import { getSessionUser } from "@/lib/server/auth/auth";
import { homePath } from "@/lib/shared/roles";

export const dynamic = "force-dynamic";

export default async function Home() {
  const user = await getSessionUser(await headers());
  redirect(user ? homePath(user.role) : "/sign-in");
}
