import "server-only";
// The prompt pool for the admin pages: filters by source, tag, risk category and safety, text
// search, in curriculum order (prompts without an order last), a page at a time.
import { z } from "zod";
import { prisma } from "@/lib/db";
import type { Prisma } from "@/lib/generated/prisma/client";

export const PROMPT_SOURCES = ["seed", "demo", "annotator", "import"] as const;

export const ZListPrompts = z.object({
  limit: z.number().int().min(1).max(200).default(50),
  page: z.number().int().min(1).max(100_000).default(1),
  isSafety: z.boolean().optional(),
  source: z.enum(PROMPT_SOURCES).optional(),
  tag: z.string().trim().min(1).max(40).optional(),
  riskCategory: z.string().trim().min(1).max(64).optional(),
  search: z.string().trim().min(1).max(200).optional(),
});
export type TListPrompts = z.input<typeof ZListPrompts>;

export async function listPrompts(input: TListPrompts) {
  const filter = ZListPrompts.parse(input);
  const where: Prisma.PromptWhereInput = {
    ...(filter.isSafety === undefined ? {} : { isSafety: filter.isSafety }),
    ...(filter.source ? { source: filter.source } : {}),
    ...(filter.tag ? { tags: { has: filter.tag } } : {}),
    ...(filter.riskCategory ? { riskCategory: filter.riskCategory } : {}),
    ...(filter.search ? { text: { contains: filter.search, mode: "insensitive" } } : {}),
  };
  const [items, total] = await Promise.all([
    prisma.prompt.findMany({
      where,
      orderBy: [
        { curriculumOrder: { sort: "asc", nulls: "last" } },
        { createdAt: "asc" },
        { id: "asc" },
      ],
      skip: (filter.page - 1) * filter.limit,
      take: filter.limit,
      include: { author: { select: { email: true } } },
    }),
    prisma.prompt.count({ where }),
  ]);
  return { items, total, page: filter.page, limit: filter.limit };
}

/** What the filters can choose from: tags and risk categories in use, counts per source. */
export async function promptFacets() {
  const [tags, risks, sources] = await Promise.all([
    prisma.$queryRaw<{ tag: string; n: number }[]>`
      SELECT t AS tag, count(*)::int AS n FROM prompt, unnest(tags) AS t
      GROUP BY t ORDER BY n DESC, t ASC LIMIT 200`,
    prisma.prompt.groupBy({
      by: ["riskCategory"],
      where: { riskCategory: { not: null } },
      _count: { _all: true },
      orderBy: { riskCategory: "asc" },
    }),
    prisma.prompt.groupBy({ by: ["source"], _count: { _all: true }, orderBy: { source: "asc" } }),
  ]);
  return {
    tags,
    riskCategories: risks.map((r) => ({ riskCategory: r.riskCategory!, n: r._count._all })),
    sources: sources.map((s) => ({ source: s.source, n: s._count._all })),
  };
}
