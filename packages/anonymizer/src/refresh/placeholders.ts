// (Over 300 lines: one small hand-built file per type — PNG, JPEG, GIF, WebP, SVG, ICO, BMP, PDF, office, zip —
// each a few lines of bytes that are read together with the format notes beside them.)
/**
 * Small valid files that stand in for the attachments of a staging copy: a blank image for an image, a one-page
 * PDF for a PDF, a short note for a text, a minimal document for an office file. Valid, so that Odoo's previews,
 * thumbnails, reports and downloads keep working on staging; small and constant, so that every attachment of a
 * kind shares one file (as Odoo's own dedup by sha1 would) and nobody's document reaches staging.
 *
 * Every byte here is built by hand (no image or PDF library): each format's structure is spelled out where it is
 * built, so a reader can check it against the format's specification.
 */
import { createHash } from "node:crypto";
import path from "node:path";
import { crc32 } from "node:zlib";

/** The kinds of placeholder files. */
export type PlaceholderKind =
  | "png"
  | "jpeg"
  | "gif"
  | "webp"
  | "svg"
  | "ico"
  | "bmp"
  | "pdf"
  | "text"
  | "csv"
  | "html"
  | "xml"
  | "css"
  | "js"
  | "json"
  | "spreadsheet-json"
  | "rtf"
  | "docx"
  | "xlsx"
  | "odt"
  | "ods"
  | "zip";

/** A placeholder file: its bytes and the names Odoo's filestore gives them. */
export interface Placeholder {
  kind: PlaceholderKind;
  bytes: Buffer;
  /** sha1 of the bytes (the `checksum` column). */
  sha1: string;
  /** `<sha1[:2]>/<sha1>` (the `store_fname` column). */
  storeFname: string;
}

/** What chooses a placeholder: an attachment's `mimetype`, then the extension of its `name`, then its model. */
export interface PlaceholderInput {
  mimetype?: string | null;
  name?: string | null;
  resModel?: string | null;
}

const NOTE = "This file is a placeholder: staging copies of the database do not contain the original files.";

const MIMETYPES: Record<string, PlaceholderKind> = {
  "image/png": "png",
  "image/jpeg": "jpeg",
  "image/jpg": "jpeg",
  "image/pjpeg": "jpeg",
  "image/gif": "gif",
  "image/webp": "webp",
  "image/svg+xml": "svg",
  "image/x-icon": "ico",
  "image/vnd.microsoft.icon": "ico",
  "image/bmp": "bmp",
  "image/x-ms-bmp": "bmp",
  "application/pdf": "pdf",
  "application/x-pdf": "pdf",
  "text/plain": "text",
  "text/markdown": "text",
  "text/csv": "csv",
  "text/comma-separated-values": "csv",
  "text/html": "html",
  "application/xhtml+xml": "html",
  "text/xml": "xml",
  "application/xml": "xml",
  "text/css": "css",
  "text/scss": "css",
  "text/x-scss": "css",
  "text/less": "css",
  "text/x-less": "css",
  "text/javascript": "js",
  "application/javascript": "js",
  "application/x-javascript": "js",
  "application/json": "json",
  "application/rtf": "rtf",
  "text/rtf": "rtf",
  // Word's binary format (OLE) cannot be written small; Word and LibreOffice open RTF saved as .doc.
  "application/msword": "rtf",
  "application/vnd.openxmlformats-officedocument.wordprocessingml.document": "docx",
  "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": "xlsx",
  // Excel's binary format likewise: Excel and LibreOffice open a CSV saved as .xls.
  "application/vnd.ms-excel": "csv",
  "application/vnd.oasis.opendocument.text": "odt",
  "application/vnd.oasis.opendocument.spreadsheet": "ods",
  "application/zip": "zip",
  "application/x-zip-compressed": "zip",
  // A minimal valid presentation needs a master, a layout and a theme: a zip holding the note instead.
  "application/vnd.openxmlformats-officedocument.presentationml.presentation": "zip",
  "application/vnd.oasis.opendocument.presentation": "zip",
};

