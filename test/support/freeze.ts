import { writeFileSync } from "node:fs";

/**
 * For child processes that a test kills at a chosen moment: an event handler that, at `when` — `start:<step>`
 * (the step's `<area>:step-start`), `end:<step>` (its `<area>:step`) or an event type — writes `marker` and blocks
 * the main thread, so nothing more happens until the kill.
 *
 * @example const onEvent = freezeAt("deploy", "end:migrate", markerFile);
 */
export function freezeAt(area: string, when: string, marker: string): (e: { type: string }) => void {
  const freeze = () => {
    writeFileSync(marker, String(process.pid));
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0);
  };
  return (e) => {
    const named = e as { type: string; name?: unknown; step?: { name?: unknown } };
    if (e.type === `${area}:step-start` && when === `start:${String(named.name)}`) freeze();
    if (e.type === `${area}:step` && when === `end:${String(named.step?.name)}`) freeze();
    if (e.type === when) freeze();
  };
}
