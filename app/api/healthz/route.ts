import { prisma } from "@/lib/db";

export const dynamic = "force-dynamic";

/** Liveness for the start script and load balancers: the database answers. */
export async function GET() {
  try {
    await prisma.$queryRaw`SELECT 1`;
    return Response.json({ ok: true, database: "up" });
  } catch (error) {
    return Response.json({ ok: false, database: String(error) }, { status: 503 });
  }
}