const EXTENSIONS: Record<string, PlaceholderKind> = {
  png: "png",
  jpg: "jpeg",
  jpeg: "jpeg",
  jpe: "jpeg",
  gif: "gif",
  webp: "webp",
  svg: "svg",
  ico: "ico",
  bmp: "bmp",
  pdf: "pdf",
  txt: "text",
  md: "text",
  log: "text",
  csv: "csv",
  html: "html",
  htm: "html",
  xml: "xml",
  css: "css",
  scss: "css",
  less: "css",
  js: "js",
  json: "json",
  rtf: "rtf",
  doc: "rtf",
  docx: "docx",
  xlsx: "xlsx",
  xls: "csv",
  odt: "odt",
  ods: "ods",
  pptx: "zip",
  odp: "zip",
  zip: "zip",
};

/** Mimetypes that say nothing about the content: the file name decides then. */
const GENERIC = new Set(["", "application/octet-stream", "binary/octet-stream", "application/binary", "application/unknown"]);

/**
 * The placeholder kind for an attachment: by `mimetype`; by the extension of `name` when the mimetype is missing,
 * generic or unknown; any other image by a PNG (browsers sniff images); else a short text.
 *
 * @example placeholderKind({ mimetype: "image/jpeg" }) // "jpeg"
 */
export function placeholderKind(input: PlaceholderInput): PlaceholderKind {
  const mime = (input.mimetype ?? "").split(";")[0]!.trim().toLowerCase();
  const byMime = MIMETYPES[mime];
  if (byMime) return byMime;
  const ext = path.extname(input.name ?? "").slice(1).toLowerCase();
  const byExt = EXTENSIONS[ext];
  if (byExt && (GENERIC.has(mime) || !mime.includes("/") || !MIMETYPES[mime])) return byExt;
  if (mime.startsWith("image/")) return "png";
  if (mime.endsWith("+xml")) return "xml";
  if (mime.endsWith("+json")) return "json";
  // Spreadsheet dashboards (spreadsheet.dashboard.data, 16.0; spreadsheet_binary_data, 17.0+) keep their JSON
  // workbook as an octet-stream attachment without an extension: a text there would not load.
  if (GENERIC.has(mime) && (input.resModel ?? "").startsWith("spreadsheet")) return "spreadsheet-json";
  return "text";
}

const cache = new Map<PlaceholderKind, Placeholder>();

/**
 * The placeholder file for an attachment (see {@link placeholderKind}); the same bytes for every call of a kind.
 *
 * @example const p = placeholderFor({ mimetype: "application/pdf" }); // p.storeFname === `${p.sha1.slice(0, 2)}/${p.sha1}`
 */
export function placeholderFor(input: PlaceholderInput): Placeholder {
  return placeholderOfKind(placeholderKind(input));
}

/** The placeholder file of one kind. @example placeholderOfKind("png").bytes.length // 70 */
export function placeholderOfKind(kind: PlaceholderKind): Placeholder {
  let p = cache.get(kind);
  if (!p) {
    const bytes = BUILDERS[kind]();
    const sha1 = createHash("sha1").update(bytes).digest("hex");
    p = { kind, bytes, sha1, storeFname: `${sha1.slice(0, 2)}/${sha1}` };
    cache.set(kind, p);
  }
  return p;
}

