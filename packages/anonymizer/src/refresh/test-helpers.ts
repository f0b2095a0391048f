/**
 * Helpers of the filestore tests (not exported from the package): structural validators of the placeholder
 * formats, written from the formats' specifications and independent of the code that builds them (zlib's own
 * inflate and CRC-32 check the PNG and zip parts).
 */
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { crc32, inflateSync } from "node:zlib";

export function sha1(data: Buffer): string {
  return createHash("sha1").update(data).digest("hex");
}

/** Every regular file under a directory, as `{ "ab/ab12…": absolute path }`. */
export function filesUnder(root: string): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (dir: string, rel: string) => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const abs = path.join(dir, e.name);
      const name = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory()) walk(abs, name);
      else if (e.isFile()) out.set(name, abs);
    }
  };
  walk(root, "");
  return out;
}

export function inode(p: string): number {
  return statSync(p).ino;
}

function fail(what: string): never {
  throw new Error(what);
}

/** A PNG: signature, chunks with valid CRCs, IHDR first with its dimensions, IDAT that inflates to the image size, IEND last. */
export function checkPng(b: Buffer): { width: number; height: number } {
  if (!b.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))) fail("PNG signature");
  let off = 8;
  const chunks: { type: string; data: Buffer }[] = [];
  while (off < b.length) {
    const len = b.readUInt32BE(off);
    const type = b.toString("latin1", off + 4, off + 8);
    const data = b.subarray(off + 8, off + 8 + len);
    const crc = b.readUInt32BE(off + 8 + len);
    if (crc !== crc32(b.subarray(off + 4, off + 8 + len))) fail(`PNG ${type} CRC`);
    chunks.push({ type, data });
    off += 12 + len;
  }
  if (off !== b.length) fail("PNG trailing bytes");
  if (chunks[0]?.type !== "IHDR" || chunks.at(-1)?.type !== "IEND") fail("PNG chunk order");
  const ihdr = chunks[0].data;
  const width = ihdr.readUInt32BE(0);
  const height = ihdr.readUInt32BE(4);
  const [depth, colour] = [ihdr[8]!, ihdr[9]!];
  const channels = ({ 0: 1, 2: 3, 3: 1, 4: 2, 6: 4 } as Record<number, number>)[colour] ?? fail("PNG colour type");
  const raw = inflateSync(Buffer.concat(chunks.filter((c) => c.type === "IDAT").map((c) => c.data)));
  if (raw.length !== height * (1 + Math.ceil((width * channels * depth) / 8))) fail("PNG image data size");
  return { width, height };
}

/** A JPEG: SOI, well-formed marker segments, a baseline SOF with its size, DQT, DHT, SOS, entropy data, EOI. */
export function checkJpeg(b: Buffer): { width: number; height: number } {
  if (b[0] !== 0xff || b[1] !== 0xd8) fail("JPEG SOI");
  if (b[b.length - 2] !== 0xff || b[b.length - 1] !== 0xd9) fail("JPEG EOI");
  let off = 2;
  const seen = new Set<number>();
  let size: { width: number; height: number } | undefined;
  for (;;) {
    if (b[off] !== 0xff) fail(`JPEG marker expected at ${off}`);
    const marker = b[off + 1]!;
    const len = b.readUInt16BE(off + 2);
    seen.add(marker);
    if (marker === 0xc0) size = { height: b.readUInt16BE(off + 5), width: b.readUInt16BE(off + 7) };
    if (marker === 0xc4) {
      // DHT: the code counts must add up to the symbols given.
      const counts = [...b.subarray(off + 5, off + 21)].reduce((a, n) => a + n, 0);
      if (len !== 2 + 1 + 16 + counts) fail("JPEG DHT length");
    }
    off += 2 + len;
    if (marker === 0xda) break;
  }
  for (const m of [0xdb, 0xc0, 0xc4]) if (!seen.has(m)) fail(`JPEG lacks marker ${m.toString(16)}`);
  if (off >= b.length - 2) fail("JPEG has no entropy-coded data");
  return size ?? fail("JPEG SOF0");
}

