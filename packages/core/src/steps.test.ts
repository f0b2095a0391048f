import { describe, expect, test } from "vitest";
import { AbortedError, EnvironmentError, OperationFailedError, UsageError } from "./errors.js";
import { StepRecorder, type StepEvent } from "./steps.js";

describe("StepRecorder: one failure rule", () => {
  test("ok steps carry their value and detail; events are a start and an outcome per step", async () => {
    const events: StepEvent<"demo">[] = [];
    const r = new StepRecorder("demo", { onEvent: (e) => events.push(e) });
    const out = await r.run("count", () => Promise.resolve(42), (n) => `${n} rows`);
    expect(out.ok && out.value).toBe(42);
    expect(r.steps).toEqual([{ name: "count", status: "ok", detail: "42 rows", durationMs: expect.any(Number) as number }]);
    expect(events.map((e) => e.type)).toEqual(["demo:step-start", "demo:step"]);
    expect(r.ok).toBe(true);
  });

  test("a judged failure (OperationFailedError) is returned, not thrown, and names the step", async () => {
    const r = new StepRecorder("demo");
    const out = await r.run("verify", () => Promise.reject(new OperationFailedError("3 tables differ")));
    expect(out.ok).toBe(false);
    expect(r.failed).toMatchObject({ name: "verify", status: "failed", detail: "3 tables differ" });
    await expect(r.must("again", () => Promise.reject(new OperationFailedError("no")))).rejects.toBeInstanceOf(OperationFailedError);
    expect(r.judged(new OperationFailedError("no"))).toBe(true);
  });

  test("usage, environment and abort errors are recorded and thrown; so are bugs", async () => {
    for (const e of [new UsageError("bad flag"), new EnvironmentError("db down"), new TypeError("undefined is not a function")]) {
      const r = new StepRecorder("demo");
      await expect(r.run("s", () => Promise.reject(e))).rejects.toBe(e);
      expect(r.failed?.detail).toBe(e.message);
      expect(r.judged(e)).toBe(false);
    }
  });

  test("whatever a step throws once the signal is aborted becomes an AbortedError", async () => {
    const ac = new AbortController();
    const r = new StepRecorder("demo", { signal: ac.signal });
    ac.abort();
    await expect(r.run("s", () => Promise.reject(new OperationFailedError("killed")))).rejects.toBeInstanceOf(AbortedError);
    expect(r.failed?.detail).toBe("aborted");
    expect(r.judged(new OperationFailedError("killed"))).toBe(false);
  });

  test("PostgreSQL's statement errors are typed: privileges are the environment's, the rest a judged failure", async () => {
    const pgError = (code: string) => Object.assign(new Error("server said no"), { code });
    const r = new StepRecorder("demo");
    await expect(r.run("create", () => Promise.reject(pgError("42501")))).rejects.toBeInstanceOf(EnvironmentError);
    const out = await r.run("rename", () => Promise.reject(pgError("42P04")));
    expect(out.ok).toBe(false);
    expect(r.steps[1]!.detail).toBe("rename: server said no (SQLSTATE 42P04)");
  });

  test("skipped and externally judged steps are recorded as given", () => {
    const r = new StepRecorder("demo");
    r.skip("backup", "nothing to migrate");
    r.record({ name: "verify", status: "ok" });
    r.fail("health", "never green");
    expect(r.steps.map((s) => s.status)).toEqual(["skipped", "ok", "failed"]);
    expect(r.ok).toBe(false);
  });
});
