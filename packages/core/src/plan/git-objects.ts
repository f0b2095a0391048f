import type { CommandRunner, RunningCommand } from "../runner/types.js";
import { EnvironmentError } from "../errors.js";

/** One object read from a repository. */
export interface GitObject {
  oid: string;
  type: "blob" | "tree" | "commit" | "tag";
  data: Buffer;
}

/** One entry of a tree object. */
export interface TreeEntry {
  /** `40000` tree, `100644`/`100755` file, `120000` symlink, `160000` submodule (gitlink). */
  mode: string;
  name: string;
  oid: string;
}

/** Kind of a tree entry, from its mode. @example entryKind("160000") // "gitlink" */
export function entryKind(mode: string): "tree" | "symlink" | "gitlink" | "file" {
  if (mode === "40000" || mode === "040000") return "tree";
  if (mode === "120000") return "symlink";
  if (mode === "160000") return "gitlink";
  return "file";
}

/**
 * Reads objects of one repository through a single long-lived `git cat-file --batch-command --buffer` (git
 * 2.36+): requests made in the same tick are written at once and answered in large blocks, so listing
 * hundreds of trees costs one process and a few pipe round trips. Objects and trees are cached.
 *
 * @example
 * const reader = new GitObjectReader(createLocalRunner(), "/repo/.git");
 * const entries = await reader.readTree("HEAD^{tree}");
 * await reader.close();
 */
export class GitObjectReader {
  private readonly proc: RunningCommand;
  private buf: Buffer = Buffer.alloc(0);
  /** Chunks received but not yet joined into `buf` (joining on every chunk would copy quadratically). */
  private chunks: Buffer[] = [];
  private chunkBytes = 0;
  /** Requests not yet written: written together, once per tick, so git sees one write instead of thousands. */
  private outbox: string[] = [];
  private readonly pending: { resolve: (o: GitObject | undefined) => void; reject: (e: Error) => void }[] = [];
  private failure: Error | undefined;
  private readonly cache = new Map<string, Promise<GitObject | undefined>>();
  private readonly trees = new Map<string, Promise<TreeEntry[]>>();

  constructor(
    runner: CommandRunner,
    readonly gitDir: string,
    signal?: AbortSignal,
  ) {
    this.proc = runner.spawn(["git", `--git-dir=${gitDir}`, "cat-file", "--batch-command", "--buffer"], {
      stdin: true,
      maxBuffer: 64 * 1024,
      ...(signal ? { signal } : {}),
    });
    this.proc.stdout.on("data", (chunk: Buffer) => {
      this.chunks.push(chunk);
      this.chunkBytes += chunk.length;
      this.drain();
    });
    void this.proc.result.then((r) => {
      this.fail(
        new EnvironmentError(`git cat-file ended (exit ${r.exitCode ?? "signal"}) reading ${gitDir}: ${r.stderr.trim()}`, {
          code: "GIT_FAILED",
        }),
      );
    });
    this.proc.stdin.on("error", () => {});
  }

  private fail(e: Error): void {
    this.failure ??= e;
    for (const p of this.pending.splice(0)) p.reject(this.failure);
  }

  /** Makes `buf` hold at least `n` bytes if that many were received; false when not. */
  private need(n: number): boolean {
    if (this.buf.length >= n) return true;
    if (this.buf.length + this.chunkBytes < n) return false;
    this.buf = Buffer.concat([this.buf, ...this.chunks]);
    this.chunks = [];
    this.chunkBytes = 0;
    return true;
  }

  private drain(): void {
    for (;;) {
      const waiter = this.pending[0];
      if (!waiter) return;
      let nl = this.buf.indexOf(10);
      if (nl === -1) {
        if (this.chunkBytes === 0 || !this.need(this.buf.length + this.chunkBytes)) return;
        nl = this.buf.indexOf(10);
        if (nl === -1) return;
      }
      const header = this.buf.subarray(0, nl).toString("utf8");
      if (header.endsWith(" missing") || header.endsWith(" ambiguous")) {
        this.buf = this.buf.subarray(nl + 1);
        this.pending.shift();
        waiter.resolve(undefined);
        continue;
      }
      const [oid, type, sizeText] = header.split(" ");
      const size = Number(sizeText);
      if (!this.need(nl + 1 + size + 1)) return;
      const data = Buffer.from(this.buf.subarray(nl + 1, nl + 1 + size));
      this.buf = this.buf.subarray(nl + 1 + size + 1);
      this.pending.shift();
      waiter.resolve({ oid: oid!, type: type as GitObject["type"], data });
    }
  }

  /** Reads an object by id or revision expression (`HEAD`, `abc123^{tree}`); `undefined` when missing. */
  read(spec: string): Promise<GitObject | undefined> {
    const cached = this.cache.get(spec);
    if (cached) return cached;
    const p = new Promise<GitObject | undefined>((resolve, reject) => {
      if (this.failure) return reject(this.failure);
      if (spec.includes("\n")) return resolve(undefined);
      this.pending.push({ resolve, reject });
      if (this.outbox.length === 0) setImmediate(() => this.flush());
      this.outbox.push(spec);
    });
    this.cache.set(spec, p);
    return p;
  }

  private flush(): void {
    const batch = this.outbox;
    this.outbox = [];
    // `--buffer` keeps git's output in large blocks; `flush` sends what was asked so far.
    if (batch.length > 0 && !this.failure) this.proc.stdin.write(`${batch.map((b) => `contents ${b}`).join("\n")}\nflush\n`);
  }

  /** Reads and parses a tree object (also accepts a commit, reading its tree). */
  readTree(oid: string): Promise<TreeEntry[]> {
    let p = this.trees.get(oid);
    if (!p) {
      p = (async () => {
        let obj = await this.read(oid);
        if (obj?.type === "commit") obj = await this.read(commitTree(obj));
        if (!obj || obj.type !== "tree") throw new EnvironmentError(`git object ${oid} is not a tree in ${this.gitDir}`, { code: "GIT_FAILED" });
        return parseTree(obj.data, obj.oid.length / 2);
      })();
      this.trees.set(oid, p);
    }
    return p;
  }

  /** Ends the `cat-file` process. */
  async close(): Promise<void> {
    this.proc.stdin.end();
    await this.proc.result;
  }
}

/** The tree id of a commit object. @example commitTree((await reader.read("HEAD"))!) // "4b825dc…" */
export function commitTree(obj: GitObject): string {
  const m = /^tree ([0-9a-f]+)$/m.exec(obj.data.toString("utf8"));
  if (!m) throw new EnvironmentError(`git commit ${obj.oid} has no tree`, { code: "GIT_FAILED" });
  return m[1]!;
}

function parseTree(data: Buffer, hashLen: number): TreeEntry[] {
  const out: TreeEntry[] = [];
  let i = 0;
  while (i < data.length) {
    const sp = data.indexOf(32, i);
    const nul = data.indexOf(0, sp);
    const mode = data.subarray(i, sp).toString("latin1");
    const name = data.subarray(sp + 1, nul).toString("utf8");
    const oid = data.subarray(nul + 1, nul + 1 + hashLen).toString("hex");
    out.push({ mode, name, oid });
    i = nul + 1 + hashLen;
  }
  return out;
}
