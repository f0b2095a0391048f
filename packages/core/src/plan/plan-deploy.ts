import path from "node:path";
import { throwIfAborted, UsageError } from "../errors.js";
import { durationSince, type Check, type EventHandler, type ReportBase } from "../report.js";
import type { CommandRunner } from "../runner/types.js";
import { createLocalRunner } from "../runner/local.js";
import { parseDbUrl, withClient, type Queryable } from "../db/connection.js";
import { DEPLOYED_REVISION_KEY, getConfigParameter } from "../db/odoo-params.js";
import { discoverAddons, type AddonInfo } from "../addons/discover.js";
import type { ManifestSyntaxError } from "../addons/manifest-error.js";
import type { AddonManifest } from "../addons/manifest.js";
import { closure, findCycles, topologicalOrder } from "../addons/graph.js";
import { computeAddonChecksum, readChecksumSettings, readInstalledChecksums } from "../addons/checksum.js";
import { PENDING_MODULE_STATES } from "../migrate/verify.js";
import { classifyChanges, type ClassificationRule } from "./classify.js";
import { GitRepository, type ModuleTree } from "./git-tree.js";

/** Events of {@link planDeploy}. */
export type PlanEvent =
  | { type: "plan:revisions"; from: string; to: string }
  | { type: "plan:discovered"; revision: string; modules: number }
  | { type: "plan:database"; installed: number }
  | { type: "plan:checksums"; computed: number };

/** Options of {@link planDeploy}. */
export interface PlanDeployOptions {
  /** Repository root (or a directory inside it); addons paths are relative to it. */
  repo: string;
  /** Addons paths inside the repository. */
  addonsPaths: readonly string[];
  /** Odoo's own addons directories (on this machine): dependencies found there are not missing. */
  odooAddonsPaths?: readonly string[];
  /** `git` (default): compare two revisions; `checksum`: compare the work tree with click-odoo-update's stored checksums. */
  mode?: "git" | "checksum";
  /** Base revision (git mode). Default: `odoo_deploy.deployed_revision` from the database. */
  from?: string;
  /** Target revision (git mode). Default `HEAD`. */
  to?: string;
  /** The Odoo database: installed modules and states, the deployed revision, stored checksums. */
  dbUrl?: string;
  /** Modules to install even if nothing requires them (config `repo.install`). */
  install?: readonly string[];
  /** Classification rules tried before the built-in ones (config `repo.classification`). */
  classification?: readonly ClassificationRule[];
  /** Make a non-empty `uninstall` list fail the plan. */
  failOnUninstall?: boolean;
  /** Where git runs (default: this host). */
  runner?: CommandRunner;
  signal?: AbortSignal;
  onEvent?: EventHandler<PlanEvent>;
}

/** What the plan does with one module. */
export type PlanAction = "install" | "update" | "uninstall" | "unchanged";

/** One module of the plan with the reasons for its action. */
export interface PlannedModule {
  action: PlanAction;
  reasons: string[];
  /** Directory relative to the repository (target revision, or base revision for removed modules). */
  path?: string;
  /** `ir_module_module.state` when a database was read. */
  state?: string;
  /** Manifest versions at the base and target revisions, when they differ. */
  version?: { from?: string; to?: string };
  /** Translations changed: migrate should add `--i18n-overwrite`. */
  i18nOverwrite?: boolean;
  /** Static assets changed (no update needed). */
  assets?: boolean;
  /** Not in the repository's addons paths (an Odoo module, from the database). */
  external?: boolean;
}

/** The deploy plan (issue 4): what to install, update and uninstall, in what order, and why. */
export interface DeployPlan extends ReportBase {
  /** Base revision (full id) in git mode; null in checksum mode. */
  from: string | null;
  /** Target revision (full id) in git mode; null in checksum mode (the work tree). */
  to: string | null;
  mode: "git" | "checksum";
  /** Where installed modules came from: the database, or (without one) the modules present at the base revision. */
  installedFrom: "database" | "base-revision";
  install: string[];
  update: string[];
  uninstall: string[];
  /** Installed modules Odoo updates anyway because they depend on an updated one (not in `update`). */
  cascade: string[];
  /** Every module of `install` and `update` once, dependencies first. */
  order: string[];
  /** Modules of `update`/`install` whose translations changed (for `--i18n-overwrite`). */
  i18nOverwrite: string[];
  modules: Record<string, PlannedModule>;
  warnings: string[];
  checks: Check[];
}

