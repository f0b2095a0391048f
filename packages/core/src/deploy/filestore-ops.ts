/**
 * The few file operations a deploy does on the filestore, through the runner of the host that holds it (the
 * filestore can live on the Odoo host over SSH, or in a volume): existence, a hard-link snapshot, a rename that
 * never replaces, and removal of a directory the deploy itself created.
 */
import path from "node:path";
import { EnvironmentError, OperationFailedError, UsageError } from "../errors.js";
import type { CommandRunner } from "../runner/types.js";

/** Filestore operations on one host. @example const fs = new FilestoreOps(createLocalRunner()); await fs.snapshot(a, b); */
export class FilestoreOps {
  constructor(readonly runner: CommandRunner) {}

  async exists(dir: string, signal?: AbortSignal): Promise<boolean> {
    const r = await this.runner.exec(["test", "-d", checked(dir)], signal ? { signal } : {});
    if (r.exitCode === 127) throw new EnvironmentError(`test not found on ${this.runner.description}`, { code: "COMMAND_NOT_FOUND" });
    return r.exitCode === 0;
  }

  /**
   * A copy of `from` at `to` made of hard links (same inodes: instant, no space, owners and modes kept). Safe
   * because Odoo writes each filestore file once and never in place (ODOO-FACTS.md).
   */
  async snapshot(from: string, to: string, signal?: AbortSignal): Promise<void> {
    await this.refuseExisting(to, signal);
    await this.run(["cp", "-al", "--", checked(from), checked(to)], `hard-link snapshot of ${from}`, signal);
  }

  /** Renames `from` to `to`; refuses when `to` exists (nothing is ever replaced). */
  async rename(from: string, to: string, signal?: AbortSignal): Promise<void> {
    await this.refuseExisting(to, signal);
    await this.run(["mv", "-T", "--", checked(from), checked(to)], `renaming ${from} to ${to}`, signal);
  }

  /** Removes a directory this deploy created (a snapshot, a failed filestore). */
  async remove(dir: string, signal?: AbortSignal): Promise<void> {
    await this.run(["rm", "-rf", "--", checked(dir)], `removing ${dir}`, signal);
  }

  private async refuseExisting(p: string, signal?: AbortSignal): Promise<void> {
    const r = await this.runner.exec(["test", "-e", checked(p)], signal ? { signal } : {});
    if (r.exitCode === 0) throw new OperationFailedError(`${p} already exists on ${this.runner.description}: refusing to replace it`, { code: "FILESTORE_EXISTS" });
  }

  private async run(argv: string[], what: string, signal?: AbortSignal): Promise<void> {
    const r = await this.runner.exec(argv, { ...(signal ? { signal } : {}), timeout: 600_000 });
    if (r.exitCode === 127) throw new EnvironmentError(`${argv[0]} not found on ${this.runner.description}`, { code: "COMMAND_NOT_FOUND" });
    if (r.exitCode !== 0) {
      const why = r.stderr.trim().split("\n").slice(-3).join("; ");
      throw new OperationFailedError(`${what} failed on ${this.runner.description}: ${why || `exit ${r.exitCode}`}`, { code: "FILESTORE_OPERATION_FAILED", details: { command: r.command } });
    }
  }
}

/** Only absolute, normalised paths: a relative or `..` path could point anywhere on the runner's side. */
function checked(p: string): string {
  if (!path.posix.isAbsolute(p) || p === "/" || p.split("/").some((part) => part === "." || part === "..")) {
    throw new UsageError(`filestore path must be absolute and normalised: ${JSON.stringify(p)}`, { code: "BAD_FILESTORE_PATH" });
  }
  return p;
}

/** The sibling directory of a filestore for another database name (`<data_dir>/filestore/<name>`). */
export function siblingFilestore(dir: string, name: string): string {
  return path.posix.join(path.posix.dirname(dir), name);
}
