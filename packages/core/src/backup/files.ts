/**
 * Streaming and file-system helpers of backups: hashing while streaming, teeing a stream into a second
 * consumer with backpressure, progress metering, fsync and atomic publication.
 */
import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import { mkdir, readdir, rename, rm } from "node:fs/promises";
import path from "node:path";
import { Transform, Writable, type TransformCallback } from "node:stream";
import { pipeline } from "node:stream/promises";
import { EnvironmentError, OdooDeployError, UsageError } from "../errors.js";
import { fsyncPath, pathExists as exists } from "../util/durable-files.js";

/**
 * A pass-through that counts bytes and computes sha256 (and, on demand, reports progress).
 *
 * @example const h = new HashMeter(); await pipeline(src, h, dest); h.sha256;
 */
export class HashMeter extends Transform {
  bytes = 0;
  private readonly hash = createHash("sha256");
  private digest: string | undefined;
  private lastReport = 0;
  private readonly started = performance.now();

  constructor(
    private readonly onProgress?: (bytes: number, rate: number) => void,
    private readonly intervalMs = 500,
  ) {
    super();
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    this.bytes += chunk.length;
    this.hash.update(chunk);
    if (this.onProgress) {
      const now = performance.now();
      if (now - this.lastReport >= this.intervalMs) {
        this.lastReport = now;
        this.onProgress(this.bytes, this.rate());
      }
    }
    cb(null, chunk);
  }

  override _flush(cb: TransformCallback): void {
    this.onProgress?.(this.bytes, this.rate());
    cb();
  }

  /** Bytes per second since the meter was created. */
  rate(): number {
    const s = (performance.now() - this.started) / 1000;
    return s > 0 ? Math.round(this.bytes / s) : 0;
  }

  /** Hex sha256 of everything that passed (valid after the stream ended). */
  get sha256(): string {
    this.digest ??= this.hash.digest("hex");
    return this.digest;
  }
}

/**
 * A pass-through that also writes every chunk to `side` (e.g. a verifier's stdin), waiting for it to drain,
 * so the slower of the two consumers sets the pace. The side is ended when the stream ends. A side that fails
 * (its process exited) is dropped; its own result tells what happened.
 *
 * @example await pipeline(dump.stdout, new Tee(verifier.stdin), file);
 */
export class Tee extends Transform {
  private sideFailed = false;

  constructor(private readonly side: Writable) {
    super();
    side.on("error", () => {
      this.sideFailed = true;
    });
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    if (this.sideFailed || this.side.destroyed) return cb(null, chunk);
    if (this.side.write(chunk)) return cb(null, chunk);
    const done = () => {
      this.side.off("drain", done);
      this.side.off("close", done);
      cb(null, chunk);
    };
    this.side.on("drain", done);
    this.side.on("close", done);
  }

  override _flush(cb: TransformCallback): void {
    if (!this.sideFailed && !this.side.destroyed) this.side.end();
    cb();
  }

  override _destroy(err: Error | null, cb: (error: Error | null) => void): void {
    if (!this.side.destroyed) this.side.destroy();
    cb(err);
  }
}

/** A writable that discards everything (to drain a stream). @example await pipeline(cmd.stdout, sink()); */
export function sink(): Writable {
  return new Writable({ write: (_c, _e, cb) => cb() });
}

/** sha256 and size of a file, streamed. @example const { sha256, bytes } = await hashFile(p); */
export async function hashFile(file: string, signal?: AbortSignal): Promise<{ sha256: string; bytes: number }> {
  const meter = new HashMeter();
  await pipeline(createReadStream(file), meter, sink(), { signal });
  return { sha256: meter.sha256, bytes: meter.bytes };
}

/** Fsyncs every regular file under `dir` (recursively), then the directories themselves. @example await fsyncTree(workDir); */
export async function fsyncTree(dir: string): Promise<void> {
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) await fsyncTree(p);
    else if (e.isFile()) await fsyncPath(p);
  }
  await fsyncPath(dir);
}

/**
 * Claims a name for a new backup in `parent`: the first of `base`, `base-2`, `base-3`… (only `base` when
 * `exact`) under which nothing exists and whose hidden work directory `.NAME.partial` this call could create
 * (mkdir is atomic: two runs started in the same second get different names). Returns the name and the work
 * directory (mode 0700).
 *
 * @example const { name, workDir } = await claimBackupName("/backups", "prod_20261127T093512Z");
 */
