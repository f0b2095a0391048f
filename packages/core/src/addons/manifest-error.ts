import { OperationFailedError } from "../errors.js";

/**
 * Thrown for a manifest Odoo cannot read — not a Python literal (`ast.literal_eval` refuses it), not UTF-8, or not
 * a dict — with `file:line:column`. Exit 1: the repository is broken, not the command line.
 *
 * @example
 * try { parseManifest(text, file); } catch (e) { if (e instanceof ManifestSyntaxError) console.error(e.file, e.line, e.column); }
 */
export class ManifestSyntaxError extends OperationFailedError {
  constructor(
    readonly file: string,
    readonly line: number,
    readonly column: number,
    readonly reason: string,
  ) {
    super(`${file}:${line}:${column}: ${reason}`, { code: "MANIFEST_SYNTAX", details: { file, line, column, reason } });
  }
}
