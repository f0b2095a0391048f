/**
 * Python's own `ast.literal_eval` as an oracle for tests and scripts: one `python3` process reads many sources
 * (or files, read the way Odoo reads a manifest: `open(path, encoding="utf-8")`) and answers each with its value
 * in a canonical JSON form, or the exception Python raised. Compare with {@link canonicalLiteral} of a reader's
 * result through {@link sameCanonical}.
 */
import { spawn, spawnSync } from "node:child_process";
import { createInterface } from "node:readline";

/** One request: a source text, or a file to read as Odoo does. */
export type LiteralInput = { source: string } | { file: string };

/** What Python answered for one input. */
export type LiteralOutcome = { ok: true; value: Canonical } | { ok: false; error: string };

/**
 * The canonical form both sides are compared in: strings, booleans and None as JSON; ints as hex text (any size);
 * floats as numbers (`"inf"`, `"-inf"` when not finite); the containers, bytes, complex numbers and `...` tagged.
 */
export type Canonical =
  | string
  | boolean
  | null
  | { int: string }
  | { float: number | string }
  | { complex: [number | string, number | string] }
  | { bytes: string }
  | { ellipsis: true }
  | { list: Canonical[] }
  | { tuple: Canonical[] }
  | { set: Canonical[] }
  | { dict: [Canonical, Canonical][] };

const ORACLE = String.raw`
import ast, json, math, sys, warnings
warnings.simplefilter("ignore")
def num(f):
    return f if math.isfinite(f) else ("inf" if f > 0 else "-inf")
def canon(v):
    if v is None or v is True or v is False: return v
    t = type(v)
    if t is str: return v
    if t is int: return {"int": hex(v)}
    if t is float: return {"float": num(v)}
    if t is complex: return {"complex": [num(v.real), num(v.imag)]}
    if t is bytes: return {"bytes": v.hex()}
    if v is Ellipsis: return {"ellipsis": True}
    if t is list: return {"list": [canon(x) for x in v]}
    if t is tuple: return {"tuple": [canon(x) for x in v]}
    if t is set: return {"set": [canon(x) for x in v]}
    if t is dict: return {"dict": [[canon(k), canon(x)] for k, x in v.items()]}
    raise TypeError("unexpected %r" % t)
for line in sys.stdin:
    req = json.loads(line)
    try:
        if "file" in req:
            with open(req["file"], encoding="utf-8") as f:
                text = f.read()
        else:
            text = req["source"]
        out = {"ok": True, "value": canon(ast.literal_eval(text))}
    except Exception as e:
        out = {"ok": False, "error": "%s: %s" % (type(e).__name__, e)}
    sys.stdout.write(json.dumps(out) + "\n")
`;

/** Why `python3` cannot serve as the oracle here, or `undefined` when it can (3.9+: `literal_eval` reads `set()`). */
export function python3UnavailableReason(): string | undefined {
  const r = spawnSync("python3", ["-c", "import sys; print('%d.%d' % sys.version_info[:2])"], { encoding: "utf8" });
  if (r.error || r.status !== 0) return "python3 not found on PATH (install it: apt-get install python3)";
  const [major, minor] = r.stdout.trim().split(".").map(Number);
  if (major! < 3 || (major === 3 && minor! < 9)) return `python3 is ${r.stdout.trim()}: 3.9 or later needed`;
  return undefined;
}

/**
 * Evaluates every input with Python's `ast.literal_eval` in one process.
 *
 * @example const [r] = await pythonLiteralEval([{ source: "{'a': (1, 2j)}" }]);
 */