const BUILDERS: Record<PlaceholderKind, () => Buffer> = {
  png,
  jpeg,
  // GIF89a, 1×1, a 2-colour global table, a graphic control extension making colour 0 transparent, one LZW
  // image block (min code size 2: clear, 0, end), trailer. The classic "spacer" GIF.
  gif: () => Buffer.from("47494638396101000100800000000000ffffff21f90401000000002c00000000010001000002024401003b", "hex"),
  // RIFF/WEBP with one VP8L (lossless) chunk of a 1×1 image: 34 bytes.
  webp: () => Buffer.from("UklGRhoAAABXRUJQVlA4TA0AAAAvAAAAEAcQERGIiP4HAA==", "base64"),
  svg: () => Buffer.from(`<svg xmlns="http://www.w3.org/2000/svg" width="1" height="1" viewBox="0 0 1 1"><!-- ${NOTE} --></svg>\n`),
  ico,
  bmp,
  pdf,
  text: () => Buffer.from(`${NOTE}\n`),
  csv: () => Buffer.from(`placeholder\n"${NOTE}"\n`),
  html: () => Buffer.from(`<!DOCTYPE html>\n<html><head><meta charset="utf-8"><title>Placeholder</title></head><body><p>${NOTE}</p></body></html>\n`),
  xml: () => Buffer.from(`<?xml version="1.0" encoding="UTF-8"?>\n<placeholder>${NOTE}</placeholder>\n`),
  // Comments: valid CSS, SCSS, LESS and JavaScript, so a customised asset that imports them still compiles.
  css: () => Buffer.from(`/* ${NOTE} */\n`),
  js: () => Buffer.from(`/* ${NOTE} */\n`),
  json: () => Buffer.from(`{"placeholder": ${JSON.stringify(NOTE)}}\n`),
  "spreadsheet-json": () => Buffer.from(`${JSON.stringify({ sheets: [{ id: "sheet1", name: "Sheet1", cells: { A1: { content: NOTE } } }] })}\n`),
  rtf: () => Buffer.from(`{\\rtf1\\ansi\\deff0{\\fonttbl{\\f0 Helvetica;}}\\f0\\fs24 ${NOTE}\\par}\n`),
  docx,
  xlsx,
  odt: () => odf("text"),
  ods: () => odf("spreadsheet"),
  zip: () => zipArchive([{ name: "PLACEHOLDER.txt", data: Buffer.from(`${NOTE}\n`) }]),
};

// ---------------------------------------------------------------------------------------------------------------
// Images

function u32be(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n >>> 0);
  return b;
}

function pngChunk(type: string, data: Buffer): Buffer {
  const td = Buffer.concat([Buffer.from(type, "latin1"), data]);
  return Buffer.concat([u32be(data.length), td, u32be(crc32(td))]);
}

/** 1×1 transparent RGBA PNG; its IDAT is a zlib stream with one stored block, so no compressor is involved. */
function png(): Buffer {
  // IHDR: width 1, height 1, bit depth 8, colour type 6 (RGBA), compression 0, filter 0, interlace 0.
  const ihdr = Buffer.concat([u32be(1), u32be(1), Buffer.from([8, 6, 0, 0, 0])]);
  const raw = Buffer.from([0, 0, 0, 0, 0]); // filter byte "none", then one transparent pixel
  const zlibStream = Buffer.concat([
    Buffer.from([0x78, 0x01]), // CMF/FLG: deflate, 32K window, no dictionary, (0x7801 % 31 === 0)
    Buffer.from([0x01, raw.length, 0x00, ~raw.length & 0xff, 0xff]), // final stored block, LEN, NLEN
    raw,
    u32be(adler32(raw)),
  ]);
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    pngChunk("IHDR", ihdr),
    pngChunk("IDAT", zlibStream),
    pngChunk("IEND", Buffer.alloc(0)),
  ]);
}

/**
 * 1×1 grey baseline JPEG (JFIF): one component, a quantisation table of ones, a DC and an AC Huffman table with
 * a single one-bit code each (DC category 0, AC end-of-block), and one entropy-coded byte: the two zero bits
 * padded with ones.
 */
function jpeg(): Buffer {
  const seg = (marker: number, body: number[]) => [0xff, marker, (body.length + 2) >> 8, (body.length + 2) & 0xff, ...body];
  const bytes = [
    0xff, 0xd8, // SOI
    ...seg(0xe0, [0x4a, 0x46, 0x49, 0x46, 0x00, 1, 1, 0, 0, 1, 0, 1, 0, 0]), // APP0 "JFIF\0" 1.1, aspect 1:1, no thumbnail
    ...seg(0xdb, [0x00, ...new Array<number>(64).fill(1)]), // DQT table 0, 8-bit
    ...seg(0xc0, [8, 0, 1, 0, 1, 1, 1, 0x11, 0]), // SOF0: 8-bit, 1×1, 1 component (id 1, 1×1 sampling, table 0)
    ...seg(0xc4, [0x00, 1, ...new Array<number>(15).fill(0), 0x00]), // DHT DC 0: one code of length 1 → category 0
    ...seg(0xc4, [0x10, 1, ...new Array<number>(15).fill(0), 0x00]), // DHT AC 0: one code of length 1 → EOB
    ...seg(0xda, [1, 1, 0x00, 0, 63, 0]), // SOS: component 1 with tables 0/0, spectral 0..63, no approximation
    0x3f, // "0" (DC diff 0) "0" (EOB), padded with ones
    0xff, 0xd9, // EOI
  ];
  return Buffer.from(bytes);
}

