// Entry of a copy worker thread (see worker-pool.ts): it owns one source connection (joined to the exported
// snapshot), one target connection and its own Anonymizer, and copies the work items the main thread sends it,
// one at a time. Fakes are functions of (secret, rule, value) and the memo is only a cache, so every worker
// produces the same ones; tables with `unique` rules, whose re-draws depend on the rows seen, are never split.
import { connect } from "@odoo-deploy/core/base";
import { parentPort, workerData } from "node:worker_threads";
import { Arena } from "../accelerator/arena.js";
import { Anonymizer } from "../strategies/anonymizer.js";
import { compileTable } from "./compile-table.js";
import { copyItem } from "./copy-item.js";
import { toWire, type CopyWorkerInit, type FromWorker, type ToWorker } from "./worker-protocol.js";

const port = parentPort!;
const init = workerData as CopyWorkerInit;
const post = (m: FromWorker) => port.postMessage(m);
const abort = new AbortController();

async function main(): Promise<void> {
  const anonymizer = new Anonymizer({ secret: init.secret, locale: init.locale });
  const specs = new Map<number, ReturnType<typeof compileTable>>();
  // One arena for the worker: its items are copied one at a time.
  const arena = init.reference ? undefined : new Arena();
  // Read-only for the whole session, on top of the read-only transaction below.
  const source = await connect(init.sourceUrl, { applicationName: init.applicationName, readOnly: true });
  const target = await connect(init.targetUrl, { applicationName: init.applicationName }).catch(async (e: unknown) => {
    await source.end().catch(() => {});
    throw e;
  });
  await source.query("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY");
  await source.query(`SET TRANSACTION SNAPSHOT '${init.snapshot.replace(/'/g, "''")}'`);
  let queue = Promise.resolve();
  port.on("message", (m: ToWorker) => {
    queue = queue
      .then(async () => {
        if (m.type === "end") {
          await source.query("COMMIT");
          await Promise.all([source.end(), target.end()]);
          post({ type: "closed", fakeValues: anonymizer.fakeValues });
          port.close();
          return;
        }
        const table = init.tables[m.table]!;
        let spec = specs.get(m.table);
        if (!spec) {
          spec = compileTable(table, anonymizer, { binary: init.binary });
          specs.set(m.table, spec);
        }
        const t0 = performance.now();
        const result = await copyItem(source, target, table, m.range, spec, arena, abort.signal, (rows, bytes) => post({ type: "progress", id: m.id, rows, bytes }));
        post({ type: "done", id: m.id, result, durationMs: performance.now() - t0, fakeValues: anonymizer.fakeValues });
      })
      .catch((e: unknown) => {
        post({ type: "error", error: toWire(e) });
        abort.abort();
        void source.end().catch(() => {});
        void target.end().catch(() => {});
      });
  });
  post({ type: "ready" });
}

main().catch((e: unknown) => post({ type: "error", error: toWire(e) }));
