/**
 * Which Odoo the double plays: `ODOO_DOUBLE_VERSION` = `16.0` (default), `17.0`, `18.0`, or a nightly's version
 * string such as `17.0-20240709` (what ../shared/odoo17-lab ran). Everything that differs between the series
 * (log lines, HTTP answers, schema, neutralize SQL) is decided from here, as observed in
 * ../shared/odoo16-lab, odoo17-lab and odoo18-lab.
 */

/** A series the double plays. */
export type Series = "16.0" | "17.0" | "18.0";

/** The version the double plays. */
export interface OdooVersion {
  /** As Odoo prints it (`Odoo version 17.0-20240709`, `server_version`). */
  server: string;
  series: Series;
  major: 16 | 17 | 18;
}

/**
 * Parses a version string; anything but 16.0, 17.0, 18.0 (optionally `-YYYYMMDD`) is refused.
 *
 * @example odooVersion("17.0-20240709") // { server: "17.0-20240709", series: "17.0", major: 17 }
 */
export function odooVersion(raw = process.env.ODOO_DOUBLE_VERSION ?? "16.0"): OdooVersion {
  const m = /^(16|17|18)\.0(?:-\d{8})?$/.exec(raw);
  if (!m) throw new Error(`ODOO_DOUBLE_VERSION=${raw}: the double plays 16.0, 17.0 or 18.0 (optionally a nightly such as 17.0-20240709)`);
  return { server: raw, series: `${m[1]}.0` as Series, major: Number(m[1]) as 16 | 17 | 18 };
}

/** The version of this process (read once). */
export const VERSION = odooVersion();
