/**
 * Proving a backup good: exit status, sizes and sha256, a full read of the archive, the Odoo tables in its
 * table of contents, the filestore against `ir_attachment.store_fname`, and (level `restore`) a restore into
 * a scratch database with exact row counts compared to the manifest.
 */
import { createReadStream } from "node:fs";
import { stat } from "node:fs/promises";
import path from "node:path";
import { throwIfAborted, UsageError } from "../errors.js";
import { durationSince, timedCheck, type Check, type EventHandler } from "../report.js";
import { createLocalRunner } from "../runner/local.js";
import type { CommandRunner } from "../runner/types.js";
import { withDatabase } from "../db/connection.js";
import { newRunId } from "../util/run-id.js";
import { missingOdooTables, parseTocTables, SqlDumpScanner } from "./dump-scan.js";
import { hashFile } from "./files.js";
import { readFilestoreTar, type FilestoreContents } from "./filestore.js";
import { locateBackup, writeManifest, type LocatedBackup } from "./manifest.js";
import { errorLine } from "./pg-tools.js";
import { dropCreatedDatabase, restoreInto, scratchDatabaseName } from "./restore-into.js";
import { countAllRows } from "./snapshot.js";
import type { BackupEvent, VerifyLevel, VerifyReport } from "./types.js";
import { openZip, readZipFully } from "./zip.js";

/** Options of {@link verifyBackup}. */
export interface VerifyBackupOptions {
  /** A backup directory written by {@link backupDatabase}, or a bare Odoo zip. */
  path: string;
  /** Default `basic`. */
  level?: VerifyLevel;
  /** A server for the scratch restore of level `restore` (its database part is ignored). */
  dbUrl?: string;
  /** Where pg_restore/psql run for the scratch restore (default local); the dump is streamed to them. */
  runner?: CommandRunner;
  pgRestore?: string;
  psql?: string;
  /** Record the outcome in the backup's manifest (default true; not for bare zips). */
  record?: boolean;
  progressIntervalMs?: number;
  signal?: AbortSignal;
  onEvent?: EventHandler<BackupEvent>;
}

/** Checks already done while the backup was written (the in-flight full read). */
export interface PriorChecks {
  archiveRead?: Check;
}

/**
 * Verifies a backup. Returns `ok: false` with the failing checks named; throws only when it cannot run
 * (path missing, no server for a restore).
 *
 * @example
 * const r = await verifyBackup({ path: "/backups/odoo_prod_20261127T093512Z", level: "basic" });
 * if (!r.ok) console.error(r.checks.filter((c) => c.status === "failed"));
 */
export async function verifyBackup(options: VerifyBackupOptions): Promise<VerifyReport> {
  throwIfAborted(options.signal);
  const backup = await locateBackup(path.resolve(options.path));
  const report = await verifyLocated(backup, options);
  if (options.record !== false && backup.dir && backup.manifest?.odoo_deploy) {
    backup.manifest.odoo_deploy.verification = {
      level: report.level,
      ok: report.ok,
      at: new Date().toISOString(),
      checks: report.checks,
    };
    await writeManifest(backup.dir, backup.manifest);
  }
  return report;
}

