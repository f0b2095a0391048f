// Source-mode bootstrap of worker threads (tests and tsx scripts run the TypeScript sources): registers tsx in
// this thread, which Node 20 does not inherit from the parent, then loads the real entry. Published builds
// start dist/copy-worker.js directly and never load this file.
import { workerData } from "node:worker_threads";

const { register } = await import("tsx/esm/api");
register();
await import(workerData.__entry);
