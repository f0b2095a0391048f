import { describe, expect, test } from "vitest";
import { PostDataPipeline, type EarlyObject } from "./post-data.js";

// `pg_restore -l --section=post-data` lines: dump id; classid oid; description; owner.
const TOC = `;
; Archive created at 2026-11-27 23:00:00 UTC
3237; 2606 100 CONSTRAINT public a a_pkey postgres
3238; 1259 101 INDEX public a_name_idx postgres
3239; 2606 200 CONSTRAINT public b b_pkey postgres
3240; 2606 300 FK CONSTRAINT public b b_a_fkey postgres
3241; 2606 301 FK CONSTRAINT public a a_parent_fkey postgres
3242; 2620 400 TRIGGER public b b_audit postgres
3243; 2606 500 CONSTRAINT public c c_pkey postgres
`;
const OBJECTS: EarlyObject[] = [
  { key: "2606 100", table: "public.a" },
  { key: "1259 101", table: "public.a" },
  { key: "2606 200", table: "public.b" },
  { key: "2606 300", table: "public.b", refTable: "public.a" },
  { key: "2606 301", table: "public.a", refTable: "public.a" },
  // c is not copied (truncated by the rules): its entries wait for the end.
  { key: "2606 500", table: "public.c" },
];
const ids = (lines: string[]) => lines.map((l) => Number(l.split(";")[0]));

function pipeline(fail?: (lines: string[]) => boolean) {
  const calls: { ids: number[]; what: string }[] = [];
  const signals: AbortSignal[] = [];
  const post = new PostDataPipeline({
    toc: TOC,
    objects: OBJECTS,
    copied: ["public.a", "public.b"],
    restore: async (lines, what, signal) => {
      calls.push({ ids: ids(lines), what });
      signals.push(signal);
      await new Promise((r) => setTimeout(r, 5));
      if (fail?.(lines)) throw new Error(`restore of ${what} failed`);
    },
  });
  return { post, calls, signals };
}

describe("PostDataPipeline", () => {
  test("a table's own entries start when it is loaded, a foreign key once both of its tables are built, the rest at the end", async () => {
    const { post, calls } = pipeline();
    post.tableLoaded("public.a");
    await new Promise((r) => setTimeout(r, 30));
    // a's indexes, then its self-referencing key; b's key into a waits for b.
    expect(calls).toEqual([
      { ids: [3237, 3238], what: "the indexes and constraints of public.a" },
      { ids: [3241], what: "the foreign keys of public.a" },
    ]);
    post.tableLoaded("public.b");
    const counts = await post.finish();
    expect(calls.slice(2)).toEqual([
      { ids: [3239], what: "the indexes and constraints of public.b" },
      { ids: [3240], what: "the foreign keys of public.b" },
      { ids: [3242, 3243], what: "the rest of post-data" },
    ]);
    expect(counts).toEqual({ early: 5, late: 2 });
    // Every entry exactly once.
    expect(calls.flatMap((c) => c.ids).sort()).toEqual([3237, 3238, 3239, 3240, 3241, 3242, 3243]);
  });

  test("tables loaded while a restore runs go together into the next one, and so do the foreign keys they free", async () => {
    const { post, calls } = pipeline();
    post.tableLoaded("public.b");
    post.tableLoaded("public.a");
    await post.finish();
    expect(calls).toEqual([
      { ids: [3239], what: "the indexes and constraints of public.b" },
      { ids: [3237, 3238], what: "the indexes and constraints of public.a" },
      { ids: [3240, 3241], what: "the foreign keys of public.b, public.a" },
      { ids: [3242, 3243], what: "the rest of post-data" },
    ]);
  });

  test("a table with no entries of its own is built at once; what is never loaded waits for the end", async () => {
    const { post, calls } = pipeline();
    post.tableLoaded("public.d");
    post.tableLoaded("public.a");
    expect(await post.finish()).toEqual({ early: 3, late: 4 });
    expect(calls.map((c) => c.ids)).toEqual([[3237, 3238], [3241], [3239, 3240, 3242, 3243]]);
  });

  test("a failure aborts the signal, nothing starts after it, and finish throws it", async () => {
    const { post, calls } = pipeline((lines) => ids(lines).includes(3237));
    post.tableLoaded("public.a");
    post.tableLoaded("public.b");
    await new Promise((r) => setTimeout(r, 30));
    expect(post.signal.aborted).toBe(true);
    expect(String(post.failure)).toMatch(/restore of the indexes and constraints of public.a failed/);
    await expect(post.finish()).rejects.toThrow(/public.a failed/);
    expect(calls.map((c) => c.ids)).toEqual([[3237, 3238]]);
  });

  test("close aborts the running restore, waits for it, and starts nothing more", async () => {
    const { post, calls, signals } = pipeline();
    post.tableLoaded("public.b");
    await new Promise((r) => setTimeout(r, 1));
    expect(calls.map((c) => c.ids)).toEqual([[3239]]);
    await post.close();
    expect(signals[0]!.aborted).toBe(true);
    post.tableLoaded("public.a");
    await new Promise((r) => setTimeout(r, 20));
    expect(calls.map((c) => c.ids)).toEqual([[3239]]);
  });
});
