// The /api/v1 route handlers, called as Next calls them (a Request in, a Response out), against a
// real database: authentication (missing, malformed, unknown, revoked key, wrong scope), the rate
// limit, malformed parameters, the model endpoints, checkpoint downloads and the OpenAPI document.
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import type { TTestDatabase } from "@/lib/db/testing";
import { withTestDatabase } from "@/lib/testing/database";
import { ZApiError, ZModelList, ZNativeRow, ZRoundList, ZTrlRow } from "@/lib/shared/export";
import { addLabel, seedWorld, type TExportWorld } from "./test-seed";

let db: TTestDatabase;
let dataDir: string;
let w: TExportWorld;
let keys: typeof import("@/lib/server/api-keys/keys");
let limiter: typeof import("@/lib/server/api-keys/rate-limit");
let comparisons: typeof import("@/app/api/v1/comparisons/route");
let models: typeof import("@/app/api/v1/models/route");
let checkpoint: typeof import("@/app/api/v1/models/[id]/checkpoint/route");
let openapi: typeof import("@/app/api/v1/openapi.json/route");
let roundsRoute: typeof import("@/app/api/v1/rounds/route");
let full: string; // every scope
let readOnly: string; // comparisons:read only

const BASE = "http://127.0.0.1/api/v1";
const get = (url: string, key?: string | null, headers: Record<string, string> = {}) =>
  new Request(`${BASE}${url}`, {
    headers: key ? { authorization: `Bearer ${key}`, ...headers } : headers,
  });

beforeAll(async () => {
  dataDir = await mkdtemp(path.join(tmpdir(), "pairwise-export-"));
  process.env.PAIRWISE_DATA_DIR = dataDir;
  db = await withTestDatabase();
  keys = await import("@/lib/server/api-keys/keys");
  limiter = await import("@/lib/server/api-keys/rate-limit");
  comparisons = await import("@/app/api/v1/comparisons/route");
  models = await import("@/app/api/v1/models/route");
  checkpoint = await import("@/app/api/v1/models/[id]/checkpoint/route");
  openapi = await import("@/app/api/v1/openapi.json/route");
  roundsRoute = await import("@/app/api/v1/rounds/route");
  w = await seedWorld(db.prisma);
  for (let i = 0; i < 3; i++)
    await addLabel(db.prisma, w, {
      round: 1,
      votes: [[w.users.ann1, "A", "better"]],
      at: new Date(Date.UTC(2026, 5, 1, 10, i)),
    });
  full = (
    await keys.createApiKey(w.users.admin, {
      name: "all",
      scopes: ["comparisons:read", "models:read", "models:download"],
    })
  ).secret;
  readOnly = (await keys.createApiKey(w.users.admin, { name: "ro", scopes: ["comparisons:read"] }))
    .secret;
  await mkdir(path.join(dataDir, "models/policy-v1/sub"), { recursive: true });
  await writeFile(path.join(dataDir, "models/policy-v1/config.json"), '{"dim":64}');
  await writeFile(path.join(dataDir, "models/policy-v1/sub/weights.bin"), Buffer.alloc(700, 7));
});
afterAll(async () => {
  await (await import("./query")).closeExportDb();
  await db?.close();
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});
beforeEach(() => limiter.apiRateLimiter.reset());

async function expectError(res: Response, status: number, code: string) {
  expect(res.status).toBe(status);
  const body = ZApiError.parse(await res.json());
  expect(body.error.code).toBe(code);
  return body.error;
}

