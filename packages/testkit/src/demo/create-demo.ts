import { createHash } from "node:crypto";
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import pg from "pg";
import { odooDemoSql } from "./odoo-demo-schema.js";

/** Options of {@link createOdooDemoDatabase}. */
export interface OdooDemoOptions {
  /** URL of the (existing, empty) database to fill. */
  url: string;
  /** Number of partners (default 2000); other tables scale with it. */
  partners?: number;
  /**
   * Odoo data_dir-style filestore directory for this database (`<data_dir>/filestore/<db>`); when given,
   * attachments are stored there as Odoo does (`<2 hex>/<sha1>`), else none are created.
   */
  filestoreDir?: string;
  /** Number of attachments (default 40). */
  attachments?: number;
}

/**
 * Fills an empty database with the Odoo-shaped demo data, and optionally its filestore.
 *
 * @example
 * await cluster.createDatabase("demo");
 * await createOdooDemoDatabase({ url: cluster.url("demo"), filestoreDir: "/tmp/data/filestore/demo" });
 */
export async function createOdooDemoDatabase(options: OdooDemoOptions): Promise<{ partners: number; attachments: number }> {
  const partners = options.partners ?? 2000;
  const client = new pg.Client({ connectionString: options.url });
  await client.connect();
  try {
    await client.query(odooDemoSql({ partners }));
    let attachments = 0;
    if (options.filestoreDir) {
      const count = options.attachments ?? 40;
      for (let i = 1; i <= count; i++) {
        const text = `Quotation Q${String(i).padStart(4, "0")} for partner ${i * 10 + 2}\nTotal: ${i * 125} EUR\n`;
        const content = Buffer.from(text);
        const sha1 = createHash("sha1").update(content).digest("hex");
        const rel = `${sha1.slice(0, 2)}/${sha1}`;
        mkdirSync(path.join(options.filestoreDir, sha1.slice(0, 2)), { recursive: true });
        writeFileSync(path.join(options.filestoreDir, rel), content);
        await client.query(
          `INSERT INTO ir_attachment (res_id, res_model, name, type, store_fname, checksum, file_size, mimetype, index_content, public, create_date, write_date)
           VALUES ($1, 'res.partner', $2, 'binary', $3, $4, $5, 'text/plain', $6, false, now(), now())`,
          [i * 10 + 2, `quotation-${i}.txt`, rel, sha1, content.length, text],
        );
        attachments++;
      }
    }
    return { partners, attachments };
  } finally {
    await client.end();
  }
}