/** Verification of an already located backup (also used before publication, on the work directory). @example await verifyLocated(await locateBackup(dir), { level: "basic" }); */
export async function verifyLocated(backup: LocatedBackup, options: Omit<VerifyBackupOptions, "path">, prior: PriorChecks = {}): Promise<VerifyReport> {
  const start = performance.now();
  const level = options.level ?? "basic";
  if (level === "restore" && !options.dbUrl) {
    throw new UsageError("verify level restore needs a server for the scratch database: --db-url URL", { code: "NO_SCRATCH_SERVER" });
  }
  const checks: Check[] = [];
  const add = (c: Check) => {
    checks.push(c);
    options.onEvent?.({ type: "backup:check", check: c });
  };
  const local = createLocalRunner();
  const pgRestore = options.pgRestore ?? "pg_restore";
  const ours = backup.manifest?.odoo_deploy;
  let missingFiles: string[] | undefined;
  let unreferenced: number | undefined;

  add(
    await timedCheck("manifest", async () => {
      if (!backup.manifest) return { status: "skipped", detail: "the zip has no manifest.json (Odoo ignores it too)" };
      const m = backup.manifest;
      if (m.odoo_dump !== "1") return { status: "failed", detail: `odoo_dump is ${JSON.stringify(m.odoo_dump)}, expected "1"` };
      return `database ${m.db_name}${ours ? `, created ${ours.createdAt}` : ""}, ${Object.keys(m.modules ?? {}).length} modules`;
    }),
  );
  if (ours) {
    add(
      await timedCheck("dump-exit-status", async () =>
        ours.dump.exitCode === 0 ? `pg_dump exited 0 on ${ours.dump.runner}` : { status: "failed", detail: `pg_dump exited ${ours.dump.exitCode}` },
      ),
    );
    add(
      await timedCheck("files", async () => {
        const problems: string[] = [];
        for (const f of ours.files) {
          throwIfAborted(options.signal);
          const p = path.join(backup.dir!, f.name);
          const st = await stat(p).catch(() => undefined);
          if (!st) {
            problems.push(`${f.name}: missing`);
            continue;
          }
          if (st.size !== f.bytes) problems.push(`${f.name}: ${st.size} bytes, manifest says ${f.bytes}`);
          else if ((await hashFile(p, options.signal)).sha256 !== f.sha256) problems.push(`${f.name}: sha256 differs from the manifest`);
        }
        return problems.length ? { status: "failed", detail: problems.join("; ") } : `${ours.files.length} files match their size and sha256`;
      }),
    );
  }

  let tables: Set<string> | undefined;
  let referenced: Set<string> | undefined;
  let sawAttachments = false;
  let filestore: FilestoreContents | undefined;
  let filestoreError: string | undefined;

  if (backup.format === "custom") {
    const dump = backup.dumpFile!;
    add(
      prior.archiveRead ??
        (await timedCheck("archive-read", async () => {
          const r = await local.exec([pgRestore, "--file=/dev/null", dump], { signal: options.signal });
          if (r.exitCode !== 0) return { status: "failed", detail: `pg_restore could not read the whole archive: ${errorLine(r.stderr)}` };
          return "pg_restore read every entry";
        })),
    );
    add(
      await timedCheck("toc", async () => {
        const r = await local.exec([pgRestore, "--list", dump], { signal: options.signal });
        if (r.exitCode !== 0) return { status: "failed", detail: `pg_restore --list failed: ${errorLine(r.stderr)}` };
        tables = parseTocTables(r.stdout);
        const missing = missingOdooTables(tables);
        if (missing.length) return { status: "failed", detail: `TOC lists no table ${missing.join(", ")}` };
        return `${tables.size} tables, Odoo's core tables present`;
      }),
    );
    const scan = new SqlDumpScanner();
    const r = await local.exec([pgRestore, "--data-only", "--table=ir_attachment", "--file=-", dump], {
      signal: options.signal,
      maxBuffer: 0,
      onStdoutLine: (l) => scan.push(Buffer.from(`${l}\n`)),
    });
    scan.end();
    if (r.exitCode === 0) {
      referenced = scan.storeFnames;
      sawAttachments = scan.sawAttachmentData;
    }
    if (backup.filestoreFile) {
      try {
        filestore = await readFilestoreTar(createReadStream(backup.filestoreFile), options.signal);
      } catch (e) {
        filestoreError = (e as Error).message;
      }
    }
  } else {
    const scan = new SqlDumpScanner();
    let read: Awaited<ReturnType<typeof readZipFully>> | undefined;
    add(
      await timedCheck("archive-read", async () => {
        const zip = await openZip(backup.zipFile!);
        try {
          read = await readZipFully(zip, (c) => scan.push(c), options.signal);
        } finally {
          zip.close();
        }
        scan.end();
        if (read.dumpSha256 === undefined) return { status: "failed", detail: "the zip holds no dump.sql" };
        const inner = backup.manifest?.odoo_deploy?.files.find((f) => f.name === "dump.sql");
        if (inner && inner.sha256 !== read.dumpSha256) return { status: "failed", detail: "dump.sql sha256 differs from the manifest" };
        return `every entry read, CRC-32 ok${inner ? ", dump.sql sha256 matches" : ""}`;
      }),
    );
    if (read) {
      tables = scan.tables;
      add(
        await timedCheck("toc", async () => {
          const missing = missingOdooTables(scan.tables);
          if (missing.length) return { status: "failed", detail: `dump.sql creates no table ${missing.join(", ")}` };
          return `${scan.tables.size} tables, Odoo's core tables present`;
        }),
      );
      referenced = scan.storeFnames;
      sawAttachments = scan.sawAttachmentData;
      filestore = read.filestore.files.size > 0 || read.filestore.refused.length > 0 ? read.filestore : undefined;
    } else {
      add({ name: "toc", status: "skipped", detail: "archive unreadable" });
    }
  }

  add(
    await timedCheck("filestore", async () => {
      if (filestoreError) return { status: "failed", detail: `filestore archive unreadable: ${filestoreError}` };
      const refs = referenced ?? new Set<string>();
      if (!filestore) {
        return { status: "skipped", detail: `no filestore archived${refs.size ? `; attachments reference ${refs.size} files` : ""}` };
      }
      if (!sawAttachments && referenced === undefined) return { status: "failed", detail: "could not read ir_attachment from the dump" };
      const missing = [...refs].filter((f) => !filestore!.files.has(f)).sort();
      missingFiles = missing;
      unreferenced = [...filestore.files].filter((f) => !refs.has(f)).length;
      const problems: string[] = [];
      if (missing.length) {
        problems.push(`${missing.length} attachment files missing from the filestore: ${missing.slice(0, 20).join(", ")}${missing.length > 20 ? ", …" : ""}`);
      }
      if (filestore.refused.length) {
        problems.push(`${filestore.refused.length} entries a restore refuses: ${filestore.refused.slice(0, 20).join(", ")}`);
      }
      if (filestore.contentMismatch.length) {
        problems.push(`${filestore.contentMismatch.length} files whose content does not match their sha1 name: ${filestore.contentMismatch.slice(0, 20).join(", ")}`);
      }
      const summary = `${filestore.files.size} files, ${refs.size} referenced by ir_attachment${unreferenced ? `, ${unreferenced} unreferenced` : ""}`;
      return problems.length ? { status: "failed", detail: `${problems.join("; ")} (${summary})` } : summary;
    }),
  );

  if (level === "restore") {
    const basicOk = checks.every((c) => c.status !== "failed");
    if (!basicOk) {
      add({ name: "scratch-restore", status: "skipped", detail: "basic checks failed" });
      add({ name: "row-counts", status: "skipped", detail: "basic checks failed" });
    } else {
      // The manifest's db_name comes from whoever made the backup: only its plain characters make the name.
      const dbName = scratchDatabaseName(backup.manifest?.db_name, `verify_${newRunId()}`);
      const serverUrl = options.dbUrl!;
      let restored = false;
      let created = false;
      try {
        add(
          await timedCheck("scratch-restore", async () => {
            await restoreInto({
              backup,
              serverUrl,
              database: dbName,
              onCreated: () => (created = true),
              runner: options.runner ?? local,
              ...(options.pgRestore ? { pgRestore: options.pgRestore } : {}),
              ...(options.psql ? { psql: options.psql } : {}),
              ...(options.signal ? { signal: options.signal } : {}),
              ...(options.progressIntervalMs !== undefined ? { progressIntervalMs: options.progressIntervalMs } : {}),
              onProgress: (bytes, rate, totalBytes) =>
                options.onEvent?.({ type: "backup:progress", phase: "restore", bytes, rate, totalBytes, fraction: totalBytes ? bytes / totalBytes : undefined }),
            });
            restored = true;
            return `restored into scratch database ${dbName}`;
          }),
        );
        add(
          await timedCheck("row-counts", async () => {
            if (!restored) return { status: "skipped", detail: "scratch restore failed" };
            const expected = ours?.rowCounts;
            if (!expected) return { status: "skipped", detail: "the manifest has no exact row counts (back up with --row-counts)" };
            const actual = await countAllRows(withDatabase(serverUrl, dbName), options.signal);
            const diffs = compareRowCounts(expected, actual);
            if (diffs.length) return { status: "failed", detail: `${diffs.length} tables differ: ${diffs.slice(0, 20).join(", ")}` };
            return `${Object.keys(expected).length} tables have the row counts of the manifest`;
          }),
        );
      } finally {
        // Only a database this run created is dropped: the name may have been taken by someone else.
        if (created) {
          await dropCreatedDatabase(serverUrl, dbName).catch((e: unknown) =>
            add({ name: "scratch-drop", status: "failed", detail: `could not drop ${dbName}: ${(e as Error).message}` }),
          );
        }
      }
    }
  }

  return {
    ok: checks.every((c) => c.status !== "failed"),
    durationMs: durationSince(start),
    path: backup.path,
    level,
    format: backup.format,
    checks,
    ...(missingFiles ? { missingFiles } : {}),
    ...(unreferenced !== undefined ? { unreferencedFiles: unreferenced } : {}),
  };
}

/**
 * Tables whose counts differ between two `schema.table → count` maps, as `table: expected → actual`.
 *
 * @example compareRowCounts({ "public.a": 1 }, { "public.a": 2 }) // ["public.a: 1 → 2"]
 */
export function compareRowCounts(expected: Record<string, number>, actual: Record<string, number>): string[] {
  const out: string[] = [];
  for (const [t, n] of Object.entries(expected)) {
    const a = actual[t];
    if (a === undefined) out.push(`${t}: missing`);
    else if (a !== n) out.push(`${t}: ${n} → ${a}`);
  }
  for (const t of Object.keys(actual)) if (!(t in expected)) out.push(`${t}: unexpected table`);
  return out;
}
