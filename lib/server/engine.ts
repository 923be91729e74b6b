import "server-only";
// The process' engine client, configured from the environment.
import { createEngineClient, type EngineClient } from "@/lib/engine/client";
import { env } from "@/lib/env";
import { DomainError } from "@/lib/server/errors";

let client: EngineClient | undefined;

export function engine(): EngineClient {
  if (client) return client;
  const e = env();
  if (!e.ENGINE_TOKEN) {
    throw new DomainError(
      "CONFLICT",
      "The engine is not configured: set ENGINE_TOKEN (the start command does).",
    );
  }
  client = createEngineClient({ baseUrl: e.ENGINE_URL, token: e.ENGINE_TOKEN, timeoutMs: 300_000 });
  return client;
}