describe("API keys", () => {
  it("stores a hash and a prefix, never the secret", async () => {
    const created = await keys.createApiKey(w.users.admin, {
      name: "x",
      scopes: ["models:read"],
    });
    expect(created.secret).toMatch(/^pw_[A-Za-z0-9_-]{43}$/);
    const row = await db.prisma.apiKey.findUniqueOrThrow({ where: { id: created.id } });
    expect(row.hash).toBe(keys.hashApiKey(created.secret));
    expect(JSON.stringify(row)).not.toContain(created.secret);
    expect(created.secret.startsWith(row.prefix)).toBe(true);
    const listed = await keys.listApiKeys();
    expect(JSON.stringify(listed)).not.toContain(created.secret);
  });

  it("records the last use, at most once a minute", async () => {
    const k = await keys.createApiKey(w.users.admin, { name: "u", scopes: ["models:read"] });
    const t = new Date("2026-11-27T12:00:00Z");
    expect((await keys.authenticateApiKey(`Bearer ${k.secret}`, "models:read", t)).ok).toBe(true);
    const later = new Date(t.getTime() + 30_000);
    await keys.authenticateApiKey(`Bearer ${k.secret}`, "models:read", later);
    const row = await db.prisma.apiKey.findUniqueOrThrow({ where: { id: k.id } });
    expect(row.lastUsedAt).toEqual(t);
    const much = new Date(t.getTime() + 61_000);
    await keys.authenticateApiKey(`Bearer ${k.secret}`, "models:read", much);
    expect((await db.prisma.apiKey.findUniqueOrThrow({ where: { id: k.id } })).lastUsedAt).toEqual(
      much,
    );
  });
});

describe("authentication", () => {
  it("401 without a key, with a malformed header, an unknown key or a revoked key", async () => {
    let e = await expectError(await comparisons.GET(get("/comparisons")), 401, "unauthorized");
    expect(e.message).toMatch(/Bearer/);
    e = await expectError(
      await comparisons.GET(get("/comparisons", null, { authorization: "Basic abc" })),
      401,
      "unauthorized",
    );
    expect(e.message).toMatch(/Malformed/);
    await expectError(await comparisons.GET(get("/comparisons", "pw_short")), 401, "unauthorized");
    e = await expectError(
      await comparisons.GET(get("/comparisons", keys.generateApiKeySecret())),
      401,
      "unauthorized",
    );
    expect(e.message).toMatch(/Unknown/);
    const k = await keys.createApiKey(w.users.admin, { name: "r", scopes: ["comparisons:read"] });
    expect((await comparisons.GET(get("/comparisons?limit=1", k.secret))).status).toBe(200);
    await keys.revokeApiKey(k.id);
    e = await expectError(
      await comparisons.GET(get("/comparisons?limit=1", k.secret)),
      401,
      "unauthorized",
    );
    expect(e.message).toMatch(/revoked/);
  });

  it("403 for a key without the scope", async () => {
    const e = await expectError(await models.GET(get("/models", readOnly)), 403, "forbidden");
    expect(e.message).toContain("models:read");
    await expectError(
      await checkpoint.GET(get(`/models/${w.models.v1.id}/checkpoint`, readOnly), {
        params: Promise.resolve({ id: w.models.v1.id }),
      }),
      403,
      "forbidden",
    );
  });

  it("429 with Retry-After once a key's burst is spent; other keys are unaffected", async () => {
    // The clock stands still, so a slow (loaded) machine cannot refill the bucket mid-burst.
    vi.useFakeTimers({ toFake: ["Date"], now: new Date() });
    try {
      const statuses: number[] = [];
      for (let i = 0; i <= limiter.RATE_LIMIT_BURST; i++)
        statuses.push((await comparisons.GET(get("/comparisons?limit=oops", readOnly))).status);
      expect(statuses.slice(0, -1).every((s) => s === 400)).toBe(true);
      const res = await comparisons.GET(get("/comparisons?limit=1", readOnly));
      await expectError(res, 429, "rate_limited");
      expect(Number(res.headers.get("retry-after"))).toBeGreaterThan(0);
      expect((await comparisons.GET(get("/comparisons?limit=1", full))).status).toBe(200);
    } finally {
      vi.useRealTimers();
    }
  });
});

