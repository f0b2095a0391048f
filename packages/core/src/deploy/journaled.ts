/**
 * Steps recorded in the deploy journal as they run: the entry names the step before it starts and holds its
 * outcome once it ends, so a crash at any moment leaves an entry that says what was under way.
 */
import type { Check } from "../report.js";
import { StepRecorder, type StepEvent } from "../steps.js";
import type { DeployJournal, DeployJournalEntry } from "./journal.js";
import type { DeployEvent } from "./types.js";

/** A StepRecorder whose every step is written to the journal entry (`steps`, or `rollback.steps`). */
export class JournaledSteps<A extends "deploy" | "rollback"> {
  readonly recorder: StepRecorder<A>;

  constructor(
    area: A,
    /** Set once the run holds the deploy lock: before that nothing is written. */
    public journal: DeployJournal | undefined,
    private readonly entry: DeployJournalEntry,
    onEvent: ((e: DeployEvent) => void) | undefined,
    signal: AbortSignal | undefined,
  ) {
    this.recorder = new StepRecorder<A>(area, { ...(onEvent ? { onEvent: onEvent as (e: StepEvent<A>) => void } : {}), ...(signal ? { signal } : {}) });
  }

  get steps(): Check[] {
    return this.recorder.steps;
  }

  /** Runs a step: journal says it started, then holds its outcome. A judged failure is rethrown (see `must`). */
  async must<T>(name: string, fn: () => Promise<T>, describe?: (value: T) => string | undefined): Promise<T> {
    this.current = { name, startedAt: new Date().toISOString() };
    await this.save();
    try {
      return await this.recorder.must(name, fn, describe);
    } finally {
      this.current = undefined;
      await this.save();
    }
  }

  /** A step whose judged failure is recorded `skipped` with the reason (see StepRecorder.optional). */
  async optional<T>(name: string, fn: () => Promise<T>, describe?: (value: T) => string | undefined): Promise<T | undefined> {
    this.current = { name, startedAt: new Date().toISOString() };
    await this.save();
    try {
      return await this.recorder.optional(name, fn, describe);
    } finally {
      this.current = undefined;
      await this.save();
    }
  }

  skip(name: string, detail: string): Promise<void> {
    this.recorder.skip(name, detail);
    return this.save();
  }

  record(check: Check): Promise<void> {
    this.recorder.record(check);
    return this.save();
  }

  /** Writes the entry with this recorder's steps in their place. */
  async save(): Promise<void> {
    if (this.recorder.area === "deploy") this.entry.steps = [...this.recorder.steps];
    else this.entry.rollback = { reason: this.entry.rollback?.reason ?? "", ...this.entry.rollback, steps: [...this.recorder.steps] };
    await this.journal?.save(this.entry);
  }

  /** The step under way: the deploy's in `current`, the rollback's in `rollback.current`. */
  private set current(value: { name: string; startedAt: string } | undefined) {
    if (this.recorder.area === "deploy") this.entry.current = value;
    else this.entry.rollback = { reason: this.entry.rollback?.reason ?? "", steps: this.entry.rollback?.steps ?? [], ...this.entry.rollback, current: value };
  }
}

/** Whether a step of the entry's deploy began (it is recorded, or it was under way when the run ended). */
export function began(entry: DeployJournalEntry, name: string): boolean {
  return entry.steps.some((s) => s.name === name) || entry.current?.name === name;
}

/** Whether a step of the entry's deploy completed ok. */
export function succeeded(entry: DeployJournalEntry, name: string): boolean {
  return entry.steps.some((s) => s.name === name && s.status === "ok");
}
