import { UsageError } from "../errors.js";

const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/**
 * Parses a duration with a unit (`500ms`, `30s`, `5m`, `1h30m`, `2d`) into milliseconds. A bare number is
 * milliseconds.
 *
 * @example parseDuration("5m") // 300000
 */
export function parseDuration(text: string | number): number {
  if (typeof text === "number") {
    if (!Number.isFinite(text) || text < 0) throw new UsageError(`invalid duration: ${text}`);
    return text;
  }
  const s = text.trim();
  if (/^\d+(\.\d+)?$/.test(s)) return Number(s);
  const re = /(\d+(?:\.\d+)?)(ms|s|m|h|d)/gy;
  let total = 0;
  let matched = 0;
  for (let m = re.exec(s); m; m = re.exec(s)) {
    total += Number(m[1]) * (UNITS[m[2]!] ?? 0);
    matched = re.lastIndex;
  }
  if (matched === 0 || matched !== s.length) {
    throw new UsageError(`invalid duration "${text}": use a number with a unit, e.g. 500ms, 30s, 5m, 1h`);
  }
  return total;
}

/**
 * Formats milliseconds for people: `850ms`, `12.3s`, `4m05s`.
 *
 * @example formatDuration(245000) // "4m05s"
 */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)}ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)}s`;
  const m = Math.floor(ms / 60_000);
  const s = Math.round((ms % 60_000) / 1000);
  return `${m}m${String(s).padStart(2, "0")}s`;
}

/**
 * Formats a byte count: `512 B`, `1.5 MiB`.
 *
 * @example formatBytes(1536) // "1.5 KiB"
 */
export function formatBytes(n: number): string {
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let v = n;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return i === 0 ? `${v} B` : `${v.toFixed(1)} ${units[i]}`;
}
