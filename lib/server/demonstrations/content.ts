import "server-only";
// Content identity of a demonstration: the SHA-256 of its normalised dialogue (Unicode NFKC,
// lower case, runs of whitespace as one space, trimmed; roles kept), so the same text typed with
// other spacing or capitals is the same demonstration. And the signature of model samples handed
// to annotators, so a submit can only claim a sample the engine really produced.
import { createHash, createHmac, timingSafeEqual } from "node:crypto";
import type { TMessage } from "@/lib/shared/protocol";
import type { TSampleSettings } from "@/lib/shared/demonstrations";

export function normaliseText(text: string): string {
  return text.normalize("NFKC").toLowerCase().replace(/\s+/g, " ").trim();
}

export function contentHash(messages: TMessage[]): string {
  const normal = messages.map((m) => [m.role, normaliseText(m.content)]);
  return createHash("sha256").update(JSON.stringify(normal)).digest("hex");
}

export type TSampleClaim = {
  annotatorId: string;
  /** The dialogue the sample answers (ending with a user turn). */
  context: TMessage[];
  text: string;
  modelVersionId: string;
  sampling: TSampleSettings;
};

function claimDigest(secret: string, c: TSampleClaim): Buffer {
  const payload = JSON.stringify([
    "demonstration-sample",
    c.annotatorId,
    contentHash(c.context),
    c.text,
    c.modelVersionId,
    [c.sampling.temperature, c.sampling.topP, c.sampling.maxTokens, c.sampling.seed],
  ]);
  return createHmac("sha256", secret).update(payload).digest();
}

export function signSample(secret: string, claim: TSampleClaim): string {
  return claimDigest(secret, claim).toString("base64url");
}

export function verifySample(secret: string, claim: TSampleClaim, token: string): boolean {
  const expected = claimDigest(secret, claim);
  const given = Buffer.from(token, "base64url");
  return given.length === expected.length && timingSafeEqual(given, expected);
}