describe("parameters", () => {
  const cases: [string, string][] = [
    ["round=abc", "round"],
    ["round=0", "round"],
    ["axis=honesty", "axis"],
    ["from=yesterday", "from"],
    ["to=2026-13-45", "to"],
    ["reviewStatus=approved,maybe", "reviewStatus"],
    ["minAgreement=1.5", "minAgreement"],
    ["limit=0", "limit"],
    ["limit=100000", "limit"],
    ["format=csv", "format"],
    ["margin=huge", "margin"],
    ["cursor=bm90LWEtY3Vyc29y", "cursor"],
    ["rounds=1", "rounds"],
    ["round=1&round=2", "round"],
    ["format=parquet&limit=5", "limit"],
  ];
  it.each(cases)("%s → 400 naming %s", async (qs, parameter) => {
    const e = await expectError(
      await comparisons.GET(get(`/comparisons?${qs}`, full)),
      400,
      "invalid_parameter",
    );
    expect(e.parameter).toBe(parameter);
    expect(e.message).toContain(`"${parameter}"`);
  });
});

describe("comparisons", () => {
  it("streams NDJSON in the requested format", async () => {
    const res = await comparisons.GET(get("/comparisons?format=trl", full));
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/application\/x-ndjson/);
    const lines = (await res.text()).split("\n").filter(Boolean);
    expect(lines).toHaveLength(3);
    for (const l of lines) ZTrlRow.parse(JSON.parse(l));
  });

  it("pages with X-Next-Cursor and a Link header until the end", async () => {
    const ids: string[] = [];
    let url: string | null = "/comparisons?limit=2";
    let pages = 0;
    while (url) {
      const res = await comparisons.GET(get(url, full));
      expect(res.status).toBe(200);
      for (const l of (await res.text()).split("\n").filter(Boolean))
        ids.push(ZNativeRow.parse(JSON.parse(l)).id);
      const link = res.headers.get("link");
      url = link ? /^<\/api\/v1([^>]+)>; rel="next"$/.exec(link)![1]! : null;
      if (url) expect(res.headers.get("x-next-cursor")).toBeTruthy();
      pages++;
    }
    expect(ids).toHaveLength(3);
    expect(new Set(ids).size).toBe(3);
    expect(pages).toBe(2);
  });

  it("sends Parquet", async () => {
    const res = await comparisons.GET(get("/comparisons?format=parquet", full));
    expect(res.headers.get("content-type")).toBe("application/vnd.apache.parquet");
    const bytes = new Uint8Array(await res.arrayBuffer());
    expect(Buffer.from(bytes.slice(0, 4)).toString()).toBe("PAR1");
    expect(Buffer.from(bytes.slice(-4)).toString()).toBe("PAR1");
  });
});

describe("models", () => {
  it("lists model versions with metrics and whether they can be downloaded", async () => {
    const res = await models.GET(get("/models", full));
    const body = ZModelList.parse(await res.json());
    expect(body.models.map((m) => [m.name, m.round, m.downloadable])).toEqual([
      ["policy-v1", 1, true],
      ["policy-v2", 2, false],
    ]);
    expect(body.models[1]!.metrics).toEqual({ winRate: 0.61 });
    expect(body.models[1]!.parentId).toBe(w.models.v1.id);
  });

  it("streams a checkpoint folder as tar", async () => {
    const id = w.models.v1.id;
    const res = await checkpoint.GET(get(`/models/${id}/checkpoint`, full), {
      params: Promise.resolve({ id }),
    });
    expect(res.status).toBe(200);
    const tar = Buffer.from(await res.arrayBuffer());
    expect(tar.length).toBe(Number(res.headers.get("content-length")));
    // Headers at 0 and 1024 (config.json is 10 bytes → one data block), then 700 bytes → 2 blocks.
    expect(tar.subarray(0, 11).toString()).toBe("config.json");
    expect(tar.subarray(512, 522).toString()).toBe('{"dim":64}');
    expect(tar.subarray(1024, 1039).toString()).toBe("sub/weights.bin");
    expect(tar.subarray(257, 262).toString()).toBe("ustar");
    expect(tar[1536]).toBe(7);
    expect(tar.length).toBe(512 * 2 + 512 * 3 + 1024);
  });

  it("refuses a checkpoint outside the data directory, and unknown models", async () => {
    const id = w.models.v2.id; // artifactPath /etc
    const e = await expectError(
      await checkpoint.GET(get(`/models/${id}/checkpoint`, full), {
        params: Promise.resolve({ id }),
      }),
      404,
      "not_found",
    );
    expect(e.message).toMatch(/not in the data directory/);
    await db.prisma.modelVersion.update({
      where: { id },
      data: { artifactPath: "../../../../etc" },
    });
    await expectError(
      await checkpoint.GET(get(`/models/${id}/checkpoint`, full), {
        params: Promise.resolve({ id }),
      }),
      404,
      "not_found",
    );
    await expectError(
      await checkpoint.GET(get(`/models/nope/checkpoint`, full), {
        params: Promise.resolve({ id: "nope" }),
      }),
      404,
      "not_found",
    );
  });
});

