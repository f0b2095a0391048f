/**
 * The version Odoo stores in `ir_module_module.latest_version` for a manifest version: the series is
 * prefixed unless the version already starts with it (`odoo.modules.module.adapt_version`). Manifests
 * without a version get Odoo's default `1.0`.
 *
 * @example adaptVersion("1.3", "16.0") // "16.0.1.3"
 * @example adaptVersion("16.0.1.2.0", "16.0") // "16.0.1.2.0"
 */
export function adaptVersion(manifestVersion: string | undefined, series: string): string {
  const v = manifestVersion ?? "1.0";
  return v === series || !v.startsWith(`${series}.`) ? `${series}.${v}` : v;
}

/** The Odoo series (`16.0`) of a `latest_version` such as `16.0.1.3`. */
export function seriesOf(version: string | null | undefined): string | undefined {
  return version?.match(/^(?:saas~)?(\d+\.\d+)/)?.[1];
}
