// Cross-site request forgery: a state-changing request must come from this site's own pages.
// Browsers send Origin on every POST; a page elsewhere (another port on the host, a sibling
// subdomain, a sandboxed frame: Origin "null") is refused. Without CORS preflight a page can only
// send "simple" bodies (form-encoded, multipart, text/plain), so mutations accept only JSON.
import { env } from "@/lib/env";

/** Why this mutation request is refused (a 403 or 415 sentence), or null to let it through. */
export function crossSiteRefusal(
  req: Request,
  publicUrl: string = env().BETTER_AUTH_URL,
): { status: 403 | 415; message: string } | null {
  const origin = req.headers.get("origin");
  if (origin !== null) {
    const own = new URL(publicUrl).origin;
    if (!URL.canParse(origin) || new URL(origin).origin !== own)
      return {
        status: 403,
        message: `Cross-site request refused: Origin ${JSON.stringify(origin.slice(0, 200))} is not ${own}`,
      };
  }
  const site = req.headers.get("sec-fetch-site");
  if (site === "cross-site" || site === "same-site")
    return { status: 403, message: "Cross-site request refused" };
  const type = (req.headers.get("content-type") ?? "").split(";")[0]!.trim().toLowerCase();
  if (type !== "application/json")
    return { status: 415, message: "Send the request body as application/json" };
  return null;
}
