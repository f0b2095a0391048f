/**
 * Starts the double as a running Odoo server (HTTP mode) for tests, with its fault switch.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { freePort } from "../postgres.js";
import { odooDoubleArgv } from "./build.js";

/** A fault the running double can be switched to (see README.md). */
export type OdooDoubleFault = "none" | "500" | "503" | "db-down" | "refused";

/** A running double. */
export interface OdooDoubleServer {
  port: number;
  /** `http://127.0.0.1:PORT` */
  url: string;
  process: ChildProcess;
  /** Everything the server logged so far. */
  log(): string;
  /** Switches the fault (and an optional per-request delay) through the control file; applies within 100 ms. */
  setFault(fault: OdooDoubleFault, delayMs?: number): void;
  /** SIGTERM, then waits for the exit. */
  stop(): Promise<void>;
}

/** Options of {@link startOdooDouble}. */
export interface StartOdooDoubleOptions {
  /** Extra odoo-bin arguments (`-c conf`, `-d db`, …); `--http-port` is added. */
  args?: string[];
  /** Extra environment (PG* variables, ODOO_DOUBLE_START_DELAY_MS, ODOO_DOUBLE_VERSION, ODOO_DOUBLE_FAULT). */
  env?: Record<string, string>;
  port?: number;
}

/**
 * Starts `odoo-bin` (the double) serving HTTP on a free port. Does not wait for it to listen (that is what
 * health checks are for).
 *
 * @example
 * const odoo = await startOdooDouble({ env: { PGHOST: pg.socketDir, PGPORT: String(pg.port), PGUSER: "postgres" } });
 * odoo.setFault("db-down");
 * await odoo.stop();
 */
export async function startOdooDouble(o: StartOdooDoubleOptions = {}): Promise<OdooDoubleServer> {
  const port = o.port ?? (await freePort());
  const dir = mkdtempSync(path.join(os.tmpdir(), "odoo-double-ctl-"));
  const control = path.join(dir, "control.json");
  const [node, script] = await odooDoubleArgv();
  const child = spawn(node!, [script!, ...(o.args ?? []), "--http-port", String(port)], {
    env: { ...process.env, ODOO_DOUBLE_CONTROL: control, ...o.env },
    stdio: ["ignore", "ignore", "pipe"],
  });
  let log = "";
  child.stderr?.setEncoding("utf8").on("data", (d: string) => (log += d));
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  return {
    port,
    url: `http://127.0.0.1:${port}`,
    process: child,
    log: () => log,
    setFault(fault, delayMs = 0) {
      writeFileSync(control, JSON.stringify({ fault, delayMs }));
    },
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
      await exited;
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