export function checkGif(b: Buffer): { width: number; height: number } {
  if (!["GIF87a", "GIF89a"].includes(b.toString("latin1", 0, 6))) fail("GIF header");
  if (b[b.length - 1] !== 0x3b) fail("GIF trailer");
  if (!b.includes(0x2c)) fail("GIF image descriptor");
  return { width: b.readUInt16LE(6), height: b.readUInt16LE(8) };
}

/** A WebP: RIFF size matching, the WEBP form, a VP8L chunk with its signature byte and dimensions. */
export function checkWebp(b: Buffer): { width: number; height: number } {
  if (b.toString("latin1", 0, 4) !== "RIFF" || b.toString("latin1", 8, 12) !== "WEBP") fail("WEBP header");
  if (b.readUInt32LE(4) + 8 !== b.length) fail("WEBP RIFF size");
  if (b.toString("latin1", 12, 16) !== "VP8L" || b[20] !== 0x2f) fail("WEBP VP8L");
  const bits = b.readUInt32LE(21);
  return { width: (bits & 0x3fff) + 1, height: ((bits >> 14) & 0x3fff) + 1 };
}

/**
 * A PDF: header, objects, an xref table whose every in-use offset points at `N 0 obj`, a trailer with /Root,
 * startxref pointing at the table, %%EOF; each stream's /Length matching its bytes; one page.
 */
export function checkPdf(b: Buffer): { pages: number } {
  const s = b.toString("latin1");
  if (!s.startsWith("%PDF-1.")) fail("PDF header");
  if (!/%%EOF\s*$/.test(s)) fail("PDF %%EOF");
  const sx = /startxref\s+(\d+)\s+%%EOF\s*$/.exec(s) ?? fail("PDF startxref");
  const xref = Number(sx[1]);
  if (!s.startsWith("xref", xref)) fail("PDF startxref does not point at the xref table");
  const head = /^xref\n0 (\d+)\n/.exec(s.slice(xref)) ?? fail("PDF xref subsection");
  const count = Number(head[1]);
  const entries = s.slice(xref + head[0].length, xref + head[0].length + 20 * count);
  for (let i = 0; i < count; i++) {
    const e = entries.slice(i * 20, i * 20 + 20);
    if (!/^\d{10} \d{5} [nf] \n$/.test(e)) fail(`PDF xref entry ${i} is not 20 bytes`);
    if (e[17] === "n" && !s.startsWith(`${i} 0 obj`, Number(e.slice(0, 10)))) fail(`PDF xref offset of object ${i}`);
  }
  if (!/trailer\s*<<[^>]*\/Root \d+ 0 R/.test(s)) fail("PDF trailer /Root");
  for (const m of s.matchAll(/\/Length (\d+) >>\nstream\n/g)) {
    const start = m.index + m[0].length;
    if (!s.startsWith("endstream", start + Number(m[1]))) fail("PDF stream /Length");
  }
  const pages = (s.match(/\/Type \/Page\b/g) ?? []).length;
  return { pages };
}

/** A zip: local headers and central directory agreeing, every entry's CRC-32 right; the entry names. */
export function checkZip(b: Buffer): string[] {
  const eocd = b.lastIndexOf(Buffer.from([0x50, 0x4b, 0x05, 0x06]));
  if (eocd < 0 || eocd + 22 > b.length) fail("zip end record");
  const n = b.readUInt16LE(eocd + 10);
  const cdSize = b.readUInt32LE(eocd + 12);
  let cd = b.readUInt32LE(eocd + 16);
  if (cd + cdSize !== eocd) fail("zip central directory position");
  const names: string[] = [];
  for (let i = 0; i < n; i++) {
    if (b.readUInt32LE(cd) !== 0x02014b50) fail("zip central header");
    const crc = b.readUInt32LE(cd + 16);
    const size = b.readUInt32LE(cd + 20);
    const nameLen = b.readUInt16LE(cd + 28);
    const extra = b.readUInt16LE(cd + 30);
    const comment = b.readUInt16LE(cd + 32);
    const local = b.readUInt32LE(cd + 42);
    const name = b.toString("utf8", cd + 46, cd + 46 + nameLen);
    if (b.readUInt32LE(local) !== 0x04034b50) fail(`zip local header of ${name}`);
    if (b.readUInt16LE(local + 8) !== 0) fail("zip method (stored expected)");
    const dataAt = local + 30 + b.readUInt16LE(local + 26) + b.readUInt16LE(local + 28);
    if (crc32(b.subarray(dataAt, dataAt + size)) !== crc) fail(`zip CRC of ${name}`);
    names.push(name);
    cd += 46 + nameLen + extra + comment;
  }
  return names;
}

