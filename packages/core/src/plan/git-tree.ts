import { existsSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import { OperationFailedError, UsageError } from "../errors.js";
import type { CommandRunner } from "../runner/types.js";
import { duplicateModuleError, MANIFEST_NAMES } from "../addons/discover.js";
import { ManifestSyntaxError } from "../addons/manifest-error.js";
import { manifestText, parseManifest, type AddonManifest } from "../addons/manifest.js";
import { commitTree, entryKind, GitObjectReader, type TreeEntry } from "./git-objects.js";

/** A repository (the top one or a submodule) whose objects can be read. */
interface RepoHandle {
  gitDir: string;
  /** Absolute work tree directory, used to find nested submodules' git dirs. */
  workdir: string;
  reader: GitObjectReader;
}

/** A module directory as found in a git revision, whatever its manifest says. */
export interface ModuleTree {
  name: string;
  /** Directory path relative to the top repository (through submodules; a symlinked addon shows the link). */
  path: string;
  /** The addons path (as given) it was found in. */
  addonsPath: string;
  treeOid: string;
  repo: RepoHandle;
  manifestFile: string;
  /** The addons path's tree when the module is a plain directory right in it (no symlink, no submodule). */
  parentTree?: string;
}

/** A module as found in a git revision. */
export interface GitModule extends ModuleTree {
  manifest: AddonManifest;
}

/** A module of a git revision whose manifest Odoo cannot read (Odoo skips it). */
export interface UnreadableGitModule extends ModuleTree {
  error: ManifestSyntaxError;
}

/** A changed file inside a module, relative to the module directory. */
export interface FileChange {
  path: string;
  status: "added" | "deleted" | "modified";
}

/**
 * Reads revisions of a git repository (with its submodules, recursively) through `git cat-file --batch`:
 * resolves paths across submodules and symlinks, lists the addons of an addons path at a revision, and diffs
 * two module trees. Exact and fast: comparing two revisions touches only the trees that differ.
 *
 * @example
 * const git = await GitRepository.open(createLocalRunner(), "/srv/project");
 * const head = await git.resolveRevision("HEAD");
 * const modules = await git.listAddons(head, ["addons"]);
 * await git.close();
 */
export class GitRepository {
  private readonly repos = new Map<string, RepoHandle>();
  private readonly manifests = new Map<string, Promise<AddonManifest | ManifestSyntaxError>>();
  readonly warnings: string[] = [];

  private constructor(
    private readonly runner: CommandRunner,
    /** Absolute top-level work tree. */
    readonly toplevel: string,
    private readonly top: RepoHandle,
    private readonly signal: AbortSignal | undefined,
  ) {}

  /** Opens the repository containing `dir`. A directory outside any git repository is a usage error. */
  static async open(runner: CommandRunner, dir: string, signal?: AbortSignal): Promise<GitRepository> {
    const r = await runner.exec(["git", "-C", dir, "rev-parse", "--absolute-git-dir", "--show-toplevel"], signal ? { signal } : {});
    if (r.exitCode !== 0) {
      throw new UsageError(`not a git repository: ${dir} (${r.stderr.trim()}); use --mode checksum to plan without git`, {
        code: "NOT_A_GIT_REPOSITORY",
      });
    }
    const [gitDir, toplevel] = r.stdout.trim().split("\n");
    const top: RepoHandle = { gitDir: gitDir!, workdir: toplevel!, reader: new GitObjectReader(runner, gitDir!, signal) };
    const repo = new GitRepository(runner, toplevel!, top, signal);
    repo.repos.set(gitDir!, top);
    return repo;
  }

  /**
   * The full commit id of a revision. An unknown revision is a usage error; in a shallow clone the message
   * says the history is cut and how to fetch more.
   */
  async resolveRevision(rev: string, what = "revision"): Promise<string> {
    // cat-file resolves revision expressions too, which saves a process per revision.
    const obj = /[\s]/.test(rev) || rev === "" ? undefined : await this.top.reader.read(`${rev}^{commit}`);
    if (obj?.type === "commit") return obj.oid;
    const shallow = await this.runner.exec(["git", `--git-dir=${this.top.gitDir}`, "rev-parse", "--is-shallow-repository"], this.execOptions());
    if (shallow.stdout.trim() === "true") {
      throw new UsageError(
        `${what} ${rev} is not in this shallow clone of ${this.toplevel} (its history was cut at clone time): ` +
          `fetch more history with \`git fetch --unshallow\` (or \`git fetch --deepen=N\`, or \`git fetch origin ${rev}\`); ` +
          `in CI, clone with full history (e.g. actions/checkout fetch-depth: 0)`,
        { code: "REVISION_NOT_IN_SHALLOW_CLONE", details: { revision: rev, repository: this.toplevel } },
      );
    }
    throw new UsageError(`unknown ${what}: ${rev} in ${this.toplevel}`, {
      code: "UNKNOWN_REVISION",
      details: { revision: rev, repository: this.toplevel },
    });
  }

  /**
   * Resolves a path relative to the top repository at a commit to a tree (following submodules and symlinks
   * inside the repository). `undefined` when the path does not exist or is not a directory.
   */
  async resolveDir(commit: string, relPath: string, depth = 0): Promise<{ repo: RepoHandle; tree: string } | undefined> {
    if (depth > 20) throw new OperationFailedError(`too many levels of symbolic links resolving ${relPath}`, { code: "SYMLINK_LOOP" });
    const parts = splitPath(relPath);
    if (parts === undefined) return undefined;
    let repo = this.top;
    const commitObj = await repo.reader.read(commit);
    if (!commitObj) return undefined;
    let tree = commitTree(commitObj);
    // Path of the current position inside the current repository (for finding nested submodules).
    let inRepo: string[] = [];
    for (let i = 0; i < parts.length; i++) {
      const name = parts[i]!;
      const entry = (await repo.reader.readTree(tree)).find((e) => e.name === name);
      if (!entry) return undefined;
      const kind = entryKind(entry.mode);
      if (kind === "tree") {
        tree = entry.oid;
        inRepo = [...inRepo, name];
      } else if (kind === "gitlink") {
        const subPath = [...inRepo, name].join("/");
        repo = await this.submodule(repo, subPath, entry.oid, parts.slice(0, i + 1).join("/"));
        const c = await repo.reader.read(entry.oid);
        tree = commitTree(c!);
        inRepo = [];
      } else if (kind === "symlink") {
        const target = (await repo.reader.read(entry.oid))!.data.toString("utf8");
        const linkDir = parts.slice(0, i).join("/");
        const joined = path.posix.normalize(path.posix.join(linkDir, target, ...parts.slice(i + 1)));
        if (path.posix.isAbsolute(target) || joined.startsWith("..")) {
          this.warnings.push(`${parts.slice(0, i + 1).join("/")} is a symlink to ${target}, outside the repository: not followed`);
          return undefined;
        }
        return this.resolveDir(commit, joined, depth + 1);
      } else return undefined;
    }
    return { repo, tree };
  }

  /** The handle of a submodule, checking its recorded commit is available. */
  private async submodule(parent: RepoHandle, subPath: string, commit: string, display: string): Promise<RepoHandle> {
    const gitDir = findSubmoduleGitDir(parent, subPath);
    if (!gitDir) {
      throw new UsageError(
        `submodule ${display} is not initialized (no git directory for it): run \`git submodule update --init --recursive\``,
        { code: "SUBMODULE_NOT_INITIALIZED", details: { submodule: display } },
      );
    }
    let handle = this.repos.get(gitDir);
    if (!handle) {
      handle = { gitDir, workdir: path.join(parent.workdir, subPath), reader: new GitObjectReader(this.runner, gitDir, this.signal) };
      this.repos.set(gitDir, handle);
    }
    const obj = await handle.reader.read(commit);
    if (!obj || obj.type !== "commit") {
      throw new UsageError(
        `submodule ${display}: commit ${commit} is not available locally: run \`git submodule update --init --recursive\` ` +
          `or \`git -C ${display} fetch\``,
        { code: "SUBMODULE_COMMIT_MISSING", details: { submodule: display, commit } },
      );
    }
    return handle;
  }

  /**
   * The addons found in the given addons paths (relative to the top repository) at a commit. An addons path
   * missing at that commit is reported through `missing`; modules whose manifest Odoo cannot read through
   * `unreadable`. A module name found twice is an error naming both.
   */
  async listAddons(
    commit: string,
    addonsPaths: readonly string[],
  ): Promise<{ modules: Map<string, GitModule>; unreadable: Map<string, UnreadableGitModule>; missing: string[] }> {
    const modules = new Map<string, GitModule>();
    const unreadable = new Map<string, UnreadableGitModule>();
    const missing: string[] = [];
    for (const ap of addonsPaths) {
      const dir = await this.resolveDir(commit, ap);
      if (!dir) {
        missing.push(ap);
        continue;
      }
      const entries = await dir.repo.reader.readTree(dir.tree);
      const found = await Promise.all(
        entries.map(async (e): Promise<GitModule | UnreadableGitModule | undefined> => {
          const kind = entryKind(e.mode);
          if (kind === "file") return undefined;
          const rel = ap === "." || ap === "" ? e.name : `${ap.replace(/\/+$/, "")}/${e.name}`;
          const node = kind === "tree" ? { repo: dir.repo, tree: e.oid } : await this.resolveDir(commit, rel);
          if (!node) return undefined;
          const read = await this.readManifest(node.repo, node.tree, rel);
          if (!read) return undefined;
          const tree = { name: e.name, path: rel, addonsPath: ap, treeOid: node.tree, repo: node.repo, manifestFile: read.manifestFile, ...(kind === "tree" ? { parentTree: dir.tree } : {}) };
          return read.manifest instanceof ManifestSyntaxError ? { ...tree, error: read.manifest } : { ...tree, manifest: read.manifest };
        }),
      );
      for (const m of found) {
        if (!m) continue;
        const other = modules.get(m.name) ?? unreadable.get(m.name);
        if (other) throw duplicateModuleError(m.name, other.path, m.path);
        if ("error" in m) unreadable.set(m.name, m);
        else modules.set(m.name, m);
      }
    }
    return { modules, unreadable, missing };
  }

  private async readManifest(repo: RepoHandle, tree: string, rel: string): Promise<{ manifestFile: string; manifest: AddonManifest | ManifestSyntaxError } | undefined> {
    const entries = await repo.reader.readTree(tree);
    for (const manifestFile of MANIFEST_NAMES) {
      const e = entries.find((x) => x.name === manifestFile && entryKind(x.mode) === "file");
      if (!e) continue;
      let p = this.manifests.get(e.oid);
      if (!p) {
        const file = `${rel}/${manifestFile}`;
        p = repo.reader.read(e.oid).then((o) => {
          try {
            return parseManifest(manifestText(o!.data, file), file);
          } catch (err) {
            if (err instanceof ManifestSyntaxError) return err;
            throw err;
          }
        });
        this.manifests.set(e.oid, p);
      }
      return { manifestFile, manifest: await p };
    }
    return undefined;
  }

  /**
   * Changed files of many modules at once, as `[base, target]` pairs. Modules that are plain directories of
   * the same addons path in the same repository at both revisions are diffed by one `git diff-tree` per
   * addons path (git's own C diff, `--no-renames` so no pairing across modules); the others (symlinked, in
   * a submodule, moved between paths) by walking their trees.
   */
  async diffModules(pairs: readonly (readonly [ModuleTree, ModuleTree])[]): Promise<Map<string, FileChange[]>> {
    const out = new Map<string, FileChange[]>();
    const groups = new Map<string, { repo: RepoHandle; a: string; b: string; names: Set<string> }>();
    const rest: (readonly [ModuleTree, ModuleTree])[] = [];
    for (const pair of pairs) {
      const [a, b] = pair;
      if (a.parentTree && b.parentTree && a.repo === b.repo && a.path === b.path) {
        const key = `${a.repo.gitDir}\0${a.parentTree}\0${b.parentTree}`;
        const g = groups.get(key) ?? { repo: a.repo, a: a.parentTree, b: b.parentTree, names: new Set<string>() };
        g.names.add(b.name);
        groups.set(key, g);
      } else rest.push(pair);
    }
    await Promise.all([
      ...[...groups.values()].map(async (g) => {
        const r = await this.runner.exec(["git", `--git-dir=${g.repo.gitDir}`, "diff-tree", "-r", "--no-renames", "--no-commit-id", "-z", "--name-status", g.a, g.b], {
          maxBuffer: 256 * 1024 * 1024,
          ...this.execOptions(),
        });
        if (r.exitCode !== 0) throw new OperationFailedError(`git diff-tree failed in ${g.repo.gitDir}: ${r.stderr.trim()}`, { code: "GIT_FAILED" });
        const fields = r.stdout.split("\0");
        for (let i = 0; i + 1 < fields.length; i += 2) {
          const status = fields[i]!;
          const file = fields[i + 1]!;
          const slash = file.indexOf("/");
          const name = slash === -1 ? file : file.slice(0, slash);
          if (slash === -1 || !g.names.has(name)) continue;
          const list = out.get(name) ?? [];
          list.push({ path: file.slice(slash + 1), status: status === "A" ? "added" : status === "D" ? "deleted" : "modified" });
          out.set(name, list);
        }
      }),
      ...rest.map(async ([a, b]) => out.set(b.name, await this.diffModule(a, b))),
    ]);
    for (const list of out.values()) list.sort((x, y) => (x.path < y.path ? -1 : x.path > y.path ? 1 : 0));
    return out;
  }

  /** Files that differ between two module trees (possibly in different repositories), relative to the module. */
  async diffModule(a: ModuleTree, b: ModuleTree): Promise<FileChange[]> {
    const out: FileChange[] = [];
    const walk = async (ra: RepoHandle, ta: string | undefined, rb: RepoHandle, tb: string | undefined, prefix: string) => {
      const ea = ta ? await ra.reader.readTree(ta) : [];
      const eb = tb ? await rb.reader.readTree(tb) : [];
      const mb = new Map(eb.map((e) => [e.name, e]));
      const ma = new Map(ea.map((e) => [e.name, e]));
      const subtrees: Promise<void>[] = [];
      const side = (e: TreeEntry | undefined) => (e && entryKind(e.mode) === "tree" ? e.oid : undefined);
      for (const name of new Set([...ma.keys(), ...mb.keys()])) {
        const x = ma.get(name);
        const y = mb.get(name);
        if (x && y && x.oid === y.oid && x.mode === y.mode) continue;
        const p = `${prefix}${name}`;
        const xt = side(x);
        const yt = side(y);
        if (xt !== undefined || yt !== undefined) subtrees.push(walk(ra, xt, rb, yt, `${p}/`));
        // The non-tree side (a file replaced by a directory or the reverse) is a change of its own.
        if (x && xt === undefined && y && yt === undefined) out.push({ path: p, status: "modified" });
        else if (x && xt === undefined) out.push({ path: p, status: "deleted" });
        else if (y && yt === undefined) out.push({ path: p, status: "added" });
      }
      await Promise.all(subtrees);
    };
    await walk(a.repo, a.treeOid, b.repo, b.treeOid, "");
    return out.sort((x, y) => (x.path < y.path ? -1 : x.path > y.path ? 1 : 0));
  }

  private execOptions(): { signal?: AbortSignal } {
    return this.signal ? { signal: this.signal } : {};
  }

  /** Ends the `git cat-file` processes. */
  async close(): Promise<void> {
    await Promise.all([...this.repos.values()].map((r) => r.reader.close()));
  }
}

function splitPath(p: string): string[] | undefined {
  const norm = path.posix.normalize(p.replace(/\\/g, "/"));
  if (norm.startsWith("..") || path.posix.isAbsolute(norm)) return undefined;
  return norm.split("/").filter((s) => s !== "" && s !== ".");
}

function findSubmoduleGitDir(parent: RepoHandle, subPath: string): string | undefined {
  const candidates: string[] = [];
  const dotGit = path.join(parent.workdir, subPath, ".git");
  try {
    const st = statSync(dotGit);
    if (st.isDirectory()) candidates.push(dotGit);
    else {
      const m = /^gitdir:\s*(.+)$/m.exec(readFileSync(dotGit, "utf8"));
      if (m) candidates.push(path.resolve(path.dirname(dotGit), m[1]!.trim()));
    }
  } catch {}
  const name = submoduleName(parent.workdir, subPath);
  if (name) candidates.push(path.join(parent.gitDir, "modules", name));
  candidates.push(path.join(parent.gitDir, "modules", subPath));
  return candidates.find((c) => existsSync(path.join(c, "HEAD")));
}

function submoduleName(workdir: string, subPath: string): string | undefined {
  let text: string;
  try {
    text = readFileSync(path.join(workdir, ".gitmodules"), "utf8");
  } catch {
    return undefined;
  }
  let current: string | undefined;
  for (const line of text.split("\n")) {
    const head = /^\s*\[submodule\s+"(.+)"\]\s*$/.exec(line);
    if (head) current = head[1];
    const p = /^\s*path\s*=\s*(.+?)\s*$/.exec(line);
    if (p && current && p[1] === subPath) return current;
  }
  return undefined;
}
