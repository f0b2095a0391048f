import { describe, expect, test } from "vitest";
import { closure, findCycles, topologicalOrder } from "./graph.js";

const g = (edges: Record<string, string[]>) => (n: string) => edges[n] ?? [];

describe("dependency graph", () => {
  test("orders dependencies first, ties by name, ignoring external modules", () => {
    const deps = g({ sale_x: ["sale", "base_x"], base_x: ["base"], report_x: ["sale_x", "base_x"], alpha: ["base"] });
    expect(topologicalOrder(["report_x", "sale_x", "base_x", "alpha"], deps)).toEqual(["alpha", "base_x", "sale_x", "report_x"]);
  });

  test("prints a concrete cycle and ignores acyclic parts", () => {
    const deps = g({ a: ["b"], b: ["c"], c: ["a", "d"], d: [], self: ["self"] });
    expect(findCycles(["a", "b", "c", "d", "self"], deps)).toEqual([
      ["a", "b", "c", "a"],
      ["self", "self"],
    ]);
    expect(findCycles(["a", "d"], deps)).toEqual([]);
  });

  test("closure follows edges transitively", () => {
    expect([...closure(["a"], g({ a: ["b"], b: ["c"], c: ["a"] }))].sort()).toEqual(["a", "b", "c"]);
  });
});