/** Placeholder text files are short and say what they are. */
export function checkNote(b: Buffer): string {
  const s = b.toString("utf8");
  if (b.length > 512 || !/placeholder/i.test(s)) fail("placeholder note");
  return s;
}

/** Checks `bytes` as a valid file of the placeholder kind; throws naming what is wrong. */
export function checkPlaceholderBytes(kind: string, bytes: Buffer): void {
  const zipEntries = (names: string[]) => {
    const got = checkZip(bytes);
    for (const n of names) if (!got.includes(n)) fail(`zip lacks ${n}`);
    return got;
  };
  switch (kind) {
    case "png":
      checkPng(bytes);
      return;
    case "jpeg":
      checkJpeg(bytes);
      return;
    case "gif":
      checkGif(bytes);
      return;
    case "webp":
      checkWebp(bytes);
      return;
    case "ico":
      if (bytes.readUInt16LE(0) !== 0 || bytes.readUInt16LE(2) !== 1 || bytes.readUInt16LE(4) !== 1) fail("ICO header");
      checkPng(bytes.subarray(bytes.readUInt32LE(18), bytes.readUInt32LE(18) + bytes.readUInt32LE(14)));
      return;
    case "bmp":
      if (bytes.toString("latin1", 0, 2) !== "BM" || bytes.readUInt32LE(2) !== bytes.length) fail("BMP header");
      return;
    case "pdf":
      if (checkPdf(bytes).pages !== 1) fail("PDF pages");
      return;
    case "svg":
      if (!/^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg"[^>]*>.*<\/svg>\n$/s.test(bytes.toString("utf8"))) fail("SVG");
      return;
    case "json":
    case "spreadsheet-json":
      JSON.parse(bytes.toString("utf8"));
      return;
    case "css":
    case "js":
      if (!/^\/\*[^*]*\*\/\n$/.test(bytes.toString("utf8"))) fail("a lone comment");
      return;
    case "html":
      if (!/^<!DOCTYPE html>/.test(checkNote(bytes))) fail("HTML");
      return;
    case "xml":
      if (!/^<\?xml /.test(checkNote(bytes))) fail("XML");
      return;
    case "rtf":
      if (!/^\{\\rtf1.*\}\n$/s.test(checkNote(bytes))) fail("RTF");
      return;
    case "text":
    case "csv":
      checkNote(bytes);
      return;
    case "docx":
      zipEntries(["[Content_Types].xml", "_rels/.rels", "word/document.xml"]);
      return;
    case "xlsx":
      zipEntries(["[Content_Types].xml", "_rels/.rels", "xl/workbook.xml", "xl/_rels/workbook.xml.rels", "xl/worksheets/sheet1.xml"]);
      return;
    case "odt":
    case "ods":
      if (zipEntries(["mimetype", "META-INF/manifest.xml", "content.xml"])[0] !== "mimetype") fail("ODF mimetype first");
      return;
    case "zip":
      zipEntries([]);
      return;
    default:
      fail(`unknown kind ${kind}`);
  }
}

export function readBytes(p: string): Buffer {
  return readFileSync(p);
}

/**
 * The lab filestore (../shared/odoo16-lab/filestore-odoo_prod.tar.gz) unpacked under `base` (another filesystem,
 * e.g. /dev/shm, to see copies instead of hard links).
 */
export function labFilestore(shared: string, base = os.tmpdir()): { dir: string; cleanup: () => void } {
  const root = mkdtempSync(path.join(base, "lab-fs-"));
  execFileSync("tar", ["-xzf", path.join(shared, "odoo16-lab/filestore-odoo_prod.tar.gz"), "-C", root]);
  return { dir: path.join(root, "odoo_prod"), cleanup: () => rmSync(root, { recursive: true, force: true }) };
}

/** A temp directory; the target directory of a test is a path inside it that does not exist yet. */
export function tempDir(prefix: string, base = os.tmpdir()): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(path.join(base, prefix));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}
