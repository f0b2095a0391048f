import { describe, expect, expectTypeOf, test } from "vitest";
import type { FlagValues } from "../command.js";
import { type FLAGS } from "../flags.js";
import { eventRenderers, renderEvent, type CliEvent, type EventRenderers } from "./events.js";
import { HumanOutput } from "./human.js";

describe("the event renderer map", () => {
  test("the compiler refuses a map that misses an event type (checked by npm run typecheck)", () => {
    const { "health:wait": omitted, ...rest } = eventRenderers;
    // @ts-expect-error "health:wait" is missing: every type of CoreEvent | AnonymizerEvent needs a renderer
    const incomplete: EventRenderers = rest;
    expect(typeof omitted).toBe("function");
    expect(Object.keys(incomplete)).not.toContain("health:wait");
  });

  test("each renderer shows its event; with --verbose the quiet ones too; an unknown type only with --verbose", () => {
    let text = "";
    const out = new HumanOutput({ write: (s: string) => (text += s), isTTY: false }, {}, (s) => s);
    renderEvent({ type: "health:attempt", attempt: 2, ok: false, detail: "HTTP 503", durationMs: 5 }, out, false);
    expect(text).toBe("attempt 2: HTTP 503\n");
    renderEvent({ type: "migrate:exit", exitCode: 0, durationMs: 10, timedOut: false }, out, false);
    expect(text).toBe("attempt 2: HTTP 503\n");
    renderEvent({ type: "migrate:exit", exitCode: 0, durationMs: 10, timedOut: false }, out, true);
    expect(text).toContain("migrate:exit exitCode=0 durationMs=10 timedOut=false\n");
    const future = { type: "future:step-start", name: "backup" } as unknown as CliEvent;
    renderEvent(future, out, false);
    expect(text).not.toContain("future:");
    renderEvent(future, out, true);
    expect(text).toContain("future:step-start name=backup");
  });
});

test("flag values are typed by their specs", () => {
  type Flags = { dbUrl: typeof FLAGS.dbUrl; force: typeof FLAGS.force; runner: typeof FLAGS.runner; paths: typeof FLAGS.repoAddonsPaths };
  expectTypeOf<FlagValues<Flags>>().toEqualTypeOf<{ dbUrl?: string; force?: boolean; runner?: "local" | "docker" | "ssh"; paths?: string[] }>();
});
