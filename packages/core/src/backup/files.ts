/**
 * Streaming and file-system helpers of backups: hashing while streaming, teeing a stream into a second
 * consumer with backpressure, progress metering, fsync and atomic publication.
 */
import { createHash, randomBytes } from "node:crypto";
import { createReadStream } from "node:fs";
import { mkdir, open, readdir, rename, rm, stat } from "node:fs/promises";
import path from "node:path";
import { Transform, Writable, type TransformCallback } from "node:stream";
import { pipeline } from "node:stream/promises";

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

/** Flushes a file's or directory's data to disk. @example await fsyncPath("/backups/x/database.dump"); */
export async function fsyncPath(p: string): Promise<void> {
  const fh = await open(p, "r");
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
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

/** A hidden work directory beside the final one (`.NAME.partial-XXXX`), mode 0700. @example const work = await makePartialDir("/backups", "prod_20261127T093512Z"); */
export async function makePartialDir(parent: string, finalName: string): Promise<string> {
  await mkdir(parent, { recursive: true });
  const dir = partialPath(parent, finalName);
  await mkdir(dir, { mode: 0o700 });
  return dir;
}

/** A fresh hidden work path beside `finalName` (not created). @example partialPath("/fs", "prod") // "/fs/.prod.partial-1a2b3c4d" */
export function partialPath(parent: string, finalName: string): string {
  return path.join(parent, `.${finalName}.partial-${randomBytes(4).toString("hex")}`);
}

/**
 * Moves a finished work directory to its final name. Refuses to replace anything existing, then fsyncs the
 * parent so the rename itself is durable.
 */
export async function publishDir(partial: string, finalPath: string): Promise<void> {
  if (await exists(finalPath)) throw new Error(`${finalPath} already exists`);
  await rename(partial, finalPath);
  await fsyncPath(path.dirname(finalPath));
}

/** Removes a path without complaint (cleanup on failure). @example await removeQuietly(workDir); */
export async function removeQuietly(p: string | undefined): Promise<void> {
  if (p) await rm(p, { recursive: true, force: true }).catch(() => {});
}

/** True when something exists at `p`. @example if (await exists(finalPath)) throw …; */
export async function exists(p: string): Promise<boolean> {
  try {
    await stat(p);
    return true;
  } catch {
    return false;
  }
}

/** UTC timestamp usable in file and database names. @example compactTimestamp(new Date("2026-11-27T09:35:12Z")) // "20261127T093512Z" */
export function compactTimestamp(d: Date = new Date()): string {
  return d.toISOString().replace(/[-:]/g, "").replace(/\.\d+Z$/, "Z");
}