/** A module as planning sees it, from git or from disk. */
interface LocalModule {
  name: string;
  path: string;
  manifest: AddonManifest;
}

interface DbModule {
  state: string;
  deps: string[];
}

/** A module whose manifest Odoo cannot read (Odoo skips it; the plan fails only if it matters). */
interface UnreadableModule {
  error: ManifestSyntaxError;
  /** Added or changed in the revision range (git mode). */
  changed: boolean;
  /** Found in Odoo's own addons rather than the repository's. */
  odoo?: boolean;
}

const INSTALLED_STATES = new Set(["installed", "to upgrade", "to remove"]);
const PENDING_STATES = new Set<string>(PENDING_MODULE_STATES);

/**
 * Plans a deploy: which modules to install, update and uninstall, in dependency order, with the reasons and
 * the real blast radius (`cascade`). Git mode compares the deployed revision with the target tree by tree
 * (multi-commit ranges, merges, moved modules, submodules, symlinked addons); checksum mode compares the work
 * tree with click-odoo-update's stored checksums. Never changes anything. `ok` is false, with the failing
 * checks named, for missing dependencies, cycles, non-installable modules that would be installed or updated,
 * and (with `failOnUninstall`) modules to uninstall. Unknown revisions and bad options throw `UsageError`s;
 * unparsable manifests and duplicate modules throw `OperationFailedError`s naming the file.
 *
 * @example
 * const plan = await planDeploy({ repo: ".", addonsPaths: ["addons"], dbUrl: process.env.DATABASE_URL });
 * console.log(plan.order, plan.cascade);
 */
