/**
 * When and how a running command is stopped, shared by every runner: on timeout or abort, TERM first, then
 * KILL after a grace period unless the process is gone. Records which of the two caused the stop.
 */
export interface Stopper {
  /** The timeout fired (the result's `timedOut`). */
  readonly timedOut: boolean;
  /** The signal aborted or `kill()` was called (the result's `canceled`). */
  readonly canceled: boolean;
  /** Stops as an abort would, marking the result `canceled`. */
  cancel(): void;
  /** Stops without marking why (e.g. the reader went away, as SIGPIPE would stop it locally). */
  stop(): void;
  /** Starts listening to the abort signal (at once if already aborted). */
  watchSignal(): void;
  /** Clears the timers and the abort listener once the process has ended. */
  dispose(): void;
}

/** Options of {@link createStopper}. */
export interface StopperOptions {
  timeout?: number;
  signal?: AbortSignal;
  killGraceMs: number;
  /** Sends a signal to the process (and what it started). */
  send(sig: "TERM" | "KILL"): void;
  /** True once the process has ended: nothing left to stop. */
  finished?: () => boolean;
}

/**
 * Arms the timeout now; the abort signal is watched from `watchSignal()`, so a transport can start its process
 * first and a kill has something to aim at.
 *
 * @example const stopper = createStopper({ timeout, signal, killGraceMs: 3000, send: (s) => kill(s) }); stopper.watchSignal();
 */
export function createStopper(o: StopperOptions): Stopper {
  let timedOut = false;
  let canceled = false;
  let killTimer: NodeJS.Timeout | undefined;
  const done = () => o.finished?.() ?? false;
  const stop = () => {
    if (done()) return;
    o.send("TERM");
    killTimer ??= setTimeout(() => {
      if (!done()) o.send("KILL");
    }, o.killGraceMs);
    killTimer.unref();
  };
  const onAbort = () => {
    canceled = true;
    stop();
  };
  const timer =
    o.timeout !== undefined && o.timeout > 0
      ? setTimeout(() => {
          timedOut = true;
          stop();
        }, o.timeout)
      : undefined;
  return {
    get timedOut() {
      return timedOut;
    },
    get canceled() {
      return canceled;
    },
    cancel: onAbort,
    stop,
    watchSignal() {
      if (o.signal?.aborted) onAbort();
      else o.signal?.addEventListener("abort", onAbort, { once: true });
    },
    dispose() {
      if (timer) clearTimeout(timer);
      if (killTimer) clearTimeout(killTimer);
      o.signal?.removeEventListener("abort", onAbort);
    },
  };
}
