/**
 * A stand-in for a service manager, for deploy tests without systemd (this machine's PID 1 is not systemd):
 * `odoo-service start|stop|status NAME` runs `NAME.cmd` (a shell line) in the background with a pid file, and a
 * `systemctl` with the verbs deploys use (`start`, `stop`, `is-active`, `set-environment`) on top of it. Both are
 * plain POSIX sh, so they run locally and over SSH as an unprivileged user.
 */
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";

/** A service manager double living in one directory. */
export interface ServiceDouble {
  dir: string;
  /** `<dir>/odoo-service`: `start NAME`, `stop NAME`, `status NAME`. */
  serviceBin: string;
  /** `<dir>/systemctl`. */
  systemctl: string;
  /** Declares what `start NAME` runs (a shell line; `$ODOO_DEPLOY_REVISION` and the manager's environment are set). */
  define(name: string, command: string): void;
  /** The revision the last `start NAME` was given (`ODOO_DEPLOY_REVISION`), or undefined. */
  startedRevision(name: string): string | undefined;
}

const SERVICE = `#!/bin/sh
# odoo-service start|stop|status NAME — a minimal service manager for tests
set -u
dir=$(dirname "$0")
verb=$1; name=$2
pidf="$dir/$name.pid"
running() { [ -f "$pidf" ] && kill -0 "$(cat "$pidf")" 2>/dev/null; }
case "$verb" in
  start)
    if running; then exit 0; fi
    [ -f "$dir/manager.env" ] && . "$dir/manager.env"
    printf '%s\\n' "\${ODOO_DEPLOY_REVISION:-}" > "$dir/$name.revision"
    # setsid: the service outlives whoever started it, as under a real manager.
    setsid sh -c "exec $(cat "$dir/$name.cmd")" >>"$dir/$name.log" 2>&1 < /dev/null &
    echo $! > "$pidf"
    ;;
  stop)
    if running; then
      pid=$(cat "$pidf"); kill -TERM "$pid" 2>/dev/null
      i=0; while kill -0 "$pid" 2>/dev/null && [ $i -lt 100 ]; do sleep 0.1; i=$((i+1)); done
      kill -KILL "$pid" 2>/dev/null
    fi
    rm -f "$pidf"
    ;;
  status) running ;;
  *) echo "usage: odoo-service start|stop|status NAME" >&2; exit 2 ;;
esac
`;

const SYSTEMCTL = `#!/bin/sh
# systemctl (test double): start, stop, is-active, set-environment
set -u
dir=$(dirname "$0")
[ "\${1:-}" = "--user" ] && shift
verb=$1; shift
case "$verb" in
  set-environment)
    for kv in "$@"; do
      k=\${kv%%=*}; v=\${kv#*=}
      grep -v "^export $k=" "$dir/manager.env" 2>/dev/null > "$dir/manager.env.tmp"
      printf "export %s='%s'\\n" "$k" "$v" >> "$dir/manager.env.tmp"
      mv "$dir/manager.env.tmp" "$dir/manager.env"
    done ;;
  start|stop) exec "$dir/odoo-service" "$verb" "\${1%.service}" ;;
  is-active)
    if "$dir/odoo-service" status "\${1%.service}"; then echo active; else echo inactive; exit 3; fi ;;
  *) echo "systemctl double: unsupported verb $verb" >&2; exit 1 ;;
esac
`;

/**
 * Writes the double into `dir` (created, world-readable so an SSH test user can run it).
 *
 * @example
 * const sd = createServiceDouble(dir);
 * sd.define("odoo", `node ${script} --addons-path ${addons} -d ${db} --http-port ${port}`);
 * // createSystemdService({ runner, unit: "odoo.service", systemctl: sd.systemctl })
 */
export function createServiceDouble(dir: string): ServiceDouble {
  mkdirSync(dir, { recursive: true, mode: 0o777 });
  chmodSync(dir, 0o777);
  const serviceBin = path.join(dir, "odoo-service");
  const systemctl = path.join(dir, "systemctl");
  writeFileSync(serviceBin, SERVICE, { mode: 0o755 });
  writeFileSync(systemctl, SYSTEMCTL, { mode: 0o755 });
  return {
    dir,
    serviceBin,
    systemctl,
    define(name, command) {
      writeFileSync(path.join(dir, `${name}.cmd`), command, { mode: 0o644 });
    },
    startedRevision(name) {
      try {
        return readFileSync(path.join(dir, `${name}.revision`), "utf8").trim() || undefined;
      } catch {
        return undefined;
      }
    },
  };
}
