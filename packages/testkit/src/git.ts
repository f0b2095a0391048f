import { mkdirSync, mkdtempSync, rmSync, writeFileSync, symlinkSync, renameSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { run } from "./exec.js";

/** A real git repository in a temp dir, with helpers to write files and commit. */
export interface TempGitRepo {
  readonly dir: string;
  /** Runs git in the repository and returns stdout (trimmed). */
  git(...args: string[]): Promise<string>;
  /** Writes files (relative path → content), creating directories. */
  write(files: Record<string, string>): void;
  /** Removes a file or directory (recursively) from the work tree. */
  remove(relative: string): void;
  /** Moves a file or directory in the work tree. */
  move(from: string, to: string): void;
  /** Creates a symlink at `relative` pointing to `target`. */
  symlink(target: string, relative: string): void;
  /** `git add -A` and commit; returns the new commit's sha. */
  commit(message: string): Promise<string>;
  /** Deletes the repository. */
  cleanup(): void;
}

const GIT_ENV = {
  GIT_AUTHOR_NAME: "odoo-deploy tests",
  GIT_AUTHOR_EMAIL: "tests@odoo-deploy.invalid",
  GIT_COMMITTER_NAME: "odoo-deploy tests",
  GIT_COMMITTER_EMAIL: "tests@odoo-deploy.invalid",
  GIT_CONFIG_NOSYSTEM: "1",
};

/**
 * Creates an empty git repository (branch `main`) in a temp dir.
 *
 * @example
 * const repo = await createTempGitRepo();
 * repo.write({ "addons/a/__manifest__.py": "{'name': 'A'}" });
 * const sha = await repo.commit("add a");
 */
export async function createTempGitRepo(options: { dir?: string } = {}): Promise<TempGitRepo> {
  const dir = options.dir ?? mkdtempSync(path.join(os.tmpdir(), "odoo-deploy-git-"));
  mkdirSync(dir, { recursive: true });
  const git = async (...args: string[]) =>
    (await run("git", ["-c", "protocol.file.allow=always", ...args], { cwd: dir, env: GIT_ENV })).trim();
  await git("init", "-q", "-b", "main");
  return wrapRepo(dir);
}

async function wrapRepo(dir: string): Promise<TempGitRepo> {
  const git = async (...args: string[]) =>
    (await run("git", ["-c", "protocol.file.allow=always", ...args], { cwd: dir, env: GIT_ENV })).trim();
  await git("config", "user.name", GIT_ENV.GIT_AUTHOR_NAME);
  await git("config", "user.email", GIT_ENV.GIT_AUTHOR_EMAIL);
  await git("config", "commit.gpgsign", "false");
  return {
    dir,
    git,
    write(files) {
      for (const [rel, content] of Object.entries(files)) {
        const p = path.join(dir, rel);
        mkdirSync(path.dirname(p), { recursive: true });
        writeFileSync(p, content);
      }
    },
    remove(rel) {
      rmSync(path.join(dir, rel), { recursive: true, force: true });
    },
    move(from, to) {
      mkdirSync(path.dirname(path.join(dir, to)), { recursive: true });
      renameSync(path.join(dir, from), path.join(dir, to));
    },
    symlink(target, rel) {
      mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
      symlinkSync(target, path.join(dir, rel));
    },
    async commit(message) {
      await git("add", "-A");
      await git("commit", "-q", "--allow-empty", "-m", message);
      return git("rev-parse", "HEAD");
    },
    cleanup() {
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * Adds `source` as a git submodule of `repo` at `relative` (not committed: call `repo.commit`).
 *
 * @example
 * const oca = await createTempGitRepo();
 * await addSubmodule(repo, oca, "vendor/oca-web");
 * await repo.commit("vendor oca-web");
 */
export async function addSubmodule(repo: TempGitRepo, source: TempGitRepo, relative: string): Promise<void> {
  await repo.git("submodule", "add", "-q", source.dir, relative);
}

/**
 * Clones `source` into a new temp dir, optionally shallow (`depth`), returning it as a {@link TempGitRepo}.
 * Submodules are cloned too when `recurseSubmodules` is set.
 *
 * @example
 * const ci = await cloneRepo(repo, { depth: 1 }); // a CI-like shallow checkout
 * ci.cleanup();
 */
export async function cloneRepo(source: TempGitRepo, options: { depth?: number; recurseSubmodules?: boolean } = {}): Promise<TempGitRepo> {
  const dir = mkdtempSync(path.join(os.tmpdir(), "odoo-deploy-clone-"));
  const args = ["-c", "protocol.file.allow=always", "clone", "-q"];
  // A local path clone ignores --depth; the file:// URL makes git use the transport that honours it.
  if (options.depth !== undefined) args.push("--depth", String(options.depth));
  if (options.recurseSubmodules) args.push("--recurse-submodules");
  args.push(`file://${source.dir}`, dir);
  await run("git", args, { env: GIT_ENV });
  return wrapRepo(dir);
}
