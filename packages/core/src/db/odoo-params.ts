import type { Queryable } from "./connection.js";

/** ir_config_parameter key holding the git revision last deployed by odoo-deploy (CONVENTIONS.md). */
export const DEPLOYED_REVISION_KEY = "odoo_deploy.deployed_revision";
/** ir_config_parameter key holding the image (or revision, without one) the database was last deployed with (CONVENTIONS.md). */
export const DEPLOYED_IMAGE_KEY = "odoo_deploy.deployed_image";
/** ir_config_parameter key of click-odoo-update's per-module checksums (ODOO-FACTS.md). */
export const INSTALLED_CHECKSUMS_KEY = "module_auto_update.installed_checksums";

/**
 * Reads one `ir_config_parameter` value; `undefined` when absent.
 *
 * @example const rev = await getConfigParameter(client, DEPLOYED_REVISION_KEY);
 */
export async function getConfigParameter(db: Queryable, key: string): Promise<string | undefined> {
  const r = await db.query<{ value: string }>("SELECT value FROM ir_config_parameter WHERE key = $1", [key]);
  return r.rows[0]?.value;
}

/**
 * Inserts or updates one `ir_config_parameter` value, the way Odoo's `set_param` would (audit columns set).
 *
 * @example await setConfigParameter(client, DEPLOYED_REVISION_KEY, "3f2c1e0");
 */
export async function setConfigParameter(db: Queryable, key: string, value: string): Promise<void> {
  const updated = await db.query(
    "UPDATE ir_config_parameter SET value = $2, write_date = now() AT TIME ZONE 'UTC' WHERE key = $1",
    [key, value],
  );
  if (updated.rowCount === 0) {
    await db.query(
      `INSERT INTO ir_config_parameter (key, value, create_date, write_date)
       VALUES ($1, $2, now() AT TIME ZONE 'UTC', now() AT TIME ZONE 'UTC')`,
      [key, value],
    );
  }
}