export async function planDeploy(options: PlanDeployOptions): Promise<DeployPlan> {
  const start = performance.now();
  const mode = options.mode ?? "git";
  if (mode !== "git" && mode !== "checksum") throw new UsageError(`unknown plan mode: ${String(mode)} (git or checksum)`, { code: "BAD_MODE" });
  if (options.addonsPaths.length === 0) {
    throw new UsageError("no addons path: give --addons-path PATH (relative to the repository) or repo.addonsPaths", { code: "NO_ADDONS_PATH" });
  }
  if (options.dbUrl) parseDbUrl(options.dbUrl);
  throwIfAborted(options.signal);
  const repoDir = path.resolve(options.repo);
  const warnings: string[] = [];

  const unreadable = new Map<string, UnreadableModule>();
  const odooAddons = options.odooAddonsPaths?.length
    ? await discoverAddons({
        addonsPaths: options.odooAddonsPaths,
        signal: options.signal,
        onUnreadable: (u) => unreadable.set(u.name, { error: u.error, changed: false, odoo: true }),
      })
    : undefined;

  const withDb = <T>(fn: (db: Queryable | undefined) => Promise<T>): Promise<T> =>
    options.dbUrl
      ? withClient(options.dbUrl, (c) => fn(c), { signal: options.signal, applicationName: "odoo-deploy plan" })
      : fn(undefined);

  return withDb(async (db) => {
    const dbModules = db ? await readDbModules(db) : undefined;
    if (dbModules) {
      options.onEvent?.({ type: "plan:database", installed: [...dbModules.values()].filter((m) => INSTALLED_STATES.has(m.state)).length });
      const pending = [...dbModules].filter(([, m]) => PENDING_STATES.has(m.state)).map(([n, m]) => `${n} (${m.state})`);
      if (pending.length > 0) warnings.push(`the database has modules in a pending state, which Odoo applies on the next update: ${pending.join(", ")}`);
    }

    let from: string | null = null;
    let to: string | null = null;
    let target: Map<string, LocalModule>;
    let base: Map<string, LocalModule> | undefined;
    let baseUnreadable: ReadonlySet<string> = new Set();
    /** name → classification of changed modules; new modules are not here. */
    const changes = new Map<string, { effect: "update" | "unchanged"; reasons: string[]; i18n: boolean; assets: boolean }>();
    const movedFrom = new Map<string, string>();

    if (mode === "git") {
      if (options.from === undefined && !db) {
        throw new UsageError(
          "no base revision: give --from REV (the revision deployed now), or --db-url so it is read from odoo_deploy.deployed_revision; " +
            "or use --mode checksum",
          { code: "NO_BASE_REVISION" },
        );
      }
      const git = await GitRepository.open(options.runner ?? createLocalRunner(), repoDir, options.signal);
      try {
        let fromRev = options.from;
        if (fromRev === undefined) {
          fromRev = await getConfigParameter(db!, DEPLOYED_REVISION_KEY);
          if (!fromRev) {
            throw new UsageError(
              `no base revision: the database records no ${DEPLOYED_REVISION_KEY} (nothing deployed by odoo-deploy yet); give --from REV, or use --mode checksum`,
              { code: "NO_BASE_REVISION" },
            );
          }
        }
        from = await git.resolveRevision(fromRev, "base revision");
        to = await git.resolveRevision(options.to ?? "HEAD", "target revision");
        options.onEvent?.({ type: "plan:revisions", from, to });
        const prefix = path.relative(git.toplevel, repoDir).split(path.sep).join("/");
        const inRepo = options.addonsPaths.map((p) => path.posix.normalize(prefix ? `${prefix}/${p}` : p));
        const [t, b] = await Promise.all([git.listAddons(to, inRepo), git.listAddons(from, inRepo)]);
        // A module of the repository shadows Odoo's own of the same name, readable or not.
        for (const name of [...t.modules.keys(), ...t.unreadable.keys()]) unreadable.delete(name);
        if (t.missing.length > 0) {
          throw new UsageError(`addons path not found at the target revision ${to.slice(0, 12)}: ${t.missing.join(", ")}`, {
            code: "ADDONS_PATH_NOT_FOUND",
            details: { addonsPaths: t.missing },
          });
        }
        for (const m of b.missing) warnings.push(`addons path ${m} does not exist at the base revision ${from.slice(0, 12)}: its modules are new`);
        options.onEvent?.({ type: "plan:discovered", revision: to, modules: t.modules.size });
        target = t.modules;
        base = b.modules;
        baseUnreadable = new Set(b.unreadable.keys());
        throwIfAborted(options.signal);
        for (const [name, u] of t.unreadable) {
          const before = b.modules.get(name) ?? b.unreadable.get(name);
          unreadable.set(name, { error: u.error, changed: !before || before.treeOid !== u.treeOid });
        }
        // A module whose base manifest was unreadable is compared by its files all the same.
        const pairs: [ModuleTree, ModuleTree][] = [];
        for (const tm of t.modules.values()) {
          const bm = b.modules.get(tm.name) ?? b.unreadable.get(tm.name);
          if (!bm) continue;
          if (bm.path !== tm.path) movedFrom.set(tm.name, bm.path);
          if (bm.treeOid !== tm.treeOid) pairs.push([bm, tm]);
        }
        const diffs = await git.diffModules(pairs);
        for (const [bm, tm] of pairs) {
          const files = diffs.get(tm.name) ?? [];
          if (files.length === 0) continue;
          const c = classifyChanges(files, options.classification ?? []);
          const was = "manifest" in bm ? (bm.manifest as AddonManifest).version ?? "(none)" : "(unreadable manifest)";
          const now = target.get(tm.name)!.manifest.version ?? "(none)";
          if (was !== now) c.reasons.push(`manifest version ${was} → ${now}`);
          changes.set(tm.name, c);
        }
        warnings.push(...git.warnings);
      } finally {
        await git.close();
      }
    } else {
      if (options.from !== undefined || options.to !== undefined) {
        throw new UsageError("--from/--to apply to git mode; checksum mode plans the work tree against the database's stored checksums", {
          code: "BAD_OPTIONS",
        });
      }
      if (!db) {
        throw new UsageError(
          "checksum mode needs the database's stored checksums (module_auto_update.installed_checksums): give --db-url URL",
          { code: "CHECKSUM_NEEDS_DATABASE" },
        );
      }
      const found = await discoverAddons({
        addonsPaths: options.addonsPaths,
        cwd: repoDir,
        signal: options.signal,
        onUnreadable: (u) => unreadable.set(u.name, { error: u.error, changed: false }),
      });
      for (const name of found.keys()) unreadable.delete(name);
      target = new Map([...found].map(([n, a]) => [n, { name: n, path: path.relative(repoDir, a.dir), manifest: a.manifest }]));
      options.onEvent?.({ type: "plan:discovered", revision: "work tree", modules: target.size });
      const stored = await readInstalledChecksums(db);
      if (Object.keys(stored).length === 0) {
        warnings.push("the database stores no checksums yet (module_auto_update.installed_checksums): every installed module is planned for update, as click-odoo-update would");
      }
      const settings = await readChecksumSettings(db);
      let computed = 0;
      for (const [name, a] of found) {
        const state = dbModules!.get(name)?.state;
        if (state !== "installed" && state !== "to upgrade") continue;
        throwIfAborted(options.signal);
        const sum = await computeAddonChecksum((a as AddonInfo).dir, settings);
        computed++;
        const was = stored[name];
        if (sum === was) continue;
        changes.set(name, {
          effect: "update",
          i18n: false,
          assets: false,
          reasons: [was ? `checksum ${sum.slice(0, 12)} differs from the stored ${String(was).slice(0, 12)} (click-odoo-update method)` : "no stored checksum (click-odoo-update updates it too)"],
        });
      }
      options.onEvent?.({ type: "plan:checksums", computed });
      if (!odooAddons) {
        warnings.push("checksum mode has no base revision: installed modules whose code disappeared are only found with --odoo-addons-path");
      }
    }

    const plan = buildPlan({
      target,
      base,
      changes,
      movedFrom,
      dbModules,
      odooAddons,
      unreadable,
      baseUnreadable,
      install: options.install ?? [],
      failOnUninstall: options.failOnUninstall ?? false,
      warnings,
    });
    return { ok: plan.checks.every((c) => c.status !== "failed"), durationMs: durationSince(start), from, to, mode, ...plan };
  });
}

