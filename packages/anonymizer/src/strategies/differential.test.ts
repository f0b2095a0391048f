import { expect, test } from "vitest";
import { Readable, Writable, type Transform } from "node:stream";
import { pipeline } from "node:stream/promises";
import { Arena } from "../accelerator/arena.js";
import { BinaryCopyTransform } from "../copy/binary-transform.js";
import { encodeField } from "../copy/codec.js";
import { CopyRowTransform } from "../copy/row-transform.js";
import type { RowTransformSpec } from "../copy/row-rewriter.js";
import type { ColumnRuleInput } from "../rules/schema.js";
import { Anonymizer } from "./anonymizer.js";
import { STRATEGIES } from "./registry.js";

// Every strategy on the accelerated paths (an arena: bytes staged, hashed and rewritten in WebAssembly; binary
// fields transformed from their bytes, without a string) and on the reference paths (strings only) over the same
// COPY data, text and binary, cut into chunks everywhere: the outputs must be the same bytes.

/** One rule per strategy, and a few that read other columns or are unique; the first column is what `switch` reads. */
const RULES: [string, ColumnRuleInput][] = [
  ["c_keep", "keep"],
  ["c_null", "null"],
  ["c_constant", { strategy: "constant", value: "fixed" }],
  ["c_name", "name"],
  ["c_first", "first_name"],
  ["c_last", "last_name"],
  ["c_company", "company"],
  ["c_street", "street"],
  ["c_street2", "street2"],
  ["c_city", { strategy: "city", locale: "fr" }],
  ["c_zip", "zip"],
  ["c_phone", "phone"],
  ["c_email", "email"],
  ["c_login", { strategy: "email", domain: "example.org", unique: true }],
  ["c_hash", { strategy: "hash", length: 11, prefix: "h-" }],
  ["c_uuid", "uuid"],
  ["c_mask", { strategy: "mask", keepFirst: 2, keepLast: 3 }],
  ["c_template", { strategy: "template", template: "{{c_name}} <{{c_email}}>" }],
  ["c_same", { strategy: "same_as", column: "c_phone" }],
  ["c_regex", { strategy: "regex", pattern: "[0-9]", replacement: "#" }],
  ["c_noise", { strategy: "noise", ratio: 0.1 }],
  ["c_html", "html"],
  ["c_whole", { strategy: "html", mode: "whole" }],
  ["c_lorem", "lorem"],
  ["c_fake", { strategy: "fake", method: "person.jobTitle" }],
  ["c_jsonb", { strategy: "jsonb", each: "name" }],
  ["c_switch", { strategy: "switch", column: "c_keep", cases: { "J*": "name", plain: "null" }, default: "lorem" }],
];

const VALUES: (string | null)[] = [
  "", "plain", " John.Smith@Example.COM ", "Doe, Jane <jane@x.org>, bob@y.org", '"Jane Doe" <jane@example.com>', "Jane Doe <jane@example.com>",
  "Zoë Müller", "日本 03-1234-5678", "+32 2 555 01 02", "<p>Hello <b>Jane</b> &amp; co</p>", '<a href="mailto:j@x.org">Jane</a>', "<!-- c --><br/>",
  "tab\there", "new\nline \r", "back\\slash", "\\N", "🎉 emoji 漢字", null, '{"en_US": "John", "fr_FR": ["Jean", 1, null]}', "12.50", "-3", "Jane",
];
/** Values over what an arena stages at once (16 KiB) and a chunk it holds (1 MiB). */
const HUGE = ["word ".repeat(5000), "é".repeat(9000), `<p>${"Big text. ".repeat(120_000)}</p>`];

const HUGE_COLUMNS = new Set(["c_name", "c_email", "c_mask", "c_hash", "c_html", "c_lorem", "c_jsonb"]);

/** Rows mixing the values in every column; with `huge`, rows 1 to 3 hold one huge value each in some columns. */
function rows(count: number, huge: boolean): (string | null)[][] {
  return Array.from({ length: count }, (_, r) =>
    RULES.map(([column], c) => (huge && r >= 1 && r <= 3 && HUGE_COLUMNS.has(column) ? HUGE[r - 1]! : VALUES[(r * 7 + c * 3 + (r >> 2)) % VALUES.length]!)),
  );
}

const textCopy = (data: (string | null)[][]) => Buffer.from(data.map((row) => row.map((v) => (v === null ? "\\N" : encodeField(v))).join("\t") + "\n").join(""), "utf8");