describe("rounds", () => {
  it("lists each round's labels, comparisons by state, resamples and dropped pairs", async () => {
    const before = ZRoundList.parse(await (await roundsRoute.GET(get("/rounds", readOnly))).json());
    expect(before.rounds.map((r) => r.number)).toEqual([1, 2]);
    const labels = await db.prisma.annotation.count();
    expect(
      before.rounds.reduce((n, r) => n + r.annotations.helpfulness + r.annotations.safety, 0),
    ).toBe(labels);
    const r1 = before.rounds[0]!;
    const c = await db.prisma.comparison.findFirstOrThrow({ where: { roundId: w.rounds[1] } });
    await db.prisma.comparison.update({ where: { id: c.id }, data: { resamples: 2 } });
    await db.prisma.comparison.create({
      data: {
        roundId: w.rounds[1]!,
        promptId: w.promptId,
        axis: "helpfulness",
        context: [],
        samplingA: {},
        samplingB: {},
        swapped: false,
        status: "dropped",
        resamples: 3,
        error: "identical responses after 3 resamples",
      },
    });
    const after = ZRoundList.parse(await (await roundsRoute.GET(get("/rounds", readOnly))).json());
    const a1 = after.rounds[0]!;
    expect([a1.resamples, a1.dropped]).toEqual([r1.resamples + 5, r1.dropped + 1]);
    expect(a1.comparisons.dropped).toBe(1);
    expect(a1.annotations).toEqual(r1.annotations);
  });

  it("needs comparisons:read and takes no parameters", async () => {
    const modelsOnly = (
      await keys.createApiKey(w.users.admin, { name: "models only", scopes: ["models:read"] })
    ).secret;
    await expectError(await roundsRoute.GET(get("/rounds", modelsOnly)), 403, "forbidden");
    await expectError(
      await roundsRoute.GET(get("/rounds?round=1", readOnly)),
      400,
      "invalid_parameter",
    );
  });
});

describe("OpenAPI", () => {
  it("is an OpenAPI 3.1 document whose references all resolve", async () => {
    const doc = (await openapi.GET().json()) as {
      openapi: string;
      paths: Record<string, unknown>;
      components: { schemas: Record<string, unknown> };
    };
    expect(doc.openapi).toBe("3.1.0");
    expect(Object.keys(doc.paths)).toEqual([
      "/api/v1/comparisons",
      "/api/v1/demonstrations",
      "/api/v1/rounds",
      "/api/v1/models",
      "/api/v1/models/{id}/checkpoint",
    ]);
    const refs = [...JSON.stringify(doc).matchAll(/"\$ref":"([^"]+)"/g)].map((m) => m[1]!);
    expect(refs.length).toBeGreaterThan(5);
    for (const ref of refs) {
      expect(ref).toMatch(/^#\/components\/schemas\//);
      expect(doc.components.schemas).toHaveProperty(ref.split("/").pop()!);
    }
    const params = (
      doc.paths["/api/v1/comparisons"] as { get: { parameters: { name: string }[] } }
    ).get.parameters.map((p) => p.name);
    expect(params).toEqual(
      expect.arrayContaining(["round", "axis", "from", "to", "reviewStatus", "minAgreement"]),
    );
    const demo = (
      doc.paths["/api/v1/demonstrations"] as { get: { parameters: { name: string }[] } }
    ).get.parameters.map((p) => p.name);
    expect(demo).toEqual(["format", "round", "axis", "cursor", "limit"]);
    expect(doc.components.schemas).toHaveProperty("DemonstrationRow");
    expect(doc.components.schemas).toHaveProperty("TrlMessagesRow");
  });
});