async function readDbModules(db: Queryable): Promise<Map<string, DbModule>> {
  const rows = await db.query<{ name: string; state: string; deps: string[] | null }>(
    `SELECT m.name, m.state, array_remove(array_agg(d.name ORDER BY d.name), NULL) AS deps
       FROM ir_module_module m LEFT JOIN ir_module_module_dependency d ON d.module_id = m.id
      GROUP BY m.name, m.state`,
  );
  return new Map(rows.rows.map((r) => [r.name, { state: r.state, deps: r.deps ?? [] }]));
}

interface BuildInput {
  target: Map<string, LocalModule>;
  base: Map<string, LocalModule> | undefined;
  changes: Map<string, { effect: "update" | "unchanged"; reasons: string[]; i18n: boolean; assets: boolean }>;
  movedFrom: Map<string, string>;
  dbModules: Map<string, DbModule> | undefined;
  odooAddons: Map<string, AddonInfo> | undefined;
  unreadable: Map<string, UnreadableModule>;
  /** Modules whose manifest was unreadable at the base revision (not new, though absent from `base`). */
  baseUnreadable: ReadonlySet<string>;
  install: readonly string[];
  failOnUninstall: boolean;
  warnings: string[];
}

function buildPlan(input: BuildInput): Omit<DeployPlan, "ok" | "durationMs" | "from" | "to" | "mode"> {
  const { target, base, changes, dbModules, odooAddons, unreadable, warnings } = input;
  const modules: Record<string, PlannedModule> = {};
  const entry = (name: string): PlannedModule => {
    let e = modules[name];
    if (!e) {
      e = { action: "unchanged", reasons: [] };
      const t = target.get(name) ?? base?.get(name);
      if (t) e.path = t.path;
      const st = dbModules?.get(name)?.state;
      if (st) e.state = st;
      if (!t) e.external = true;
      modules[name] = e;
    }
    return e;
  };
  const checks: Check[] = [];

  // Installed now: from the database, else (git mode without database) the modules present at the base.
  const installedFrom: DeployPlan["installedFrom"] = dbModules ? "database" : "base-revision";
  const installedNow = new Set<string>();
  const installing = new Set<string>();
  if (dbModules) {
    for (const [n, m] of dbModules) {
      if (INSTALLED_STATES.has(m.state)) installedNow.add(n);
      if (m.state === "to install") installing.add(n);
    }
  } else {
    // A module the base revision's Odoo could not read was not installed from that code.
    for (const n of base?.keys() ?? []) installedNow.add(n);
    warnings.push(
      "no database given: the modules present at the base revision are taken as installed, and dependencies outside the addons paths as installed Odoo modules",
    );
  }

  const depsOf = (n: string): readonly string[] => target.get(n)?.manifest.depends ?? dbModules?.get(n)?.deps ?? odooAddons?.get(n)?.manifest.depends ?? [];
  const exists = (n: string) => target.has(n) || (dbModules ? dbModules.has(n) && dbModules.get(n)!.state !== "uninstallable" : false) || (odooAddons?.has(n) ?? false);
  const canCheckExternal = Boolean(dbModules || odooAddons);

  // Uninstall: installed modules whose code disappeared from the addons paths.
  const uninstall: string[] = [];
  for (const n of [...installedNow].sort()) {
    // An unreadable manifest is still code in the addons paths: the manifests check speaks for it.
    if (target.has(n) || unreadable.has(n)) continue;
    const wasLocal = base?.has(n) ?? false;
    const known = odooAddons?.has(n) ?? false;
    if (wasLocal || (odooAddons && !known && dbModules)) {
      uninstall.push(n);
      const e = entry(n);
      e.action = "uninstall";
      e.reasons.push(
        wasLocal
          ? `installed, but its code disappeared from the addons paths (was ${base!.get(n)!.path}): planned only, never executed by the planner`
          : "installed, but found neither in the addons paths nor in Odoo's addons: planned only, never executed by the planner",
      );
    }
  }
  const removed = new Set(uninstall);
  const stays = (n: string) => installedNow.has(n) && !removed.has(n);

  // Install: what the modules staying installed (and those being installed) need, what config asks, and
  // auto_install modules that become installable.
  const install = new Set<string>();
  const installReasons = new Map<string, string[]>();
  const addInstall = (n: string, reason: string) => {
    // A removed module cannot be installed again; the dependency check reports who still needs it.
    if (stays(n) || removed.has(n)) return;
    // An external module is installed by Odoo only if it exists (database known); else the dependency check reports it.
    if (!target.has(n) && (!dbModules || !exists(n))) return;
    const r = installReasons.get(n) ?? [];
    if (!r.includes(reason)) r.push(reason);
    installReasons.set(n, r);
    if (install.has(n)) return;
    install.add(n);
    for (const d of depsOf(n)) addInstall(d, `dependency of ${n}`);
  };
  for (const n of [...installedNow].filter(stays).sort()) for (const d of depsOf(n)) if (!stays(d)) addInstall(d, `dependency of ${n} (installed)`);
  for (const n of [...installing].sort()) {
    addInstall(n, "in state 'to install' in the database");
  }
  for (const n of input.install) {
    if (!exists(n) && canCheckExternal) warnings.push(`repo.install lists ${n}, which is in no addons path`);
    if (!stays(n)) addInstall(n, "listed in repo.install");
  }
  for (let changed = true; changed; ) {
    changed = false;
    for (const [n, m] of [...target].sort(([a], [b]) => a.localeCompare(b))) {
      if (stays(n) || install.has(n) || !m.manifest.installable || m.manifest.autoInstall === false) continue;
      const need = m.manifest.autoInstall === true ? m.manifest.depends : m.manifest.autoInstall;
      const after = (d: string) => stays(d) || install.has(d);
      if (need.length > 0 && need.every(after) && need.some((d) => install.has(d))) {
        addInstall(n, `auto_install: ${need.filter((d) => install.has(d)).join(", ")} being installed and ${need.join(", ")} installed after the deploy`);
        changed = true;
      }
    }
  }

  // Update: changed modules that are installed (a changed module that is not installed is not updated).
  const update = new Set<string>();
  for (const [n, c] of [...changes].sort(([a], [b]) => a.localeCompare(b))) {
    const e = entry(n);
    e.reasons.push(...c.reasons);
    if (c.i18n) e.i18nOverwrite = true;
    if (c.assets) e.assets = true;
    const bv = base?.get(n)?.manifest.version;
    const tv = target.get(n)?.manifest.version;
    if (base?.has(n) && bv !== tv) e.version = { ...(bv ? { from: bv } : {}), ...(tv ? { to: tv } : {}) };
    if (c.effect !== "update") continue;
    if (install.has(n)) continue;
    if (!stays(n)) {
      e.reasons.push("not installed: not updated");
      continue;
    }
    update.add(n);
    e.action = "update";
  }
  for (const [n, from] of input.movedFrom) entry(n).reasons.push(`moved from ${from} to ${target.get(n)!.path}`);
  for (const n of install) {
    const e = entry(n);
    e.action = "install";
    e.reasons.push(...(installReasons.get(n) ?? []));
    if (base && target.has(n) && !base.has(n)) {
      e.reasons.push(input.baseUnreadable.has(n) ? "its manifest was unreadable at the base revision" : "new in this revision range");
    }
  }
  for (const n of target.keys()) {
    if (!base || base.has(n) || install.has(n) || stays(n)) continue;
    entry(n).reasons.push("new module, not installed: nothing installed requires it, its auto_install is not satisfied and repo.install does not list it");
  }

  // Installability.
  const notInstallable: string[] = [];
  for (const n of [...install, ...update]) {
    const m = target.get(n);
    if (m && !m.manifest.installable) {
      notInstallable.push(n);
      install.delete(n);
      update.delete(n);
      const e = entry(n);
      e.action = "unchanged";
      e.reasons.push("manifest says installable: False — Odoo would skip it and leave the database inconsistent");
    }
  }
  for (const n of [...installedNow].filter(stays)) {
    const m = target.get(n);
    if (m && !m.manifest.installable && !notInstallable.includes(n)) {
      warnings.push(`${n} is installed but its manifest says installable: False: Odoo leaves it 'to upgrade' when something triggers its update`);
    }
  }
  checks.push(
    notInstallable.length === 0
      ? { name: "installable", status: "ok" }
      : { name: "installable", status: "failed", detail: `not installable but would be installed or updated: ${notInstallable.sort().join(", ")}` },
  );

  // Dependencies of every module installed after the deploy.
  const after = new Set([...[...installedNow].filter(stays), ...install]);
  const missing: string[] = [];
  for (const n of [...after].sort()) {
    if (!target.has(n)) continue;
    for (const d of depsOf(n)) {
      if (target.has(d)) {
        if (!target.get(d)!.manifest.installable) missing.push(`${n} depends on ${d}, which is not installable`);
        continue;
      }
      if (removed.has(d)) {
        missing.push(`${n} depends on ${d}, whose code disappeared from the addons paths`);
        continue;
      }
      if (unreadable.has(d)) continue;
      if (!canCheckExternal) continue;
      if (!exists(d)) missing.push(`${n} depends on ${d}, which is in no addons path${odooAddons ? " nor Odoo's addons" : ""}${dbModules ? " and unknown to the database" : ""}`);
    }
  }
  checks.push(missing.length === 0 ? { name: "dependencies", status: "ok" } : { name: "dependencies", status: "failed", detail: missing.join("; ") });

  checks.unshift(manifestsCheck(unreadable, installedNow, [...after, ...install], depsOf, input.install, modules, entry, warnings));

  const cycles = findCycles(target.keys(), (n) => target.get(n)!.manifest.depends);
  const relevantCycles = cycles.filter((c) => c.some((n) => after.has(n)));
  for (const c of cycles) if (!relevantCycles.includes(c)) warnings.push(`dependency cycle among modules nobody installs: ${c.join(" → ")}`);
  checks.push(
    relevantCycles.length === 0
      ? { name: "cycles", status: "ok" }
      : { name: "cycles", status: "failed", detail: relevantCycles.map((c) => `dependency cycle: ${c.join(" → ")}`).join("; ") },
  );

  // Cascade: installed modules depending (transitively) on an updated one, which `-u` updates too.
  const dependents = new Map<string, string[]>();
  const universe = new Set([...target.keys(), ...(dbModules?.keys() ?? [])]);
  for (const n of universe) {
    for (const d of depsOf(n)) {
      const l = dependents.get(d) ?? [];
      l.push(n);
      dependents.set(d, l);
    }
  }
  const cascade = [...closure(update, (n) => dependents.get(n) ?? [])].filter((n) => stays(n) && !update.has(n) && !install.has(n)).sort();
  for (const n of cascade) {
    const e = entry(n);
    const via = depsOf(n).filter((d) => update.has(d) || cascade.includes(d));
    e.reasons.push(`updated by Odoo anyway: depends on ${via.join(", ")} (updated)`);
  }

  const uninstallCheck: Check =
    uninstall.length === 0
      ? { name: "uninstall", status: "ok" }
      : input.failOnUninstall
        ? { name: "uninstall", status: "failed", detail: `modules to uninstall (--fail-on-uninstall): ${uninstall.join(", ")}` }
        : { name: "uninstall", status: "ok", detail: `planned, not executed: ${uninstall.join(", ")}` };
  checks.push(uninstallCheck);

  const order = topologicalOrder([...install, ...update], depsOf);
  const i18nOverwrite = order.filter((n) => modules[n]?.i18nOverwrite);
  return {
    installedFrom,
    install: [...install].sort(),
    update: [...update].sort(),
    uninstall,
    cascade,
    order,
    i18nOverwrite,
    modules: Object.fromEntries(Object.entries(modules).sort(([a], [b]) => a.localeCompare(b))),
    warnings,
    checks,
  };
}

