import { prisma } from "@/lib/db";

export const dynamic = "force-dynamic";

/**
 * Liveness for the start script and load balancers: the database answers. Public, so a failure
 * says only "database unreachable"; the detail (which can name hosts and users) goes to the log.
 */
export async function GET() {
  try {
    await prisma.$queryRaw`SELECT 1`;
    return Response.json({ ok: true, database: "up" });
  } catch (error) {
    console.error("healthz: the database did not answer:", error);
    return Response.json({ ok: false, database: "database unreachable" }, { status: 503 });
  }
}