export async function pythonLiteralEval(inputs: readonly LiteralInput[]): Promise<LiteralOutcome[]> {
  const child = spawn("python3", ["-c", ORACLE], { stdio: ["pipe", "pipe", "pipe"] });
  let stderr = "";
  child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d));
  const out: LiteralOutcome[] = [];
  const lines = createInterface({ input: child.stdout });
  const done = new Promise<void>((resolve, reject) => {
    lines.on("line", (l) => out.push(JSON.parse(l) as LiteralOutcome));
    child.once("error", reject);
    child.once("close", (code) => (code === 0 ? resolve() : reject(new Error(`python3 oracle exited ${code}: ${stderr.trim()}`))));
  });
  for (const i of inputs) child.stdin.write(`${JSON.stringify(i)}\n`);
  child.stdin.end();
  await done;
  if (out.length !== inputs.length) throw new Error(`python3 oracle answered ${out.length} of ${inputs.length} inputs: ${stderr.trim()}`);
  return out;
}

/** A reader's value, structurally (core's `PyLiteral`). */
export type LiteralLike =
  | string
  | boolean
  | null
  | { kind: "int"; value: bigint }
  | { kind: "float"; value: number }
  | { kind: "complex"; real: number; imag: number }
  | { kind: "bytes"; value: Uint8Array }
  | { kind: "ellipsis" }
  | { kind: "list" | "tuple" | "set"; items: LiteralLike[] }
  | { kind: "dict"; entries: [LiteralLike, LiteralLike][] };

const num = (f: number): number | string => (Number.isFinite(f) ? f : f > 0 ? "inf" : "-inf");

/** A reader's value in the oracle's canonical form. @example canonicalLiteral({ kind: "int", value: 255n }) // { int: "0xff" } */
export function canonicalLiteral(v: LiteralLike): Canonical {
  if (v === null || typeof v !== "object") return v;
  switch (v.kind) {
    case "int":
      return { int: v.value < 0n ? `-0x${(-v.value).toString(16)}` : `0x${v.value.toString(16)}` };
    case "float":
      return { float: num(v.value) };
    case "complex":
      return { complex: [num(v.real), num(v.imag)] };
    case "bytes":
      return { bytes: Buffer.from(v.value).toString("hex") };
    case "ellipsis":
      return { ellipsis: true };
    case "list":
      return { list: v.items.map(canonicalLiteral) };
    case "tuple":
      return { tuple: v.items.map(canonicalLiteral) };
    case "set":
      return { set: v.items.map(canonicalLiteral) };
    case "dict":
      return { dict: v.entries.map(([k, x]) => [canonicalLiteral(k), canonicalLiteral(x)]) };
  }
}

/**
 * Equality of canonical values: exact (floats by `Object.is`, so -0.0 is not 0.0), set members in any order.
 *
 * @example sameCanonical({ set: ["a", "b"] }, { set: ["b", "a"] }) // true
 */
export function sameCanonical(a: Canonical, b: Canonical): boolean {
  if (a === null || b === null || typeof a !== "object" || typeof b !== "object") return a === b;
  const [ka] = Object.keys(a) as (keyof typeof a)[];
  const [kb] = Object.keys(b) as (keyof typeof b)[];
  if (ka !== kb) return false;
  const x = (a as Record<string, unknown>)[ka!];
  const y = (b as Record<string, unknown>)[kb!];
  if (ka === "float") return Object.is(x, y);
  if (ka === "complex") return Object.is((x as unknown[])[0], (y as unknown[])[0]) && Object.is((x as unknown[])[1], (y as unknown[])[1]);
  if (ka === "list" || ka === "tuple") {
    const xs = x as Canonical[];
    const ys = y as Canonical[];
    return xs.length === ys.length && xs.every((e, i) => sameCanonical(e, ys[i]!));
  }
  if (ka === "set") {
    const xs = x as Canonical[];
    const left = [...(y as Canonical[])];
    if (xs.length !== left.length) return false;
    return xs.every((e) => {
      const at = left.findIndex((o) => sameCanonical(e, o));
      if (at < 0) return false;
      left.splice(at, 1);
      return true;
    });
  }
  if (ka === "dict") {
    const xs = x as [Canonical, Canonical][];
    const ys = y as [Canonical, Canonical][];
    return xs.length === ys.length && xs.every(([k, v], i) => sameCanonical(k, ys[i]![0]) && sameCanonical(v, ys[i]![1]));
  }
  return x === y;
}
