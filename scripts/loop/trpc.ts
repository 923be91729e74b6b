// A plain tRPC call over HTTP (the httpLink wire format with superjson), for procedures called by
// path: the same requests the typed client sends.
import superjson from "superjson";

export class TrpcError extends Error {
  constructor(
    public path: string,
    public code: string,
    message: string,
  ) {
    super(`${path}: ${code}: ${message}`);
  }
}

async function unwrap(path: string, res: Response): Promise<unknown> {
  const text = await res.text();
  let body: {
    result?: { data: unknown };
    error?: { json?: { message?: string; data?: { code?: string } } };
  };
  try {
    body = JSON.parse(text) as typeof body;
  } catch {
    throw new TrpcError(path, String(res.status), text.slice(0, 300));
  }
  if (body.error) {
    const e = body.error.json ?? {};
    throw new TrpcError(path, e.data?.code ?? String(res.status), e.message ?? text.slice(0, 300));
  }
  return superjson.deserialize(body.result!.data as Parameters<typeof superjson.deserialize>[0]);
}

export function rawTrpc(baseUrl: string, cookie: string) {
  const headers = { cookie, origin: baseUrl, "content-type": "application/json" };
  return {
    async mutate<T = unknown>(path: string, input?: unknown): Promise<T> {
      const res = await fetch(`${baseUrl}/api/trpc/${path}`, {
        method: "POST",
        headers,
        body: JSON.stringify(superjson.serialize(input)),
      });
      return (await unwrap(path, res)) as T;
    },
    async query<T = unknown>(path: string, input?: unknown): Promise<T> {
      const q =
        input === undefined
          ? ""
          : `?input=${encodeURIComponent(JSON.stringify(superjson.serialize(input)))}`;
      const res = await fetch(`${baseUrl}/api/trpc/${path}${q}`, { headers });
      return (await unwrap(path, res)) as T;
    },
  };
}
export type TRawTrpc = ReturnType<typeof rawTrpc>;
