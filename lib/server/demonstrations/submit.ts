import "server-only";
// Submitting a demonstration. Idempotent by the client's key: a double click or a retry after a
// timeout returns the first demonstration. Refused with a message: a near-empty reply, turns out
// of order, more turns than the round allows, a queued prompt that was changed, a sample the
// server did not hand out for this dialogue, and a duplicate of any earlier demonstration (same
// normalised content, see content.ts; the unique index makes this hold under concurrent submits).
import { prisma } from "@/lib/db";
import { Prisma } from "@/lib/generated/prisma/client";
import { env } from "@/lib/env";
import { activeRound } from "@/lib/server/annotation/assign";
import { DomainError } from "@/lib/server/errors";
import { ZNewPrompt } from "@/lib/shared/annotation";
import {
  demonstrationProblem,
  trimMessages,
  type TSubmitDemonstration,
} from "@/lib/shared/demonstrations";
import { contentHash, verifySample } from "./content";

export type TSubmitDemonstrationResult = {
  demonstrationId: string;
  /** True when this call made it; false when the key had already been used. */
  created: boolean;
  status: "pending" | "approved" | "rejected";
};

export const DUPLICATE_MESSAGE =
  "This demonstration duplicates one already submitted (same text, ignoring case and spacing): change it or write another";

async function existingByKey(annotatorId: string, idempotencyKey: string) {
  const found = await prisma.demonstration.findUnique({
    where: { annotatorId_idempotencyKey: { annotatorId, idempotencyKey } },
    select: { id: true, status: true },
  });
  return found ? { demonstrationId: found.id, created: false, status: found.status } : null;
}

export async function submitDemonstration(
  annotatorId: string,
  input: TSubmitDemonstration,
  now: Date,
): Promise<TSubmitDemonstrationResult> {
  const again = await existingByKey(annotatorId, input.idempotencyKey);
  if (again) return again;

  const active = await activeRound();
  if (!active) throw new DomainError("CONFLICT", "No round is collecting right now");
  const { round, config } = active;

  const messages = trimMessages(input.messages);
  const problem = demonstrationProblem(messages);
  if (problem) throw new DomainError("BAD_REQUEST", problem);
  const replies = messages.filter((m) => m.role === "assistant").length;
  if (replies > config.maxTurns)
    throw new DomainError(
      "BAD_REQUEST",
      `This round allows at most ${config.maxTurns} assistant turns per dialogue`,
    );

  const first = messages[0]!.content;
  let promptId: string | null = null;
  if (input.prompt.kind === "queued") {
    if (!config.promptSources.queued)
      throw new DomainError("BAD_REQUEST", "This round does not use queued prompts: write one");
    const prompt = await prisma.prompt.findUnique({ where: { id: input.prompt.promptId } });
    if (!prompt) throw new DomainError("NOT_FOUND", "No such queued prompt");
    if (prompt.text.trim() !== first)
      throw new DomainError(
        "BAD_REQUEST",
        "Turn 1 (user) must be the queued prompt as it is; write your own prompt to change it",
      );
    promptId = prompt.id;
  } else {
    if (!config.promptSources.annotatorWritten)
      throw new DomainError("BAD_REQUEST", "This round uses queued prompts only: take one");
    const parsed = ZNewPrompt.safeParse({ text: first });
    if (!parsed.success)
      throw new DomainError("BAD_REQUEST", `Turn 1 (user): ${parsed.error.issues[0]!.message}`);
  }

  let source: {
    sourceSample: string;
    sourceModelId: string;
    sourceSampling: Prisma.InputJsonValue;
  } | null = null;
  if (input.sample) {
    const s = input.sample;
    const claim = {
      annotatorId,
      context: messages.slice(0, -1),
      text: s.text,
      modelVersionId: s.modelVersionId,
      sampling: s.sampling,
    };
    if (!verifySample(env().BETTER_AUTH_SECRET, claim, s.token))
      throw new DomainError(
        "BAD_REQUEST",
        "The model sample was made for another version of this dialogue: sample again, or submit without it",
      );
    source = { sourceSample: s.text, sourceModelId: s.modelVersionId, sourceSampling: s.sampling };
  }

  const hash = contentHash(messages);
  const duplicate = await prisma.demonstration.findUnique({
    where: { contentHash: hash },
    select: { id: true },
  });
  if (duplicate) {
    // The same submit, retried while the first was being written, is not a duplicate of itself.
    const winner = await existingByKey(annotatorId, input.idempotencyKey);
    if (winner) return winner;
    throw new DomainError("CONFLICT", DUPLICATE_MESSAGE);
  }

  try {
    return await prisma.$transaction(async (tx) => {
      if (!promptId) {
        const p = input.prompt.kind === "write" ? input.prompt : null;
        const prompt = await tx.prompt.create({
          data: {
            text: first,
            taskCategory: p?.taskCategory ?? null,
            riskCategory: p?.riskCategory ?? null,
            isSafety: p?.riskCategory !== undefined,
            adversarial: p?.adversarial ?? false,
            tags: [p?.taskCategory, p?.riskCategory].filter((t): t is NonNullable<typeof t> =>
              Boolean(t),
            ),
            source: "annotator",
            authorId: annotatorId,
          },
        });
        promptId = prompt.id;
      }
      const d = await tx.demonstration.create({
        data: {
          roundId: round.id,
          promptId,
          annotatorId,
          axis: input.axis,
          messages,
          ...(source ?? {}),
          contentHash: hash,
          idempotencyKey: input.idempotencyKey,
          timeSpentMs: input.timeSpentMs,
          createdAt: now,
        },
      });
      return { demonstrationId: d.id, created: true, status: d.status };
    });
  } catch (error) {
    // Two submits raced: the same key (return the winner) or the same content (a duplicate).
    if (error instanceof Prisma.PrismaClientKnownRequestError && error.code === "P2002") {
      const winner = await existingByKey(annotatorId, input.idempotencyKey);
      if (winner) return winner;
      throw new DomainError("CONFLICT", DUPLICATE_MESSAGE);
    }
    throw error;
  }
}