export async function claimBackupName(parent: string, base: string, exact = false): Promise<{ name: string; workDir: string }> {
  for (let n = 1; n < 100; n++) {
    const name = n === 1 ? base : `${base}-${n}`;
    const taken = await exists(path.join(parent, name));
    if (!taken) {
      const workDir = path.join(parent, `.${name}.partial`);
      try {
        await mkdir(workDir, { mode: 0o700 });
        return { name, workDir };
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
      }
    }
    if (exact) break;
  }
  throw new UsageError(`a backup named ${base} already exists (or is being written) in ${parent}`, { code: "BACKUP_EXISTS" });
}

/**
 * Moves a finished work directory to its final name. Refuses to replace anything existing (a name taken since it
 * was claimed, by hand), then fsyncs the parent so the rename itself is durable.
 */
export async function publishDir(partial: string, finalPath: string): Promise<void> {
  if (await exists(finalPath)) throw new UsageError(`${finalPath} appeared while the backup was written; nothing was replaced`, { code: "BACKUP_EXISTS" });
  try {
    await rename(partial, finalPath);
  } catch (e) {
    // Linux renames a directory over an empty one; a non-empty one refuses (ENOTEMPTY/EEXIST).
    const code = (e as NodeJS.ErrnoException).code;
    if (code === "ENOTEMPTY" || code === "EEXIST") throw new UsageError(`${finalPath} appeared while the backup was written; nothing was replaced`, { code: "BACKUP_EXISTS" });
    throw e;
  }
  await fsyncPath(path.dirname(finalPath));
}

/** Removes a path without complaint (cleanup on failure). @example await removeQuietly(workDir); */
export async function removeQuietly(p: string | undefined): Promise<void> {
  if (p) await rm(p, { recursive: true, force: true }).catch(() => {});
}

export { fsyncPath, pathExists as exists } from "../util/durable-files.js";

/** Node's error codes of a full, read-only or refusing disk: the environment's fault (exit 3). */
const ENVIRONMENT_FS_CODES = new Set(["ENOSPC", "EDQUOT", "EROFS", "EACCES", "EPERM", "EIO", "EMFILE", "ENFILE", "EFBIG", "EXDEV", "ENXIO"]);
/** Codes of a path that is not what the caller said it is (a file where a directory is needed): a usage error (exit 2). */
const USAGE_FS_CODES = new Set(["ENOTDIR", "EISDIR", "ENAMETOOLONG", "ELOOP"]);

/**
 * A Node file-system error as a typed error naming what was being done: a full, read-only or refusing disk is an
 * {@link EnvironmentError} (`FS_ENOSPC`, …), a path of the wrong kind a {@link UsageError}. Other errors (and errors
 * already typed) are returned unchanged.
 *
 * @example catch (e) { throw typedFsError(e, `writing the backup into ${dir}`); }
 */
export function typedFsError(e: unknown, what: string): unknown {
  if (e instanceof OdooDeployError) return e;
  const code = (e as NodeJS.ErrnoException | undefined)?.code;
  if (typeof code !== "string") return e;
  const where = (e as NodeJS.ErrnoException).path;
  const reason = FS_REASONS[code] ?? (e as Error).message;
  const message = `${what}: ${where ? `${where}: ` : ""}${reason}`;
  const options = { code: `FS_${code}`, cause: e, details: { errno: code, ...(where ? { path: where } : {}) } };
  if (ENVIRONMENT_FS_CODES.has(code)) return new EnvironmentError(message, options);
  if (USAGE_FS_CODES.has(code)) return new UsageError(message, options);
  return e;
}

const FS_REASONS: Record<string, string> = {
  ENOSPC: "no space left on device",
  EDQUOT: "disk quota exceeded",
  EROFS: "read-only file system",
  EACCES: "permission denied",
  EPERM: "operation not permitted",
  EIO: "input/output error",
  ENOTDIR: "not a directory (a file is in the way)",
  EISDIR: "is a directory",
  ENAMETOOLONG: "file name too long",
};

export { compactTimestamp } from "../util/run-id.js";