/** An icon directory with one 1×1 entry whose image is the PNG (valid in ICO files since Windows Vista). */
function ico(): Buffer {
  const image = png();
  const header = Buffer.alloc(22);
  header.writeUInt16LE(0, 0);
  header.writeUInt16LE(1, 2); // type 1: icon
  header.writeUInt16LE(1, 4); // one image
  header.writeUInt8(1, 6); // width 1
  header.writeUInt8(1, 7); // height 1
  header.writeUInt16LE(1, 10); // planes
  header.writeUInt16LE(32, 12); // bits per pixel
  header.writeUInt32LE(image.length, 14);
  header.writeUInt32LE(22, 18); // offset of the image
  return Buffer.concat([header, image]);
}

/** 1×1 white 24-bit BMP: file header, BITMAPINFOHEADER, one row padded to 4 bytes. */
function bmp(): Buffer {
  const b = Buffer.alloc(58);
  b.write("BM", 0, "latin1");
  b.writeUInt32LE(58, 2); // file size
  b.writeUInt32LE(54, 10); // pixel data offset
  b.writeUInt32LE(40, 14); // info header size
  b.writeInt32LE(1, 18); // width
  b.writeInt32LE(1, 22); // height
  b.writeUInt16LE(1, 26); // planes
  b.writeUInt16LE(24, 28); // bits per pixel
  b.writeUInt32LE(4, 34); // image size
  b.writeInt32LE(2835, 38); // 72 dpi
  b.writeInt32LE(2835, 42);
  b.fill(0xff, 54, 57);
  return b;
}

// ---------------------------------------------------------------------------------------------------------------
// PDF

/** A one-page A4 PDF saying it is a placeholder; the xref table's offsets are computed from the bytes written. */
function pdf(): Buffer {
  const content = `BT /F1 14 Tf 56 780 Td (${NOTE.replace(/[()\\]/g, "\\$&")}) Tj ET\n`;
  const objects = [
    "<< /Type /Catalog /Pages 2 0 R >>",
    "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
    "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R >>",
    "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
    `<< /Length ${Buffer.byteLength(content, "latin1")} >>\nstream\n${content}endstream`,
  ];
  let out = "%PDF-1.4\n";
  const offsets: number[] = [];
  objects.forEach((body, i) => {
    offsets.push(Buffer.byteLength(out, "latin1"));
    out += `${i + 1} 0 obj\n${body}\nendobj\n`;
  });
  const xref = Buffer.byteLength(out, "latin1");
  // Each xref entry is exactly 20 bytes: 10-digit offset, space, 5-digit generation, space, n/f, space, LF.
  out += `xref\n0 ${objects.length + 1}\n0000000000 65535 f \n`;
  for (const o of offsets) out += `${String(o).padStart(10, "0")} 00000 n \n`;
  out += `trailer\n<< /Size ${objects.length + 1} /Root 1 0 R >>\nstartxref\n${xref}\n%%EOF\n`;
  return Buffer.from(out, "latin1");
}

// ---------------------------------------------------------------------------------------------------------------
// Zip-based documents

const XML_HEAD = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n';
const REL_NS = "http://schemas.openxmlformats.org/package/2006/relationships";
const DOC_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships";

/** The smallest Word document: content types, the package relationship, one paragraph. */
function docx(): Buffer {
  return zipArchive([
    {
      name: "[Content_Types].xml",
      data: `${XML_HEAD}<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>`,
    },
    { name: "_rels/.rels", data: `${XML_HEAD}<Relationships xmlns="${REL_NS}"><Relationship Id="rId1" Type="${DOC_REL}/officeDocument" Target="word/document.xml"/></Relationships>` },
    {
      name: "word/document.xml",
      data: `${XML_HEAD}<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body><w:p><w:r><w:t>${NOTE}</w:t></w:r></w:p></w:body></w:document>`,
    },
  ]);
}