function binaryCopy(data: (string | null)[][]): Buffer {
  const parts = [Buffer.from("PGCOPY\n\xff\r\n\0\0\0\0\0\0\0\0\0", "latin1")];
  for (const row of data) {
    const count = Buffer.alloc(2);
    count.writeInt16BE(row.length);
    parts.push(count);
    for (const v of row) {
      const bytes = v === null ? Buffer.alloc(0) : Buffer.from(v, "utf8");
      const length = Buffer.alloc(4);
      length.writeInt32BE(v === null ? -1 : bytes.length);
      parts.push(length, bytes);
    }
  }
  parts.push(Buffer.from([0xff, 0xff]));
  return Buffer.concat(parts);
}

/** The rules compiled by one anonymizer (its memos are only a cache, and unique rules give a value's own fake back). */
function compiled(): { anonymizer: Anonymizer; spec: RowTransformSpec } {
  const anonymizer = new Anonymizer({ secret: "differential" });
  return { anonymizer, spec: { table: "t", columns: RULES.map(([c]) => c), transforms: RULES.map(([, r]) => (r === "keep" ? undefined : anonymizer.compile(r))) } };
}

/** The output of a transform of `rules` over `input` cut at `cuts`, and the values it counted. */
async function run(rules: ReturnType<typeof compiled>, input: Buffer, binary: boolean, arena: Arena | undefined, cuts: number[], maxTextBytes?: number): Promise<{ out: Buffer; fakeValues: number }> {
  const { anonymizer, spec } = rules;
  const before = anonymizer.fakeValues;
  const options = { ...(arena ? { arena } : {}), ...(maxTextBytes ? { maxTextBytes } : {}) };
  const tr: Transform = binary ? new BinaryCopyTransform({ ...spec, binary: RULES.map(() => "text" as const) }, options) : new CopyRowTransform(spec, options);
  const pieces = [0, ...cuts, input.length].slice(1).map((end, i, ends) => input.subarray(i ? ends[i - 1] : 0, end));
  const out: Buffer[] = [];
  await pipeline(Readable.from(pieces), tr, new Writable({ write: (c: Buffer, _e, cb) => (out.push(c), cb()) }));
  return { out: Buffer.concat(out), fakeValues: anonymizer.fakeValues - before };
}

test("every strategy is in the harness", () => {
  const tested = new Set(RULES.map(([, r]) => (typeof r === "string" ? r : r.strategy)));
  expect([...tested].sort()).toEqual(Object.keys(STRATEGIES).sort());
});

for (const binary of [false, true]) {
  const format = binary ? "binary" : "text";

  test(`${format} COPY: the accelerated and reference paths write the same bytes, with non-ASCII, NULL and huge values, in chunks of every size`, async () => {
    const input = (binary ? binaryCopy : textCopy)(rows(60, true));
    const reference = await run(compiled(), input, binary, undefined, []);
    // (anonymized, and still every row)
    expect(reference.out.equals(input)).toBe(false);
    if (!binary) expect(reference.out.toString("latin1").split("\n")).toHaveLength(61);
    const arena = new Arena();
    const rules = compiled();
    for (const size of [0, 61, 8192, 65_536, 300_000]) {
      const cuts = size ? Array.from({ length: Math.ceil(input.length / size) - 1 }, (_, i) => (i + 1) * size) : [];
      const accelerated = await run(rules, input, binary, arena, cuts);
      expect(accelerated.out.equals(reference.out), `${format}, chunks of ${size || "all"}`).toBe(true);
      expect(accelerated.fakeValues, "the same values counted").toBe(reference.fakeValues);
    }
    // Rows over maxTextBytes are rewritten on bytes: the same bytes again.
    expect((await run(rules, input, binary, arena, [], 4096)).out.equals(reference.out), `${format}, huge rows on bytes`).toBe(true);
    expect((await run(compiled(), input, binary, undefined, [], 4096)).out.equals(reference.out), `${format}, huge rows on bytes, reference`).toBe(true);
  }, 300_000);

  test(`${format} COPY: the same bytes with the data cut in two at every offset`, async () => {
    const input = (binary ? binaryCopy : textCopy)(rows(6, false));
    const { out } = await run(compiled(), input, binary, undefined, []);
    const arena = new Arena();
    const rules = compiled();
    const reference = compiled();
    for (let at = 1; at < input.length; at++) {
      for (const [rulesOf, arenaOf] of [[rules, arena], [reference, undefined]] as const) {
        const got = await run(rulesOf, input, binary, arenaOf, [at]);
        if (!got.out.equals(out)) expect(got.out.toString("latin1"), `${format}, cut at ${at}${arenaOf ? "" : ", reference"}`).toBe(out.toString("latin1"));
      }
    }
  }, 300_000);
}
