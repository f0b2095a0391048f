/**
 * The tables `odoo-bin -i base` creates, with the columns of the series played (see ../shared/odoo16-lab,
 * odoo17-lab and odoo18-lab `schema.sql`), and the base records the double relies on (the autovacuum cron, the
 * admin user, en_US, base.view_partner_form). Only the tables odoo-deploy reads or writes are created;
 * fetchmail_server is created with base here (in Odoo 16–18 it belongs to the mail module) so every database the
 * double initialises has it. What differs between the series: `ir_cron.cron_name` is jsonb in 16 and varchar in
 * 17 and 18, 18 dropped `numbercall`/`doall` and added failure counters; 17 and 18 let `ir_mail_server` hold no
 * host and port (18 adds `max_email_size`); `ir_module_module` gained `module_type`/`imported`; res_partner's
 * stored name is `display_name` in 16, `complete_name` in 17 and 18; 17 and 18 have webhooks in `ir_act_server`.
 */
import { VERSION, type Series } from "./version.js";

const CRON_16 = `id serial PRIMARY KEY, ir_actions_server_id integer NOT NULL, user_id integer NOT NULL, interval_number integer,
  numbercall integer, priority integer, create_uid integer, write_uid integer, interval_type varchar,
  cron_name jsonb, active boolean, doall boolean, nextcall timestamp NOT NULL, lastcall timestamp,
  create_date timestamp, write_date timestamp`;
const CRON_17 = `id serial PRIMARY KEY, ir_actions_server_id integer NOT NULL, user_id integer NOT NULL, interval_number integer,
  numbercall integer, priority integer, create_uid integer, write_uid integer, cron_name varchar, interval_type varchar,
  active boolean, doall boolean, nextcall timestamp NOT NULL, lastcall timestamp, create_date timestamp, write_date timestamp`;
const CRON_18 = `id serial PRIMARY KEY, ir_actions_server_id integer NOT NULL, user_id integer NOT NULL, interval_number integer NOT NULL,
  priority integer, failure_count integer, create_uid integer, write_uid integer, cron_name varchar, interval_type varchar NOT NULL,
  active boolean, nextcall timestamp NOT NULL, lastcall timestamp, first_failure_date timestamp, create_date timestamp,
  write_date timestamp, CONSTRAINT ir_cron_check_strictly_positive_interval CHECK (interval_number > 0)`;

/** The schema and base records of `-i base` for a series. */
export function baseSchemaSql(series: Series = VERSION.series): string {
  const v16 = series === "16.0";
  const v18 = series === "18.0";
  const cronName = (n: string) => (v16 ? `'{"en_US": "${n}"}'` : `'${n}'`);
  const jobs = ["Base: Auto-vacuum internal data", "Base: Portal Users Deletion"];
  const crons = v18
    ? `INSERT INTO ir_cron (id, ir_actions_server_id, user_id, interval_number, priority, interval_type, cron_name, active, nextcall, failure_count) VALUES
${jobs.map((n, i) => `  (${i + 1}, ${i + 1}, 1, 1, 5, 'days', ${cronName(n)}, true, now() AT TIME ZONE 'UTC', 0)`).join(",\n")};`
    : `INSERT INTO ir_cron (id, ir_actions_server_id, user_id, interval_number, numbercall, priority, interval_type, cron_name, active, doall, nextcall) VALUES
${jobs.map((n, i) => `  (${i + 1}, ${i + 1}, 1, 1, -1, 5, 'days', ${cronName(n)}, true, false, now() AT TIME ZONE 'UTC')`).join(",\n")};`;
  const fill: Record<string, string> = {
    IR_MODULE_MODULE_17: v16 ? "" : "module_type varchar, imported boolean,",
    IR_CRON: v16 ? CRON_16 : v18 ? CRON_18 : CRON_17,
    IR_ACT_SERVER: v16 ? "" : "CREATE TABLE ir_act_server (id serial PRIMARY KEY, name jsonb NOT NULL, type varchar NOT NULL, state varchar NOT NULL, webhook_url varchar);",
    SMTP_NOT_NULL: v16 ? " NOT NULL" : "",
    MAX_EMAIL_SIZE: v18 ? "max_email_size double precision, " : "",
    PARTNER_NAME: v16 ? "display_name" : "complete_name",
    CRONS: crons,
  };
  return BASE_SCHEMA_SQL.replace(/%([A-Z_0-9]+)%/g, (_, k: string) => fill[k]!);
}

