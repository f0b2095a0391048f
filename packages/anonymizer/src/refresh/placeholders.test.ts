import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, test } from "vitest";
import { placeholderFor, placeholderKind, placeholderOfKind, type PlaceholderKind } from "./placeholders.js";
import { checkJpeg, checkPdf, checkPlaceholderBytes, checkPng, checkWebp, checkZip, sha1 } from "./test-helpers.js";

const KINDS: PlaceholderKind[] = [
  "png", "jpeg", "gif", "webp", "svg", "ico", "bmp", "pdf", "text", "csv", "html", "xml", "css", "js", "json",
  "spreadsheet-json", "rtf", "docx", "xlsx", "odt", "ods", "zip",
];

describe("placeholder files", () => {
  test.each(KINDS)("%s: a valid file of its type, small, named by its sha1, the same bytes every time", (kind) => {
    const p = placeholderOfKind(kind);
    expect(p.kind).toBe(kind);
    checkPlaceholderBytes(kind, p.bytes);
    expect(p.bytes.length).toBeLessThan(4096);
    expect(p.sha1).toBe(sha1(p.bytes));
    expect(p.storeFname).toBe(`${p.sha1.slice(0, 2)}/${p.sha1}`);
    expect(placeholderOfKind(kind)).toBe(p);
  });

  test("each kind has its own bytes (rows of different types never share a file)", () => {
    const shas = new Set(KINDS.map((k) => placeholderOfKind(k).sha1));
    // css and js are the same comment on purpose: one file serves both
    expect(shas.size).toBe(KINDS.length - 1);
    expect(placeholderOfKind("css").sha1).toBe(placeholderOfKind("js").sha1);
  });

  test("images are 1×1; the PDF has one page", () => {
    expect(checkPng(placeholderOfKind("png").bytes)).toEqual({ width: 1, height: 1 });
    expect(checkJpeg(placeholderOfKind("jpeg").bytes)).toEqual({ width: 1, height: 1 });
    expect(checkWebp(placeholderOfKind("webp").bytes)).toEqual({ width: 1, height: 1 });
    expect(checkPdf(placeholderOfKind("pdf").bytes)).toEqual({ pages: 1 });
  });

  test("the validators catch damage (so the checks above can fail)", () => {
    const png = Buffer.from(placeholderOfKind("png").bytes);
    const flip = (b: Buffer, i: number) => b.writeUInt8(b.readUInt8(i) ^ 1, i);
    flip(png, 20); // inside IHDR: its CRC no longer matches
    expect(() => checkPng(png)).toThrow(/IHDR CRC/);
    const pdf = placeholderOfKind("pdf").bytes.toString("latin1").replace(/^(xref\n0 6\n0000000000 65535 f \n)0000000009/m, "$10000000010");
    expect(() => checkPdf(Buffer.from(pdf, "latin1"))).toThrow(/xref offset of object 1/);
    const zip = Buffer.from(placeholderOfKind("docx").bytes);
    flip(zip, zip.indexOf("<w:t>") + 6);
    expect(() => checkZip(zip)).toThrow(/CRC of word\/document.xml/);
    const jpeg = placeholderOfKind("jpeg").bytes.subarray(0, -1);
    expect(() => checkJpeg(jpeg)).toThrow(/EOI/);
  });

  test.each([
    [{ mimetype: "image/png" }, "png"],
    [{ mimetype: "image/jpeg" }, "jpeg"],
    [{ mimetype: "IMAGE/JPEG; charset=binary" }, "jpeg"],
    [{ mimetype: "image/svg+xml" }, "svg"],
    [{ mimetype: "image/x-icon", name: "favicon" }, "ico"],
    [{ mimetype: "image/tiff" }, "png"],
    [{ mimetype: "application/pdf", name: "in_invoice_yourcompany_demo.pdf" }, "pdf"],
    [{ mimetype: "application/msword", name: "YourCompany2012.doc" }, "rtf"],
    [{ mimetype: "application/vnd.openxmlformats-officedocument.wordprocessingml.document" }, "docx"],
    [{ mimetype: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet" }, "xlsx"],
    [{ mimetype: "application/vnd.openxmlformats-officedocument.presentationml.presentation" }, "zip"],
    [{ mimetype: "application/vnd.oasis.opendocument.text" }, "odt"],
    [{ mimetype: "text/scss", name: "res.company.scss" }, "css"],
    [{ mimetype: "application/javascript" }, "js"],
    [{ mimetype: "text/csv" }, "csv"],
    [{ mimetype: "text/html" }, "html"],
    [{ mimetype: "application/xml" }, "xml"],
    [{ mimetype: "application/vnd.ms-excel", name: "export.xls" }, "csv"],
    // generic or missing mimetypes: the file name's extension decides
    [{ mimetype: "application/octet-stream", name: "scan.PDF" }, "pdf"],
    [{ mimetype: null, name: "photo.jpg" }, "jpeg"],
    [{ mimetype: "application/octet-stream", name: "report.docx" }, "docx"],
    [{ mimetype: "application/x-unknown", name: "data.json" }, "json"],
    // a known mimetype wins over a contradicting name
    [{ mimetype: "image/png", name: "photo.jpg" }, "png"],
    // spreadsheet dashboards keep JSON without an extension (lab: spreadsheet.dashboard, data, octet-stream)
    [{ mimetype: "application/octet-stream", name: "data", resModel: "spreadsheet.dashboard" }, "spreadsheet-json"],
    [{ mimetype: "application/octet-stream", name: "blob" }, "text"],
    [{}, "text"],
  ] as const)("%j → %s", (input, kind) => {
    expect(placeholderKind(input)).toBe(kind);
    expect(placeholderFor(input).kind).toBe(kind);
  });
});

// Real decoders, where installed (Debian: libjpeg-turbo-progs, webp, poppler-utils, qpdf, unzip): the structural
// checks above are ours; these are the formats' reference tools.
// Skipped on a workstation without the decoder; in CI (.ci/run installs them) a missing one fails the test.
const has = (tool: string) => Boolean(process.env.CI) || spawnSync("sh", ["-c", `command -v ${tool}`]).status === 0;

describe("placeholder files read by reference tools", () => {
  const dir = () => mkdtempSync(path.join(os.tmpdir(), "placeholders-"));
  const run = (kind: PlaceholderKind, ext: string, argv: (file: string) => string[]) => {
    const d = dir();
    try {
      const file = path.join(d, `p.${ext}`);
      writeFileSync(file, placeholderOfKind(kind).bytes);
      const [cmd, ...args] = argv(file);
      return execFileSync(cmd!, args, { encoding: "latin1", stdio: ["ignore", "pipe", "pipe"] });
    } finally {
      rmSync(d, { recursive: true, force: true });
    }
  };
  test.skipIf(!has("djpeg"))("djpeg decodes the JPEG to a 1×1 grey image", () => {
    expect(run("jpeg", "jpg", (f) => ["djpeg", "-pnm", f])).toMatch(/^P5\n1 1\n255\n/);
  });
  test.skipIf(!has("dwebp"))("dwebp decodes the WebP", () => {
    expect(run("webp", "webp", (f) => ["dwebp", f, "-pam", "-o", "-"])).toMatch(/^P7\nWIDTH 1\nHEIGHT 1\n/);
  });
  test.skipIf(!has("qpdf") || !has("pdfinfo"))("qpdf finds no damage in the PDF; pdfinfo sees one A4 page", () => {
    expect(run("pdf", "pdf", (f) => ["qpdf", "--check", f])).toMatch(/No syntax or stream encoding errors/);
    expect(run("pdf", "pdf", (f) => ["pdfinfo", f])).toMatch(/Pages:\s+1\n[\s\S]*Page size:\s+595 x 842 pts \(A4\)/);
  });
  test.skipIf(!has("unzip"))("unzip tests every zip-based placeholder without error", () => {
    for (const kind of ["docx", "xlsx", "odt", "ods", "zip"] as const) {
      expect(run(kind, "zip", (f) => ["unzip", "-t", f]), kind).toMatch(/No errors detected/);
    }
  });
});
