/**
 * The named steps of a multi-step operation, and the one failure rule every operation of odoo-deploy follows
 * (backup, restore, migrate, neutralize, anonymize, deploy, rollback, refresh), so that a caller composing them
 * knows what a failure looks like without reading each one:
 * - a judged failure — the step threw an {@link OperationFailedError}, or was recorded failed with
 *   {@link StepRecorder.fail} — is recorded `failed`, and the operation returns `ok: false` naming that step;
 * - usage, configuration, environment and abort errors are recorded `failed` too, then rethrown: the operation
 *   could not run, and the caller gets a typed error (an aborted step is always rethrown as {@link AbortedError});
 * - an error PostgreSQL raised for a statement is typed first ({@link typedQueryError}: privileges and resources
 *   are the environment's, anything else the server refused a failed operation);
 * - any other error is a bug: recorded, then rethrown as it is.
 */
import { AbortedError, OperationFailedError } from "./errors.js";
import { typedQueryError } from "./db/connection.js";
import { durationSince, type Check } from "./report.js";

/** A step started (`<area>:step-start`) or ended with its outcome (`<area>:step`). */
export type StepEvent<A extends string> = { type: `${A}:step-start`; name: string } | { type: `${A}:step`; step: Check };

/**
 * The judged failure that ended an operation, as plain JSON for its report: which step, the error's stable
 * code, its message and details (a tool's stderr, already redacted by whoever raised it).
 */
export interface StepFailure {
  step: string;
  code: string;
  message: string;
  details: Record<string, unknown>;
}

/** What {@link StepRecorder.run} gives back: the step's value, or the judged failure that ended it. */
export type StepOutcome<T> = { ok: true; value: T; step: Check } | { ok: false; step: Check; error: OperationFailedError };

/** Options of a {@link StepRecorder}. */
export interface StepRecorderOptions<A extends string> {
  onEvent?: (event: StepEvent<A>) => void;
  /** When aborted, a step's error is rethrown as {@link AbortedError}, whatever it was. */
  signal?: AbortSignal;
}

/**
 * Runs and records the steps of one operation.
 *
 * @example
 * const steps = new StepRecorder("backup", { onEvent, signal });
 * const dump = await steps.run("dump", () => runDump(), (d) => `${d.bytes} bytes`);
 * if (!dump.ok) return { ok: false, steps: steps.steps };
 */
export class StepRecorder<A extends string> {
  readonly steps: Check[] = [];
  /** The first judged failure, for the report's `failure` field. */
  failure: StepFailure | undefined;

  constructor(
    readonly area: A,
    private readonly options: StepRecorderOptions<A> = {},
  ) {}

  /**
   * Runs `fn` as the step `name`. A returned value is an `ok` step (its detail from `describe`); a thrown
   * {@link OperationFailedError} a `failed` step returned as `{ ok: false }`; any other error is recorded and
   * rethrown.
   */
  async run<T>(name: string, fn: () => Promise<T>, describe?: (value: T) => string | undefined): Promise<StepOutcome<T>> {
    return this.attempt(name, fn, describe, "failed");
  }

  /**
   * Runs a step whose judged failure does not fail the operation (a rollback point that cannot be made when a
   * backup exists): it is recorded `skipped` with the reason, and the value is undefined. Other errors as in
   * {@link run}.
   */
  async optional<T>(name: string, fn: () => Promise<T>, describe?: (value: T) => string | undefined): Promise<T | undefined> {
    const outcome = await this.attempt(name, fn, describe, "skipped");
    return outcome.ok ? outcome.value : undefined;
  }

  private async attempt<T>(name: string, fn: () => Promise<T>, describe: ((value: T) => string | undefined) | undefined, judgedStatus: "failed" | "skipped"): Promise<StepOutcome<T>> {
    const t0 = performance.now();
    this.emit({ type: `${this.area}:step-start`, name } as StepEvent<A>);
    let value: T;
    try {
      value = await fn();
    } catch (thrown) {
      const e = typedQueryError(thrown, name);
      const aborted = this.options.signal?.aborted === true || e instanceof AbortedError;
      if (!aborted && e instanceof OperationFailedError) {
        const step = this.push({ name, status: judgedStatus, detail: e.message, durationMs: durationSince(t0) });
        if (judgedStatus === "failed") this.failure ??= { step: name, code: e.code, message: e.message, details: e.details };
        return { ok: false, step, error: e };
      }
      this.push({ name, status: "failed", detail: aborted ? "aborted" : messageOf(e), durationMs: durationSince(t0) });
      if (aborted) throw e instanceof AbortedError ? e : new AbortedError(`${this.area} aborted during ${name}`, { cause: e });
      throw e;
    }
    const detail = describe?.(value);
    const step = this.push({ name, status: "ok", ...(detail ? { detail } : {}), durationMs: durationSince(t0) });
    return { ok: true, value, step };
  }

  /**
   * Like {@link run}, but returns the value itself: a judged failure is rethrown (already recorded), for the
   * operation's boundary to turn into `ok: false` with {@link judged}. Keeps long operations linear.
   */
  async must<T>(name: string, fn: () => Promise<T>, describe?: (value: T) => string | undefined): Promise<T> {
    const outcome = await this.run(name, fn, describe);
    if (!outcome.ok) throw outcome.error;
    return outcome.value;
  }

  /**
   * True when `e` is the judged failure of a recorded step: the operation then returns `ok: false` rather than
   * throwing. Anything else (usage, environment, abort, bugs) is for the caller to rethrow.
   *
   * @example catch (e) { if (steps.judged(e)) return report(false); throw e; }
   */
  judged(e: unknown): boolean {
    return e instanceof OperationFailedError && !(this.options.signal?.aborted ?? false) && this.failed !== undefined;
  }

  /** Records a step that did not run, and why. */
  skip(name: string, detail: string): Check {
    return this.push({ name, status: "skipped", detail });
  }

  /** Records a judged failure found without running a step through {@link run} (e.g. a verification's verdict). */
  fail(name: string, detail: string, durationMs?: number): Check {
    return this.push({ name, status: "failed", detail, ...(durationMs === undefined ? {} : { durationMs }) });
  }

  /** Records a step whose outcome was decided elsewhere (a nested report's verdict). */
  record(check: Check): Check {
    return this.push({ ...check });
  }

  /** True while no step failed. */
  get ok(): boolean {
    return this.steps.every((s) => s.status !== "failed");
  }

  /** The first failed step, if any. */
  get failed(): Check | undefined {
    return this.steps.find((s) => s.status === "failed");
  }

  private push(step: Check): Check {
    this.steps.push(step);
    this.emit({ type: `${this.area}:step`, step } as StepEvent<A>);
    return step;
  }

  private emit(event: StepEvent<A>): void {
    this.options.onEvent?.(event);
  }
}

function messageOf(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
