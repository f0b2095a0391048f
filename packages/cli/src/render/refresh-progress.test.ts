import { expect, test } from "vitest";
import { renderEvent } from "./events.js";
import { HumanOutput } from "./human.js";

test("without phase-wide events the overall line sums the tables, finished ones included; rates measured when not given", async () => {
  let text = "";
  const out = new HumanOutput({ write: (s: string) => (text += s), isTTY: true, columns: 200 }, { NO_COLOR: "1" }, (s) => s);
  renderEvent({ type: "refresh:step-start", name: "copy" }, out, false);
  renderEvent({ type: "refresh:progress", phase: "copy", done: 5000, total: 5000, unit: "rows", table: "res_users" }, out, false);
  renderEvent({ type: "refresh:progress", phase: "copy", done: 0, total: 90_000, unit: "rows", table: "res_partner" }, out, false);
  await new Promise((r) => setTimeout(r, 1100)); // a rate needs a second of history
  renderEvent({ type: "refresh:progress", phase: "copy", done: 30_000, total: 90_000, unit: "rows", table: "res_partner" }, out, false);
  const frame = text.slice(text.lastIndexOf("refresh: copy"));
  const [overall, partner, more] = frame.split("\n");
  expect(overall).toMatch(/^refresh: copy {2}\s{22}\s+35,000 rows {2}\d{2},\d{3} rows\/s {2}\(1 table done\)$/);
  expect(partner).toMatch(/^ {2}res_partner {2}\[#{7}-{13}\] {2}33% {2}30,000 of 90,000 rows {2}\d{2},\d{3} rows\/s {2}ETA \d/);
  expect(more).toBeUndefined();
  // Lines that are not progress clear the block first (cursor up one line, erase below).
  out.line("done");
  expect(text.endsWith("\x1b[1A\r\x1b[Jdone\n")).toBe(true);
});