/** The smallest Excel workbook: one sheet with the note in A1 (an inline string: no shared-strings part). */
function xlsx(): Buffer {
  return zipArchive([
    {
      name: "[Content_Types].xml",
      data: `${XML_HEAD}<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>`,
    },
    { name: "_rels/.rels", data: `${XML_HEAD}<Relationships xmlns="${REL_NS}"><Relationship Id="rId1" Type="${DOC_REL}/officeDocument" Target="xl/workbook.xml"/></Relationships>` },
    {
      name: "xl/workbook.xml",
      data: `${XML_HEAD}<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="${DOC_REL}"><sheets><sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>`,
    },
    { name: "xl/_rels/workbook.xml.rels", data: `${XML_HEAD}<Relationships xmlns="${REL_NS}"><Relationship Id="rId1" Type="${DOC_REL}/worksheet" Target="worksheets/sheet1.xml"/></Relationships>` },
    {
      name: "xl/worksheets/sheet1.xml",
      data: `${XML_HEAD}<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>${NOTE}</t></is></c></row></sheetData></worksheet>`,
    },
  ]);
}

/** An OpenDocument text or spreadsheet: `mimetype` first and stored (as ODF requires), the manifest, the content. */
function odf(kind: "text" | "spreadsheet"): Buffer {
  const mimetype = `application/vnd.oasis.opendocument.${kind}`;
  const ns = 'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0"';
  const body =
    kind === "text"
      ? `<office:text><text:p>${NOTE}</text:p></office:text>`
      : `<office:spreadsheet><table:table table:name="Sheet1"><table:table-row><table:table-cell><text:p>${NOTE}</text:p></table:table-cell></table:table-row></table:table></office:spreadsheet>`;
  return zipArchive([
    { name: "mimetype", data: mimetype },
    {
      name: "META-INF/manifest.xml",
      data: `${XML_HEAD}<manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" manifest:version="1.2"><manifest:file-entry manifest:full-path="/" manifest:media-type="${mimetype}"/><manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/></manifest:manifest>`,
    },
    { name: "content.xml", data: `${XML_HEAD}<office:document-content ${ns} office:version="1.2"><office:body>${body}</office:body></office:document-content>` },
  ]);
}

/**
 * A zip archive of stored (uncompressed) entries: local headers, data, central directory, end record. Fixed
 * timestamps (1980-01-01), so the bytes — and the sha1 — never change.
 */
export function zipArchive(entries: { name: string; data: Buffer | string }[]): Buffer {
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const e of entries) {
    const name = Buffer.from(e.name, "utf8");
    const data = typeof e.data === "string" ? Buffer.from(e.data, "utf8") : e.data;
    const crc = crc32(data);
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(10, 4); // version needed: 1.0
    local.writeUInt16LE(0x0800, 6); // flags: names are UTF-8
    local.writeUInt16LE(0, 8); // method: stored
    local.writeUInt16LE(0, 10); // time 00:00
    local.writeUInt16LE(0x21, 12); // date 1980-01-01
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(data.length, 18);
    local.writeUInt32LE(data.length, 22);
    local.writeUInt16LE(name.length, 26);
    local.writeUInt16LE(0, 28);
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE(0x031e, 4); // made by: Unix, 3.0
    central.writeUInt16LE(10, 6);
    central.writeUInt16LE(0x0800, 8);
    central.writeUInt16LE(0, 10);
    central.writeUInt16LE(0, 12);
    central.writeUInt16LE(0x21, 14);
    central.writeUInt32LE(crc, 16);
    central.writeUInt32LE(data.length, 20);
    central.writeUInt32LE(data.length, 24);
    central.writeUInt16LE(name.length, 28);
    central.writeUInt32LE((0o100644 << 16) >>> 0, 38); // external attributes: a regular file, rw-r--r--
    central.writeUInt32LE(offset, 42);
    locals.push(local, name, data);
    centrals.push(central, name);
    offset += local.length + name.length + data.length;
  }
  const cd = Buffer.concat(centrals);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(entries.length, 8);
  end.writeUInt16LE(entries.length, 10);
  end.writeUInt32LE(cd.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, cd, end]);
}

// ---------------------------------------------------------------------------------------------------------------
// Checksums

/** Adler-32, the checksum that ends a zlib stream. */
function adler32(data: Uint8Array): number {
  let a = 1;
  let b = 0;
  for (const byte of data) {
    a = (a + byte) % 65521;
    b = (b + a) % 65521;
  }
  return ((b << 16) | a) >>> 0;
}
