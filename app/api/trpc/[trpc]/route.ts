import { fetchRequestHandler } from "@trpc/server/adapters/fetch";
import { queryStatsEnabled, withQueryStats } from "@/lib/db";
import { crossSiteRefusal } from "@/lib/server/http/csrf";
import { createContext } from "@/lib/trpc/init";
import { appRouter } from "@/lib/trpc/root";

function handler(req: Request) {
  if (queryStatsEnabled()) return handlerWithStats(req);
  return trpcHandler(req);
}

/**
 * Benchmarks: one log line per request with the statements it sent (lib/db.ts withQueryStats) and
 * the handler's own time, from the request reaching it to the response (what the server adds,
 * without the client's side and the wait for the process to be scheduled).
 */
async function handlerWithStats(req: Request) {
  const started = performance.now();
  const [res, stats] = await withQueryStats(() => trpcHandler(req));
  const handlerMs = performance.now() - started;
  const path = new URL(req.url).pathname.replace("/api/trpc/", "");
  console.log(
    `[query-stats] ${path} queries=${stats.queries} ms=${stats.ms.toFixed(1)} handler=${handlerMs.toFixed(1)}`,
  );
  return res;
}

function trpcHandler(req: Request) {
  return fetchRequestHandler({
    endpoint: "/api/trpc",
    req,
    router: appRouter,
    createContext: () => createContext({ headers: req.headers }),
    onError({ error, path }) {
      if (error.code === "INTERNAL_SERVER_ERROR") console.error(`tRPC ${path ?? "?"}:`, error);
    },
  });
}

/** tRPC's error envelope, so clients show the sentence as they show any other error. */
function refuse(status: 403 | 415, message: string) {
  const code = status === 403 ? "FORBIDDEN" : "UNSUPPORTED_MEDIA_TYPE";
  return Response.json(
    {
      error: {
        json: {
          message,
          code: status === 403 ? -32003 : -32015,
          data: { code, httpStatus: status },
        },
      },
    },
    { status },
  );
}

/** Mutations (POST): JSON only, and only from this site's pages (lib/server/http/csrf.ts). */
function post(req: Request) {
  const refused = crossSiteRefusal(req);
  if (refused) return refuse(refused.status, refused.message);
  return handler(req);
}

export { handler as GET, post as POST };
