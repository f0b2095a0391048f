import { randomBytes } from "node:crypto";
import { closeSync, fsyncSync, linkSync, openSync, renameSync, rmSync, writeSync } from "node:fs";
import path from "node:path";
import { UsageError } from "@odoo-deploy/core";

/**
 * Writes a file the CLI generates (a config, a rules file) without ever replacing one by accident. The text
 * is written to a temporary file beside it first, then published: hard-linked into place without `force`
 * (atomic, and refused when the file exists: a usage error, exit 2), renamed over it with `force`. A reader
 * never sees half a file, and a failed write leaves nothing behind.
 *
 * @example writeGeneratedFile("odoo-deploy.yaml", text, { force: ctx.flags.force === true });
 */
export function writeGeneratedFile(file: string, text: string, options: { force: boolean }): void {
  const tmp = path.join(path.dirname(file), `.${path.basename(file)}.${randomBytes(4).toString("hex")}.tmp`);
  try {
    const fd = openSync(tmp, "wx", 0o644);
    try {
      writeSync(fd, text);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    if (options.force) {
      renameSync(tmp, file);
      return;
    }
    try {
      linkSync(tmp, file);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === "EEXIST") {
        throw new UsageError(`${file} exists; nothing was written (--force replaces it)`, { code: "FILE_EXISTS", details: { file } });
      }
      throw e;
    }
  } finally {
    rmSync(tmp, { force: true });
  }
}
