import "server-only";
// The admin routes that are not tRPC (file upload, downloads): the signed-in admin behind a
// request, or the JSON error to answer. A state-changing request must come from this site's own
// pages: its Origin, when sent, names the host it was sent to or the public URL (BETTER_AUTH_URL).
import { env } from "@/lib/env";
import { getSessionUser, type TSessionUser } from "@/lib/server/auth/auth";
import { hasRole } from "@/lib/shared/roles";

export async function requireAdminRequest(
  req: Request,
  opts: { mutation: boolean },
): Promise<{ user: TSessionUser } | { response: Response }> {
  if (opts.mutation) {
    const origin = req.headers.get("origin");
    const host = req.headers.get("host");
    const sameSite = (o: string) =>
      URL.canParse(o) &&
      (new URL(o).host === host || new URL(o).origin === new URL(env().BETTER_AUTH_URL).origin);
    if (origin && !sameSite(origin))
      return {
        response: Response.json(
          { ok: false, error: "Cross-site request refused" },
          { status: 403 },
        ),
      };
  }
  const user = await getSessionUser(req.headers);
  if (!user)
    return { response: Response.json({ ok: false, error: "Sign in first" }, { status: 401 }) };
  if (!hasRole(user.role, "admin"))
    return {
      response: Response.json({ ok: false, error: "This needs the admin role" }, { status: 403 }),
    };
  return { user };
}
