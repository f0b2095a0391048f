import { OperationFailedError } from "../errors.js";
import { ManifestSyntaxError } from "./manifest-error.js";
import { readPythonLiteral, type PyLiteral } from "./python-literal.js";

/** A value of the Python-literal subset manifests are written in. Tuples become arrays. */
export type PyValue = string | number | boolean | null | PyValue[] | { [key: string]: PyValue };

/** The manifest keys planning relies on, normalised (Odoo's defaults applied). */
export interface AddonManifest {
  name?: string;
  version?: string;
  depends: string[];
  /** Odoo's default is true. */
  installable: boolean;
  /** `true`: when all `depends` are installed; a list: when those modules are installed; `false`: never. */
  autoInstall: boolean | string[];
  /** Every key as written. */
  raw: Record<string, PyValue>;
}

export { ManifestSyntaxError };

/**
 * The text of a manifest as Odoo reads it (`open(path, encoding="utf-8")`): strict UTF-8 — a byte sequence that is
 * not UTF-8 is an error naming its line and column, as Odoo's read fails — with `\r\n` and `\r` read as `\n`.
 *
 * @example const text = manifestText(readFileSync(file), file);
 */
export function manifestText(bytes: Uint8Array, file: string): string {
  try {
    return new TextDecoder("utf-8", { fatal: true, ignoreBOM: true }).decode(bytes).replace(/\r\n?/g, "\n");
  } catch {
    const at = firstInvalidUtf8(bytes);
    const before = Buffer.from(bytes.subarray(0, at)).toString("utf8");
    const line = before.split("\n").length;
    const column = before.length - (before.lastIndexOf("\n") + 1) + 1;
    throw new ManifestSyntaxError(file, line, column, `not UTF-8 (Odoo reads manifests as UTF-8): byte 0x${bytes[at]!.toString(16).toUpperCase().padStart(2, "0")} at offset ${at}`);
  }
}

/** Offset of the first byte that does not start or continue a well-formed UTF-8 sequence. */
function firstInvalidUtf8(b: Uint8Array): number {
  const decoder = new TextDecoder("utf-8", { fatal: true });
  for (let i = 0; i < b.length; ) {
    const lead = b[i]!;
    const len = lead < 0x80 ? 1 : lead >= 0xc2 && lead <= 0xdf ? 2 : lead >= 0xe0 && lead <= 0xef ? 3 : lead >= 0xf0 && lead <= 0xf4 ? 4 : 0;
    if (len === 0 || i + len > b.length) return i;
    try {
      decoder.decode(b.subarray(i, i + len));
    } catch {
      return i;
    }
    i += len;
  }
  return b.length;
}

/**
 * Parses the text of a `__manifest__.py` (or `__openerp__.py`) as a Python literal the way Odoo's
 * `ast.literal_eval` does ({@link readPythonLiteral}), as a plain value: tuples and sets become arrays, ints
 * numbers, bytes latin-1 strings, complex numbers and `...` their Python text. Anything Python refuses is a
 * {@link ManifestSyntaxError} with file:line:column; nothing is executed.
 *
 * @example parsePythonLiteral("{'name': 'A' 'B', 'depends': ('base',),}", "a/__manifest__.py") // { name: "AB", depends: ["base"] }
 */
export function parsePythonLiteral(source: string, file: string): PyValue {
  return toPyValue(readPythonLiteral(source, file));
}

/**
 * A literal as a plain JSON-like value (see {@link parsePythonLiteral}); dict keys that are not strings are
 * written as Python would print them.
 *
 * @example toPyValue({ kind: "tuple", items: ["base"] }) // ["base"]
 */
export function toPyValue(v: PyLiteral): PyValue {
  if (v === null || typeof v !== "object") return v;
  switch (v.kind) {
    case "int":
      return Number(v.value);
    case "float":
      return v.value;
    case "complex":
      return `(${v.real}${v.imag < 0 || Object.is(v.imag, -0) ? "-" : "+"}${Math.abs(v.imag)}j)`;
    case "bytes":
      return String.fromCharCode(...v.value);
    case "ellipsis":
      return "...";
    case "list":
    case "tuple":
    case "set":
      return v.items.map(toPyValue);
    case "dict":
      return Object.fromEntries(v.entries.map(([k, x]) => [typeof k === "string" ? k : keyText(k), toPyValue(x)]));
  }
}

function keyText(k: PyLiteral): string {
  if (k === null) return "None";
  if (typeof k === "boolean") return k ? "True" : "False";
  if (typeof k === "object" && k.kind === "tuple") return `(${k.items.map((x) => (typeof x === "string" ? `'${x}'` : keyText(x))).join(", ")}${k.items.length === 1 ? "," : ""})`;
  return String(toPyValue(k));
}

/**
 * Parses a manifest file's text and normalises the keys planning needs (`depends`, `installable`,
 * `auto_install`, `version`), checking their types. Lists, tuples and sets of module names are all lists here.
 *
 * @example const m = parseManifest(readFileSync("addons/x/__manifest__.py", "utf8"), "addons/x/__manifest__.py");
 */
export function parseManifest(source: string, file: string): AddonManifest {
  const lit = readPythonLiteral(source, file);
  if (lit === null || typeof lit !== "object" || lit.kind !== "dict") {
    throw new ManifestSyntaxError(file, 1, 1, "a manifest must be a dict");
  }
  const entries = new Map(lit.entries.filter((e): e is [string, PyLiteral] => typeof e[0] === "string"));
  const bad = (key: string, expected: string): never => {
    throw new OperationFailedError(`${file}: '${key}' must be ${expected}`, { code: "MANIFEST_INVALID", details: { file, key } });
  };
  const names = (key: string): string[] => {
    const v = entries.get(key);
    if (v === undefined) return [];
    const isSeq = v !== null && typeof v === "object" && (v.kind === "list" || v.kind === "tuple" || v.kind === "set");
    if (!isSeq || !v.items.every((x) => typeof x === "string")) return bad(key, "a list of module names");
    return v.items as string[];
  };
  const depends = names("depends");
  const installable = entries.get("installable") ?? true;
  if (typeof installable !== "boolean") bad("installable", "True or False");
  const ai = entries.get("auto_install");
  let autoInstall: boolean | string[] = false;
  if (ai === undefined || ai === null || ai === false) autoInstall = false;
  else if (ai === true) autoInstall = true;
  else if (typeof ai === "object" && (ai.kind === "list" || ai.kind === "tuple" || ai.kind === "set")) autoInstall = names("auto_install");
  else bad("auto_install", "True, False or a list of module names");
  const rawVersion = entries.get("version");
  let version: string | undefined;
  if (typeof rawVersion === "string") version = rawVersion;
  else if (rawVersion !== undefined && typeof rawVersion === "object" && rawVersion !== null && (rawVersion.kind === "int" || rawVersion.kind === "float")) {
    version = String(toPyValue(rawVersion));
  } else if (rawVersion !== undefined) bad("version", "a string");
  const name = entries.get("name");
  const raw = toPyValue(lit) as Record<string, PyValue>;
  return {
    ...(typeof name === "string" ? { name } : {}),
    ...(version !== undefined ? { version } : {}),
    depends,
    installable: installable as boolean,
    autoInstall,
    raw,
  };
}