/**
 * The `manifests` check: a manifest Odoo cannot read fails the plan when its module is installed, added or changed
 * in the range, or needed by a module installed after the deploy (or by repo.install); any other one is a warning
 * naming file:line, since Odoo skips a module whose manifest it cannot read.
 */
function manifestsCheck(
  unreadable: ReadonlyMap<string, UnreadableModule>,
  installedNow: ReadonlySet<string>,
  installedAfter: readonly string[],
  depsOf: (n: string) => readonly string[],
  install: readonly string[],
  modules: Record<string, PlannedModule>,
  entry: (name: string) => PlannedModule,
  warnings: string[],
): Check {
  if (unreadable.size === 0) return { name: "manifests", status: "ok" };
  const neededBy = new Map<string, string[]>();
  for (const n of new Set(installedAfter)) for (const d of depsOf(n)) if (unreadable.has(d)) neededBy.set(d, [...(neededBy.get(d) ?? []), n]);
  const failed: string[] = [];
  for (const [name, u] of [...unreadable].sort(([a], [b]) => a.localeCompare(b))) {
    const why = [
      ...(installedNow.has(name) ? ["installed"] : []),
      ...(u.changed ? ["added or changed in this revision range"] : []),
      ...(neededBy.has(name) ? [`needed by ${neededBy.get(name)!.sort().join(", ")}`] : []),
      ...(install.includes(name) ? ["listed in repo.install"] : []),
    ];
    if (why.length === 0) {
      warnings.push(`${u.error.message}: Odoo cannot read this manifest and skips ${name}, which is not installed, unchanged and needed by nothing`);
      continue;
    }
    failed.push(`${u.error.message} (${name}: ${why.join("; ")})`);
    if (!u.odoo || modules[name] || installedNow.has(name)) {
      const e = entry(name);
      e.reasons.push(`manifest unreadable by Odoo: ${u.error.reason} (${u.error.file}:${u.error.line})`);
    }
  }
  return failed.length === 0
    ? { name: "manifests", status: "ok", detail: `${unreadable.size} unreadable manifest(s) of modules nobody uses (see warnings)` }
    : { name: "manifests", status: "failed", detail: `manifests Odoo cannot read: ${failed.join("; ")}` };
}
