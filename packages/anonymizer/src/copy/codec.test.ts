import { Arena } from "../accelerator/arena.js";
import { test, expect } from "@odoo-deploy/testkit/vitest";
import pg from "pg";
import { from as copyFrom, to as copyTo } from "pg-copy-streams";
import { Readable, Writable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { decodeField, encodeField } from "./codec.js";
import { BinaryCopyTransform } from "./binary-transform.js";
import { CopyRowTransform } from "./row-transform.js";
import { Anonymizer } from "../strategies/anonymizer.js";

const NASTY = [
  "plain",
  "tab\there",
  "new\nline and \r carriage",
  "back\\slash \\N \\\\ \\t",
  "\\N",
  "",
  "unicode: é ü 漢字 🎉 \u00a0",
  "form\ffeed \b backspace \v vtab",
  "a\u0001control",
];

const inChunks = (b: Buffer, size: number) => Array.from({ length: Math.ceil(b.length / size) }, (_, i) => b.subarray(i * size, i * size + size));

async function copyOutBytes(client: pg.Client, sql: string): Promise<Buffer> {
  const chunks: Buffer[] = [];
  await pipeline(client.query(copyTo(sql)), new Writable({ write: (c: Buffer, _e, cb) => (chunks.push(c), cb()) }));
  return Buffer.concat(chunks);
}

test("COPY text round trip is byte-identical for nasty values, bytea, arrays, jsonb and NULL vs '\\N'", async ({ db }) => {
  const client = new pg.Client({ connectionString: db.url });
  await client.connect();
  try {
    await client.query(`CREATE TABLE src (id int, t text, v varchar, b bytea, a text[], j jsonb, "Mixed Case" text);
                        CREATE TABLE dst (LIKE src)`);
    for (const [i, s] of NASTY.entries()) {
      await client.query(`INSERT INTO src VALUES ($1::int, $2::text, $2::text, convert_to($2::text, 'UTF8'), ARRAY[$2::text, NULL, 'x,y', '{}'], jsonb_build_object('en_US', $2::text, 'n', $1::int), $2::text)`, [i, s]);
    }
    await client.query(`INSERT INTO src VALUES (100, NULL, NULL, NULL, NULL, NULL, NULL), (101, '\\N', '\\N', '\\x5c4e', ARRAY['\\N'], '"\\\\N"', 'x')`);
    const original = await copyOutBytes(client, "COPY src TO STDOUT");
    // Decode and re-encode EVERY column (the worst case), in chunks that split rows and escapes anywhere.
    const columns = ["id", "t", "v", "b", "a", "j", "Mixed Case"];
    const tr = new CopyRowTransform({ table: "src", columns, transforms: columns.map(() => (v: string) => v) }, { arena: new Arena() });
    const chunks = Array.from({ length: Math.ceil(original.length / 7) }, (_, i) => original.subarray(i * 7, i * 7 + 7));
    await pipeline(Readable.from(chunks), tr, client.query(copyFrom("COPY dst FROM STDIN")));
    const copied = await copyOutBytes(client, "COPY dst TO STDOUT");
    expect(copied.equals(original)).toBe(true);
    expect(tr.stats.rows).toBe(NASTY.length + 2);
    // The same on bytes, as rows too big for a string are handled (a limit of 16 bytes sends every row there).
    const onBytes = new CopyRowTransform({ table: "src", columns, transforms: columns.map(() => (v: string) => v) }, { arena: new Arena(), maxTextBytes: 16 });
    const out: Buffer[] = [];
    await pipeline(Readable.from(chunks), onBytes, new Writable({ write: (c: Buffer, _e, cb) => (out.push(c), cb()) }));
    expect(Buffer.concat(out).equals(original)).toBe(true);
    expect(onBytes.stats.rows).toBe(NASTY.length + 2);
    // NULL and the text '\N' stay distinct.
    const r = await client.query("SELECT id, t IS NULL AS isnull, t FROM dst WHERE id IN (100, 101) ORDER BY id");
    expect(r.rows).toEqual([
      { id: 100, isnull: true, t: null },
      { id: 101, isnull: false, t: "\\N" },
    ]);
  } finally {
    await client.end();
  }
});

test("decodeField and encodeField invert each other, including octal and hex escapes", () => {
  for (const s of NASTY) {
    const enc = Buffer.from(encodeField(s));
    expect(decodeField(enc, 0, enc.length)).toBe(s);
  }
  expect(encodeField(null)).toBe("\\N");
  const b = Buffer.from("\\101\\x42\\N\\q");
  expect(decodeField(b, 0, b.length)).toBe("ABNq");
  const n = Buffer.from("\\N");
  expect(decodeField(n, 0, n.length)).toBeNull();
});

test("only ruled columns are touched: the other bytes pass through", async () => {
  const input = Buffer.from("1\tkeep\\tme\tx@y.z\t\\N\n2\t\\N\tA@B.C\tz\n");
  for (const maxTextBytes of [undefined, 20]) {
    const tr = new CopyRowTransform({ table: "t", columns: ["id", "k", "email", "n"], transforms: [undefined, undefined, (v) => v.toLowerCase(), undefined] }, { arena: new Arena(), ...(maxTextBytes ? { maxTextBytes } : {}) });
    const out: Buffer[] = [];
    await pipeline(Readable.from([input]), tr, new Writable({ write: (c: Buffer, _e, cb) => (out.push(c), cb()) }));
    expect(Buffer.concat(out).toString(), `maxTextBytes ${maxTextBytes}`).toBe("1\tkeep\\tme\tx@y.z\t\\N\n2\t\\N\ta@b.c\tz\n");
  }
});

test("a row spanning many chunks (a 3 MB field in 1 KB chunks) comes out whole and byte-identical", async () => {
  const big = "x".repeat(3 * 1024 * 1024);
  const input = Buffer.from(`1\t${big}\tA@B.C\n2\tsmall\tD@E.F\n`);
  const tr = new CopyRowTransform({ table: "t", columns: ["id", "blob", "email"], transforms: [undefined, undefined, (v) => v.toLowerCase()] }, { arena: new Arena() });
  const chunks = Array.from({ length: Math.ceil(input.length / 1024) }, (_, i) => input.subarray(i * 1024, i * 1024 + 1024));
  const out: Buffer[] = [];
  await pipeline(Readable.from(chunks), tr, new Writable({ write: (c: Buffer, _e, cb) => (out.push(c), cb()) }));
  expect(Buffer.concat(out).equals(Buffer.from(`1\t${big}\ta@b.c\n2\tsmall\td@e.f\n`))).toBe(true);
  expect(tr.stats.rows).toBe(2);
});

test("rows of 100 KB then 200 KB (together more than one output chunk) come out whole, in text and binary format", async () => {
  const sizes = [100_000, 200_000, 10, 250_000, 5];
  const text = Buffer.from(sizes.map((n, i) => `${i}\t${"x".repeat(n)}\tA@B.C\n`).join(""));
  const lower = (v: string) => v.toLowerCase();
  const out: Buffer[] = [];
  await pipeline(Readable.from(inChunks(text, 65536)), new CopyRowTransform({ table: "t", columns: ["id", "blob", "email"], transforms: [undefined, undefined, lower] }, { arena: new Arena() }), new Writable({ write: (c: Buffer, _e, cb) => (out.push(c), cb()) }));
  expect(Buffer.concat(out).toString()).toBe(sizes.map((n, i) => `${i}\t${"x".repeat(n)}\ta@b.c\n`).join(""));

  const field = (s: string) => Buffer.concat([Buffer.from([0, 0, 0, 0]).fill(0).map((_, k) => (Buffer.byteLength(s) >>> (24 - 8 * k)) & 0xff), Buffer.from(s)]);
  const tuple = (n: number, email: string) => Buffer.concat([Buffer.from([0, 2]), field("y".repeat(n)), field(email)]);
  const header = Buffer.from("PGCOPY\n\xff\r\n\0\0\0\0\0\0\0\0\0", "latin1");
  const end = Buffer.from([0xff, 0xff]);
  const binary = Buffer.concat([header, ...sizes.map((n) => tuple(n, "A@B.C")), end]);
  const got: Buffer[] = [];
  await pipeline(Readable.from(inChunks(binary, 65536)), new BinaryCopyTransform({ table: "t", columns: ["blob", "email"], transforms: [undefined, lower], binary: ["text", "text"] }, { arena: new Arena() }), new Writable({ write: (c: Buffer, _e, cb) => (got.push(c), cb()) }));
  expect(Buffer.concat(got).equals(Buffer.concat([header, ...sizes.map((n) => tuple(n, "a@b.c")), end]))).toBe(true);
});

test("keyed fakes are the same whether the engine hashes a field's bytes in the row or the decoded string", async () => {
  // ASCII fields are hashed from the row's bytes (stageBytes), escaped or non-ASCII ones from the string: both must
  // give the fake a transform gives the plain string, in text and binary format. The binary encoder trusts the
  // rules' charset promises (ASCII fakes are not checked): ru names and cities are not ASCII, lorem and html are
  // when the original is.
  const a = new Anonymizer({ secret: "same-fakes" });
  const rules = ["email", "name", "phone", "street", "html", { strategy: "hash", length: 10 }, { strategy: "name", locale: "ru" }, { strategy: "city", locale: "ru" }, "lorem", "mask"] as const;
  const values = ["  John.Smith@Example.COM ", "Zoë Müller", "+32 (2) 555-01.02", "Rue de la Loi 16", "<p>Call me</p>", "tab\tand\\back", "no digits"];
  const noRow = { original: () => null, output: () => null };
  const columns = rules.map((_, k) => `c${k}`);
  const transforms = rules.map((r) => a.compile(r));
  const expected = values.map((v) => transforms.map((t) => t(v, noRow)!));

  const text = Buffer.from(values.map((v) => `${columns.map(() => encodeField(v)).join("\t")}\n`).join(""));
  const out = await collectOut(inChunks(text, 50), new CopyRowTransform({ table: "t", columns, transforms }, { arena: new Arena() }));
  expect(out.toString().split("\n").slice(0, -1).map((line) => line.split("\t").map(decodeField0))).toEqual(expected);

  const field = (s: string) => {
    const b = Buffer.from(s);
    const len = Buffer.alloc(4);
    len.writeInt32BE(b.length);
    return Buffer.concat([len, b]);
  };
  const header = Buffer.from("PGCOPY\n\xff\r\n\0\0\0\0\0\0\0\0\0", "latin1");
  const tuple = (vs: string[]) => Buffer.concat([Buffer.from([0, vs.length]), ...vs.map(field)]);
  const binary = Buffer.concat([header, ...values.map((v) => tuple(columns.map(() => v))), Buffer.from([0xff, 0xff])]);
  const got = await collectOut(inChunks(binary, 50), new BinaryCopyTransform({ table: "t", columns, transforms, binary: columns.map(() => "text") }, { arena: new Arena() }));
  expect(got.equals(Buffer.concat([header, ...expected.map(tuple), Buffer.from([0xff, 0xff])]))).toBe(true);
});

const decodeField0 = (f: string) => decodeField(Buffer.from(f, "utf8"), 0, Buffer.byteLength(f));

async function collectOut(input: Buffer[], tr: Writable & Readable): Promise<Buffer> {
  const out: Buffer[] = [];
  await pipeline(Readable.from(input), tr, new Writable({ write: (c: Buffer, _e, cb) => (out.push(c), cb()) }));
  return Buffer.concat(out);
}