const BASE_SCHEMA_SQL = `
CREATE TABLE ir_module_category (
  id serial PRIMARY KEY, create_uid integer, create_date timestamp, write_date timestamp, write_uid integer,
  parent_id integer, name jsonb NOT NULL, sequence integer, description jsonb, visible boolean, exclusive boolean);
CREATE TABLE ir_module_module (
  id serial PRIMARY KEY, create_uid integer, create_date timestamp, write_date timestamp, write_uid integer,
  website varchar, summary jsonb, name varchar NOT NULL, author varchar, icon varchar, state varchar(16),
  latest_version varchar, shortdesc jsonb, category_id integer, description jsonb, application boolean DEFAULT false,
  demo boolean DEFAULT false, web boolean DEFAULT false, license varchar(32), sequence integer DEFAULT 100,
  auto_install boolean DEFAULT false, to_buy boolean DEFAULT false, maintainer varchar, published_version varchar,
  url varchar, contributors text, menus_by_module text, reports_by_module text, views_by_module text,
  %IR_MODULE_MODULE_17% CONSTRAINT name_uniq UNIQUE (name));
CREATE TABLE ir_module_module_dependency (
  id serial PRIMARY KEY, name varchar, module_id integer REFERENCES ir_module_module(id) ON DELETE CASCADE,
  auto_install_required boolean DEFAULT true);
CREATE TABLE ir_model_data (
  id serial PRIMARY KEY, create_uid integer, create_date timestamp DEFAULT (now() AT TIME ZONE 'UTC'),
  write_date timestamp DEFAULT (now() AT TIME ZONE 'UTC'), write_uid integer, res_id integer,
  noupdate boolean DEFAULT false, name varchar NOT NULL, module varchar NOT NULL, model varchar NOT NULL,
  CONSTRAINT ir_model_data_module_name_uniq_index UNIQUE (module, name));
CREATE TABLE ir_config_parameter (
  id serial PRIMARY KEY, create_uid integer, write_uid integer, key varchar NOT NULL, value text NOT NULL,
  create_date timestamp, write_date timestamp, CONSTRAINT ir_config_parameter_key_uniq UNIQUE (key));
CREATE TABLE ir_cron (
  %IR_CRON%);
%IR_ACT_SERVER%
CREATE TABLE ir_mail_server (
  id serial PRIMARY KEY, smtp_port integer%SMTP_NOT_NULL%, sequence integer, create_uid integer, write_uid integer,
  name varchar NOT NULL, from_filter varchar, smtp_host varchar%SMTP_NOT_NULL%, smtp_authentication varchar NOT NULL,
  smtp_user varchar, smtp_pass varchar, smtp_encryption varchar NOT NULL, smtp_debug boolean, active boolean,
  create_date timestamp, write_date timestamp, %MAX_EMAIL_SIZE%smtp_ssl_certificate bytea, smtp_ssl_private_key bytea);
CREATE TABLE fetchmail_server (
  id serial PRIMARY KEY, port integer, object_id integer, priority integer, create_uid integer, write_uid integer,
  name varchar NOT NULL, state varchar, server varchar, server_type varchar NOT NULL, "user" varchar,
  password varchar, script varchar, configuration text, active boolean, is_ssl boolean, attach boolean,
  original boolean, date timestamp, create_date timestamp, write_date timestamp);
CREATE TABLE res_lang (
  id serial PRIMARY KEY, create_uid integer, write_uid integer, name varchar NOT NULL, code varchar NOT NULL,
  iso_code varchar, url_code varchar NOT NULL, direction varchar NOT NULL, date_format varchar NOT NULL,
  time_format varchar NOT NULL, week_start varchar NOT NULL, "grouping" varchar NOT NULL,
  decimal_point varchar NOT NULL, thousands_sep varchar, active boolean, create_date timestamp, write_date timestamp);
CREATE TABLE res_company (id serial PRIMARY KEY, name varchar NOT NULL, partner_id integer, email varchar,
  phone varchar, active boolean DEFAULT true, create_date timestamp, write_date timestamp);
CREATE TABLE res_partner (id serial PRIMARY KEY, name varchar, %PARTNER_NAME% varchar, company_id integer,
  email varchar, phone varchar, mobile varchar, street varchar, city varchar, zip varchar, vat varchar,
  ref varchar, comment text, active boolean DEFAULT true, is_company boolean DEFAULT false,
  create_date timestamp, write_date timestamp);
CREATE TABLE res_users (id serial PRIMARY KEY, login varchar NOT NULL UNIQUE, password varchar,
  partner_id integer NOT NULL, company_id integer NOT NULL, active boolean DEFAULT true, share boolean,
  create_date timestamp, write_date timestamp);
CREATE TABLE ir_ui_view (id serial PRIMARY KEY, name varchar NOT NULL, model varchar, key varchar,
  type varchar, arch_db text, inherit_id integer, priority integer DEFAULT 16, active boolean DEFAULT true,
  mode varchar DEFAULT 'primary', create_date timestamp, write_date timestamp);

INSERT INTO res_lang (name, code, iso_code, url_code, direction, date_format, time_format, week_start, "grouping",
  decimal_point, thousands_sep, active)
  VALUES ('English (US)', 'en_US', 'en', 'en', 'ltr', '%m/%d/%Y', '%H:%M:%S', '7', '[3,0]', '.', ',', true);
INSERT INTO res_partner (id, name, %PARTNER_NAME%, is_company, email) VALUES
  (1, 'My Company', 'My Company', true, 'info@yourcompany.com'),
  (2, 'OdooBot', 'OdooBot', false, 'odoobot@example.com'),
  (3, 'Administrator', 'Administrator', false, 'admin@example.com');
SELECT setval('res_partner_id_seq', 3);
INSERT INTO res_company (id, name, partner_id) VALUES (1, 'My Company', 1);
INSERT INTO res_users (id, login, password, partner_id, company_id, active, share) VALUES
  (1, '__system__', NULL, 2, 1, false, false), (2, 'admin', 'admin', 3, 1, true, false);
SELECT setval('res_users_id_seq', 2);
%CRONS%
SELECT setval('ir_cron_id_seq', 2);
INSERT INTO ir_ui_view (id, name, model, key, type, arch_db, active) VALUES
  (1, 'res.partner.form', 'res.partner', NULL, 'form', '<form/>', true);
SELECT setval('ir_ui_view_id_seq', 1);
INSERT INTO ir_model_data (name, module, model, res_id, noupdate) VALUES
  ('autovacuum_job', 'base', 'ir.cron', 1, true),
  ('ir_cron_res_users_deletion', 'base', 'ir.cron', 2, true),
  ('main_partner', 'base', 'res.partner', 1, true),
  ('partner_root', 'base', 'res.partner', 2, true),
  ('partner_admin', 'base', 'res.partner', 3, true),
  ('main_company', 'base', 'res.company', 1, true),
  ('user_root', 'base', 'res.users', 1, true),
  ('user_admin', 'base', 'res.users', 2, true),
  ('lang_en', 'base', 'res.lang', 1, true),
  ('view_partner_form', 'base', 'ir.ui.view', 1, false);
INSERT INTO ir_config_parameter (key, value, create_date, write_date) VALUES
  ('database.secret', md5(random()::text), now() AT TIME ZONE 'UTC', now() AT TIME ZONE 'UTC'),
  ('database.uuid', gen_random_uuid()::text, now() AT TIME ZONE 'UTC', now() AT TIME ZONE 'UTC'),
  ('database.create_date', to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS'), now() AT TIME ZONE 'UTC', now() AT TIME ZONE 'UTC'),
  ('web.base.url', 'http://localhost:8069', now() AT TIME ZONE 'UTC', now() AT TIME ZONE 'UTC');
`;
