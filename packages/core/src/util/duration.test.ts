import { expect, test } from "vitest";
import { formatBytes, formatDuration, parseDuration } from "./duration.js";

test.each([
  ["500ms", 500],
  ["30s", 30_000],
  ["5m", 300_000],
  ["1h30m", 5_400_000],
  ["2d", 172_800_000],
  ["1500", 1500],
  ["1.5s", 1500],
])("parseDuration(%s) = %d", (text, ms) => {
  expect(parseDuration(text)).toBe(ms);
});

test.each(["", "5 minutes", "m5", "10x", "-3s", "5m garbage"])("parseDuration rejects %j", (text) => {
  expect(() => parseDuration(text)).toThrow(/invalid duration/);
});

test("formatting for people", () => {
  expect(formatDuration(850)).toBe("850ms");
  expect(formatDuration(12_340)).toBe("12.3s");
  expect(formatDuration(245_000)).toBe("4m05s");
  expect(formatBytes(512)).toBe("512 B");
  expect(formatBytes(1536)).toBe("1.5 KiB");
  expect(formatBytes(3 * 1024 ** 3)).toBe("3.0 GiB");
});
