// Server-sent events: the two responses of a comparison as they are generated (see
// lib/shared/pair-stream.ts for the events). Only the annotator holding the comparison may watch.
import { getSessionUser } from "@/lib/server/auth/auth";
import { streamComparison } from "@/lib/server/annotation/generate";
import { DomainError } from "@/lib/server/errors";
import type { TPairEvent } from "@/lib/shared/pair-stream";

export const dynamic = "force-dynamic";

export async function GET(req: Request, ctx: { params: Promise<{ id: string }> }) {
  const user = await getSessionUser(req.headers);
  if (!user)
    return Response.json({ code: "UNAUTHORIZED", message: "Sign in first" }, { status: 401 });
  const { id } = await ctx.params;
  if (!/^[a-z0-9]{1,64}$/i.test(id))
    return Response.json(
      { code: "BAD_REQUEST", message: "Malformed comparison id" },
      { status: 400 },
    );

  const encoder = new TextEncoder();
  const body = new ReadableStream<Uint8Array>({
    async start(controller) {
      let open = true;
      const emit = (event: TPairEvent) => {
        if (!open) return; // the browser left; generation still finishes and is stored
        try {
          controller.enqueue(encoder.encode(`data: ${JSON.stringify(event)}\n\n`));
        } catch {
          open = false;
        }
      };
      try {
        await streamComparison(user.id, id, emit);
      } catch (error) {
        emit({
          type: "error",
          message:
            error instanceof DomainError
              ? error.message
              : "The server failed while sampling this pair.",
          retryable: !(error instanceof DomainError),
        });
        if (!(error instanceof DomainError)) console.error("pair stream:", error);
      }
      if (open) controller.close();
      open = false;
    },
  });
  return new Response(body, {
    headers: {
      "content-type": "text/event-stream",
      "cache-control": "no-cache, no-transform",
      connection: "keep-alive",
    },
  });
}
