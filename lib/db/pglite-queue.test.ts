// Many clients at once through the embedded server, each with its own statements and parameters
// over the extended protocol and outside transactions: every answer must be its own.
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePort, startPgliteServer, type TPgliteServer } from "./pglite-server";

let server: TPgliteServer;
beforeAll(async () => {
  server = await startPgliteServer({ port: await freePort() });
});
afterAll(async () => {
  await server?.close();
});

describe("embedded server under concurrent extended-protocol clients", () => {
  it("never mixes up two clients' unnamed statements", async () => {
    const pool = new pg.Pool({ connectionString: server.url, max: 16 });
    try {
      const jobs = Array.from({ length: 400 }, async (_, i) => {
        const k = i % 7;
        if (i % 3 === 0) {
          // A simple query (no parameters) drops the unnamed statement of whoever is mid-cycle.
          const { rows } = await pool.query(`SELECT ${i} AS v`);
          return rows[0].v === i;
        }
        if (i % 3 === 1) {
          const client = await pool.connect();
          try {
            await client.query("BEGIN");
            const { rows } = await client.query("SELECT $1::int * 2 AS v", [i]);
            await client.query("COMMIT");
            return rows[0].v === 2 * i;
          } finally {
            client.release();
          }
        }
        // Different statement text per k, so a crossed Bind shows as an error or a wrong value.
        const sql = `SELECT $1::int + ${k} AS v, $2::text AS tag${k % 2 ? ", now() AS t" : ""}`;
        const { rows } = await pool.query(sql, [i, `c${i}`]);
        return rows[0].v === i + k && rows[0].tag === `c${i}`;
      });
      const results = await Promise.all(jobs);
      expect(results.filter((ok) => !ok)).toEqual([]);
    } finally {
      await pool.end();
    }
  });

  it("keeps going after one client's statement fails", async () => {
    const pool = new pg.Pool({ connectionString: server.url, max: 8 });
    try {
      const outcomes = await Promise.allSettled(
        Array.from({ length: 50 }, (_, i) =>
          pool.query(i % 5 === 0 ? "SELECT 1/0" : "SELECT $1::int AS v", i % 5 === 0 ? [] : [i]),
        ),
      );
      expect(outcomes.filter((o) => o.status === "rejected")).toHaveLength(10);
      const { rows } = await pool.query("SELECT 42 AS v");
      expect(rows[0].v).toBe(42);
    } finally {
      await pool.end();
    }
  });
});
