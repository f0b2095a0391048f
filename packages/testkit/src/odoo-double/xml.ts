/**
 * A small XML reader for Odoo data files: elements with attributes, text, comments, CDATA, and the line of each
 * element (Odoo's ParseError names `file:line` of the record).
 */
export interface XmlElement {
  tag: string;
  attrs: Record<string, string>;
  children: XmlNode[];
  line: number;
  /** Source text of the element, for error messages. */
  source: string;
}
export type XmlNode = XmlElement | string;

const ENTITIES: Record<string, string> = { lt: "<", gt: ">", amp: "&", quot: '"', apos: "'" };
const decode = (s: string) => s.replace(/&(lt|gt|amp|quot|apos);/g, (_, e: string) => ENTITIES[e] ?? "");

/** Parses a document and returns its root element. @example parseXml("<odoo><record id='x'/></odoo>").tag // "odoo" */
export function parseXml(src: string): XmlElement {
  let i = 0;
  const lineAt = (pos: number) => src.slice(0, pos).split("\n").length;
  const root: XmlElement = { tag: "#document", attrs: {}, children: [], line: 1, source: "" };
  const stack: { el: XmlElement; start: number }[] = [{ el: root, start: 0 }];
  while (i < src.length) {
    const lt = src.indexOf("<", i);
    const top = stack[stack.length - 1]!.el;
    if (lt < 0) break;
    if (lt > i) top.children.push(decode(src.slice(i, lt)));
    if (src.startsWith("<!--", lt)) {
      i = src.indexOf("-->", lt) + 3;
      continue;
    }
    if (src.startsWith("<![CDATA[", lt)) {
      const end = src.indexOf("]]>", lt);
      top.children.push(src.slice(lt + 9, end));
      i = end + 3;
      continue;
    }
    if (src.startsWith("<?", lt) || src.startsWith("<!", lt)) {
      i = src.indexOf(">", lt) + 1;
      continue;
    }
    const gt = src.indexOf(">", lt);
    if (gt < 0) throw new SyntaxError(`unclosed tag at line ${lineAt(lt)}`);
    const body = src.slice(lt + 1, gt);
    if (body.startsWith("/")) {
      const done = stack.pop();
      if (!done || done.el.tag !== body.slice(1).trim()) throw new SyntaxError(`mismatched tag at line ${lineAt(lt)}`);
      done.el.source = src.slice(done.start, gt + 1);
      i = gt + 1;
      continue;
    }
    const selfClosing = body.endsWith("/");
    const m = /^([\w:.-]+)([\s\S]*?)\/?$/.exec(body);
    if (!m) throw new SyntaxError(`bad tag at line ${lineAt(lt)}`);
    const attrs: Record<string, string> = {};
    for (const a of m[2]!.matchAll(/([\w:.-]+)\s*=\s*("([^"]*)"|'([^']*)')/g)) attrs[a[1]!] = decode(a[3] ?? a[4] ?? "");
    const el: XmlElement = { tag: m[1]!, attrs, children: [], line: lineAt(lt), source: "" };
    top.children.push(el);
    if (selfClosing) el.source = src.slice(lt, gt + 1);
    else stack.push({ el, start: lt });
    i = gt + 1;
  }
  const docRoot = root.children.find((c): c is XmlElement => typeof c !== "string");
  if (!docRoot || stack.length !== 1) throw new SyntaxError("document is not well-formed");
  return docRoot;
}

/** Child elements of an element. */
export function elements(el: XmlElement): XmlElement[] {
  return el.children.filter((c): c is XmlElement => typeof c !== "string");
}

/** Concatenated text content. */
export function textOf(el: XmlElement): string {
  return el.children.map((c) => (typeof c === "string" ? c : textOf(c))).join("");
}

/** Every descendant element, depth first. */
export function descendants(el: XmlElement): XmlElement[] {
  return elements(el).flatMap((c) => [c, ...descendants(c)]);
}
