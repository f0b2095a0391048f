/**
 * Dependency graph algorithms over module names. `depsOf(name)` gives the modules `name` depends on;
 * names it returns that are not nodes of the graph are ignored (external modules).
 */

/**
 * Strongly connected components with more than one module (or a module depending on itself), each given as
 * one concrete cycle path that starts and ends with the same module: `["a", "b", "c", "a"]`.
 *
 * @example findCycles(["a", "b"], (n) => (n === "a" ? ["b"] : ["a"])) // [["a", "b", "a"]]
 */
export function findCycles(nodes: Iterable<string>, depsOf: (name: string) => readonly string[]): string[][] {
  const all = new Set(nodes);
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const onStack = new Set<string>();
  const stack: string[] = [];
  const sccs: string[][] = [];
  let counter = 0;
  // Iterative Tarjan: a repository of thousands of modules must not overflow the call stack.
  for (const start of [...all].sort()) {
    if (index.has(start)) continue;
    const work: { node: string; deps: string[]; i: number }[] = [];
    const push = (n: string) => {
      index.set(n, counter);
      low.set(n, counter);
      counter++;
      stack.push(n);
      onStack.add(n);
      work.push({ node: n, deps: depsOf(n).filter((d) => all.has(d)), i: 0 });
    };
    push(start);
    while (work.length > 0) {
      const top = work[work.length - 1]!;
      if (top.i < top.deps.length) {
        const d = top.deps[top.i++]!;
        if (!index.has(d)) push(d);
        else if (onStack.has(d)) low.set(top.node, Math.min(low.get(top.node)!, index.get(d)!));
        continue;
      }
      work.pop();
      const parent = work[work.length - 1];
      if (parent) low.set(parent.node, Math.min(low.get(parent.node)!, low.get(top.node)!));
      if (low.get(top.node) === index.get(top.node)) {
        const scc: string[] = [];
        for (;;) {
          const n = stack.pop()!;
          onStack.delete(n);
          scc.push(n);
          if (n === top.node) break;
        }
        const selfLoop = scc.length === 1 && depsOf(scc[0]!).includes(scc[0]!);
        if (scc.length > 1 || selfLoop) sccs.push(scc);
      }
    }
  }
  return sccs.map((scc) => cyclePath(new Set(scc), depsOf)).sort((a, b) => a[0]!.localeCompare(b[0]!));
}

function cyclePath(scc: Set<string>, depsOf: (name: string) => readonly string[]): string[] {
  const first = [...scc].sort()[0]!;
  // Breadth-first from `first` back to itself inside the component gives a shortest concrete cycle.
  const prev = new Map<string, string>();
  const queue = [first];
  while (queue.length > 0) {
    const n = queue.shift()!;
    for (const d of [...depsOf(n)].sort()) {
      if (!scc.has(d)) continue;
      if (d === first) {
        const path = [first];
        for (let c: string | undefined = n; c !== undefined && c !== first; c = prev.get(c)) path.unshift(c);
        path.unshift(first);
        return path;
      }
      if (!prev.has(d)) {
        prev.set(d, n);
        queue.push(d);
      }
    }
  }
  return [first, first];
}

/**
 * Orders `nodes` so every module comes after the modules it depends on (ties by name, so the order is
 * stable). Modules in cycles are appended at the end by name; check {@link findCycles} first.
 *
 * @example topologicalOrder(["sale_x", "base_x"], (n) => (n === "sale_x" ? ["base_x"] : [])) // ["base_x", "sale_x"]
 */
export function topologicalOrder(nodes: Iterable<string>, depsOf: (name: string) => readonly string[]): string[] {
  const all = new Set(nodes);
  const remaining = new Map<string, number>();
  const dependents = new Map<string, string[]>();
  for (const n of all) {
    const deps = [...new Set(depsOf(n))].filter((d) => all.has(d) && d !== n);
    remaining.set(n, deps.length);
    for (const d of deps) {
      const list = dependents.get(d) ?? [];
      list.push(n);
      dependents.set(d, list);
    }
  }
  const ready = [...all].filter((n) => remaining.get(n) === 0).sort();
  const out: string[] = [];
  while (ready.length > 0) {
    const n = ready.shift()!;
    out.push(n);
    const next: string[] = [];
    for (const m of dependents.get(n) ?? []) {
      const left = remaining.get(m)! - 1;
      remaining.set(m, left);
      if (left === 0) next.push(m);
    }
    if (next.length > 0) {
      ready.push(...next);
      ready.sort();
    }
  }
  if (out.length < all.size) out.push(...[...all].filter((n) => !out.includes(n)).sort());
  return out;
}

/**
 * Every module reachable from `starts` by following `edges` (e.g. dependencies, or dependents), the starts
 * excluded unless reached again.
 *
 * @example closure(["a"], (n) => ({ a: ["b"], b: ["c"] })[n] ?? []) // Set { "b", "c" }
 */
export function closure(starts: Iterable<string>, edges: (name: string) => readonly string[]): Set<string> {
  const seen = new Set<string>();
  const queue = [...starts];
  while (queue.length > 0) {
    const n = queue.pop()!;
    for (const m of edges(n)) {
      if (seen.has(m)) continue;
      seen.add(m);
      queue.push(m);
    }
  }
  return seen;
}
