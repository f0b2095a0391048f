// (Over 300 lines: the preset is one table of Odoo's personal columns, model by model, meant to be read whole.)
import type { ColumnRuleInput, OdooPresetOptions, RulesFileInput, TableRuleInput } from "../rules/schema.js";
import { ODOO16_TEXT_COLUMNS } from "./odoo16-columns.js";
import { ODOO17_TEXT_COLUMNS } from "./odoo17-columns.js";
import { ODOO18_TEXT_COLUMNS } from "./odoo18-columns.js";

/**
 * `preset: odoo` — personal data and secrets of Odoo 16.0–18.0 (../shared/ODOO-FACTS.md "Where personal data
 * lives"), plus every other text column of the standard tables of 16, 17 and 18 classified `keep`, so `check`
 * passes on a stock database of any of them and fails on columns added by other modules. What it changes, keeps and why: README.md of this
 * package ("The Odoo preset").
 */

const NAME: ColumnRuleInput = "name";
const EMAIL: ColumnRuleInput = "email";
const PHONE: ColumnRuleInput = "phone";
const TOKEN: ColumnRuleInput = "uuid"; // access tokens: a fresh, unguessable value (NOT NULL-safe), never the original
const SECRET: ColumnRuleInput = "null";
const TEXT: ColumnRuleInput = "lorem";
const HTML: ColumnRuleInput = "html";
const ID: ColumnRuleInput = { strategy: "hash", length: 12 };
const WEBSITE: ColumnRuleInput = { strategy: "constant", value: "https://www.example.com" };
const ADDRESS = { street: "street", street2: "street2", zip: "zip", city: "city" } satisfies Record<string, ColumnRuleInput>;

/** Personal or secret columns by table. Columns that do not exist in a version are simply not matched. */
function personalRules(o: Required<OdooPresetOptions>): Record<string, TableRuleInput> {
  const password: ColumnRuleInput = { strategy: "constant", value: o.password };
  const login: ColumnRuleInput = o.keepAdminLogin
    ? { strategy: "switch", column: "id", cases: { "2": "keep" }, default: { strategy: "email", unique: true } }
    : { strategy: "email", unique: true };
  const binary: ColumnRuleInput =
    o.keepAttachments === "all" ? "keep" : o.keepAttachments === "none" ? "null" : { strategy: "switch", column: "public", cases: { t: "keep" }, default: "null" };
  return {
    res_partner: {
      columns: {
        name: NAME,
        display_name: NAME, // stored up to 16.0
        complete_name: NAME, // 17.0+
        commercial_company_name: NAME,
        company_name: NAME,
        email: EMAIL,
        email_normalized: EMAIL,
        phone: PHONE,
        phone_sanitized: PHONE,
        mobile: PHONE,
        mobile_sanitized: PHONE,
        ...ADDRESS,
        vat: { strategy: "mask", keepFirst: 2 },
        company_registry: "mask",
        ref: ID,
        website: WEBSITE,
        function: { strategy: "fake", method: "person.jobTitle" },
        comment: HTML,
        additional_info: TEXT,
        invoice_warn_msg: TEXT,
        sale_warn_msg: TEXT,
        signup_token: SECRET,
        partner_latitude: "null",
        partner_longitude: "null",
        // lab_demo, the reference lab's custom module (../shared/odoo16-lab): a free-form code.
        x_lab_code: ID,
        // 18.0 stores it per company (jsonb keyed by company id).
        barcode: { strategy: "jsonb", each: ID },
      },
    },
    res_users: {
      columns: { login, password, signature: HTML, totp_secret: SECRET },
    },
    res_users_apikeys: { action: "truncate", cascade: true },
    res_users_apikeys_description: { action: "truncate", cascade: true },
    auth_totp_device: { action: "truncate", cascade: true },
    res_users_log: { action: "truncate", cascade: true },
    res_device: { action: "truncate", cascade: true }, // 18.0: IP addresses, user agents
    res_device_log: { action: "truncate", cascade: true },
    res_users_identitycheck: { action: "truncate", cascade: true },
    change_password_wizard: { action: "truncate", cascade: true },
    change_password_user: { action: "truncate", cascade: true },
    change_password_own: { action: "truncate", cascade: true },
    auth_totp_wizard: { action: "truncate", cascade: true },
    res_config_settings: { action: "truncate", cascade: true }, // transient; holds client secrets and tokens
    calendar_provider_config: { action: "truncate", cascade: true },
    payment_provider_onboarding_wizard: { action: "truncate", cascade: true },
    sale_payment_provider_onboarding_wizard: { action: "truncate", cascade: true },
    base_import_import: { action: "truncate", cascade: true }, // uploaded files
    mail_compose_message: { action: "truncate", cascade: true },
    mail_wizard_invite: { action: "truncate", cascade: true },
    sale_order_cancel: { action: "truncate", cascade: true },
    portal_wizard: { action: "truncate", cascade: true },
    portal_wizard_user: { action: "truncate", cascade: true },
    portal_share: { action: "truncate", cascade: true },
    privacy_lookup_wizard: { action: "truncate", cascade: true },
    privacy_lookup_wizard_line: { action: "truncate", cascade: true },
    crm_lead_lost: { action: "truncate", cascade: true },
    sms_composer: { action: "truncate", cascade: true },
    sms_resend_recipient: { action: "truncate", cascade: true },
    hr_departure_wizard: { action: "truncate", cascade: true },
    bus_bus: { action: "truncate", cascade: true }, // notifications with message payloads
    ir_logging: { action: "truncate", cascade: true },
    ir_profile: { action: "truncate", cascade: true },
    res_company: {
      columns: { email: EMAIL, phone: PHONE, mobile: PHONE, company_details: HTML, hr_presence_control_ip_list: "null" },
    },
    res_partner_bank: {
      columns: {
        acc_number: { strategy: "mask", keepFirst: 2, keepLast: 2 },
        sanitized_acc_number: { strategy: "mask", keepFirst: 2, keepLast: 2 },
        acc_holder_name: NAME,
        aba_routing: "mask",
      },
    },
    resource_resource: { columns: { name: NAME } },
    hr_employee: {
      columns: {
        name: NAME,
        work_phone: PHONE,
        mobile_phone: PHONE,
        work_email: EMAIL,
        private_email: EMAIL,
        private_phone: PHONE,
        private_street: "street",
        private_street2: "street2",
        private_city: "city",
        private_zip: "zip",
        spouse_complete_name: NAME,
        spouse_birthdate: { strategy: "noise", days: 365 },
        birthday: { strategy: "noise", days: 180 },
        place_of_birth: "city",
        ssnid: ID,
        sinid: ID,
        identification_id: ID,
        passport_id: ID,
        permit_no: ID,
        visa_no: ID,
        private_car_plate: ID,
        barcode: ID,
        pin: SECRET,
        emergency_contact: NAME,
        emergency_phone: PHONE,
        study_field: TEXT,
        study_school: TEXT,
        additional_note: TEXT,
        notes: TEXT,
        departure_description: HTML,
        employee_properties: { strategy: "jsonb", each: TEXT }, // 17.0+: custom fields HR defines per company
      },
    },
    // 17.0+: résumé lines (employers, schools, what was done there), translated jsonb.
    hr_resume_line: { columns: { name: { strategy: "jsonb", each: TEXT }, description: { strategy: "jsonb", each: HTML } } },
    crm_lead: {
      columns: {
        name: TEXT,
        contact_name: NAME,
        partner_name: NAME,
        email_from: EMAIL,
        email_normalized: EMAIL,
        email_cc: EMAIL,
        phone: PHONE,
        mobile: PHONE,
        phone_sanitized: PHONE,
        website: WEBSITE,
        ...ADDRESS,
        description: HTML,
        referred: NAME,
        lead_properties: { strategy: "jsonb", each: TEXT },
      },
    },
    mail_message: {
      columns: { subject: TEXT, body: HTML, email_from: EMAIL, reply_to: EMAIL, record_name: NAME },
    },
    mail_mail: {
      columns: { body_html: HTML, email_to: EMAIL, email_cc: EMAIL, headers: "null", failure_reason: TEXT },
    },
    mail_tracking_value: {
      // Earlier values of tracked fields (names, e-mails, phones, amounts as text).
      columns: { old_value_char: TEXT, new_value_char: TEXT, old_value_text: TEXT, new_value_text: TEXT },
    },
    mail_activity: { columns: { summary: TEXT, note: HTML, res_name: NAME } },
    mail_channel: { columns: { name: TEXT, description: TEXT } },
    // 17.0+: the channel's uuid is its invitation link; the SFU's session id a credential of the call server.
    discuss_channel: { columns: { name: TEXT, description: TEXT, uuid: TOKEN, sfu_channel_uuid: SECRET } },
    discuss_channel_member: { columns: { custom_channel_name: TEXT } },
    mail_message_translation: { columns: { body: HTML } }, // 17.0+: machine translations of message bodies
    mail_scheduled_message: { columns: { subject: TEXT, body: HTML } }, // 18.0: messages written, not sent yet
    // 17.0 / 18.0: web push subscriptions (endpoints and keys of people's browsers) and queued notifications.
    mail_partner_device: { action: "truncate", cascade: true },
    mail_notification_web_push: { action: "truncate", cascade: true },
    mail_push_device: { action: "truncate", cascade: true },
    mail_push: { action: "truncate", cascade: true },
    mail_activity_schedule: { action: "truncate", cascade: true }, // wizard
    base_import_module: { action: "truncate", cascade: true }, // uploaded module archives
    sms_account_code: { action: "truncate", cascade: true }, // 18.0 wizards: verification codes, phone numbers
    sms_account_phone: { action: "truncate", cascade: true },
    sms_account_sender: { action: "truncate", cascade: true },
    iap_account_info: { columns: { account_token: "hash", warning_email: EMAIL } }, // 17.0
    // Webhook URLs carry their credentials (17.0+); Odoo's neutralize disarms them too.
    ir_act_server: { columns: { webhook_url: SECRET } },
    mail_channel_member: { columns: { custom_channel_name: TEXT } },
    mail_guest: { columns: { name: NAME, access_token: TOKEN } },
    mail_blacklist: { columns: { email: EMAIL } },
    mail_blacklist_remove: { columns: { email: EMAIL, reason: TEXT } },
    mail_gateway_allowed: { columns: { email: EMAIL, email_normalized: EMAIL } },
    mail_ice_server: { columns: { username: SECRET, credential: SECRET } },
    mail_link_preview: { action: "truncate", cascade: true }, // a cache of previews of URLs people posted
    mail_notification: { columns: { failure_reason: TEXT, sms_number: PHONE } },
    calendar_attendee: { columns: { common_name: NAME, email: EMAIL, access_token: TOKEN } },
    calendar_event: { columns: { name: TEXT, location: TEXT, videocall_location: SECRET, description: HTML, access_token: TOKEN } },
    ir_attachment: {
      columns: { index_content: "null", description: TEXT, access_token: TOKEN, db_datas: binary, datas: binary },
    },
    ir_mail_server: {
      columns: {
        smtp_user: SECRET,
        smtp_pass: SECRET,
        smtp_ssl_certificate: SECRET,
        smtp_ssl_private_key: SECRET,
        google_gmail_authorization_code: SECRET,
        google_gmail_refresh_token: SECRET,
        google_gmail_access_token: SECRET,
        microsoft_outlook_refresh_token: SECRET,
        microsoft_outlook_access_token: SECRET,
      },
    },
    fetchmail_server: {
      columns: {
        user: SECRET,
        password: SECRET,
        google_gmail_authorization_code: SECRET,
        google_gmail_refresh_token: SECRET,
        google_gmail_access_token: SECRET,
        microsoft_outlook_refresh_token: SECRET,
        microsoft_outlook_access_token: SECRET,
      },
    },
    ir_config_parameter: {
      where: "key NOT IN ('database.enterprise_code')",
      columns: {
        value: {
          strategy: "switch",
          column: "key",
          cases: {
            "database.secret": "uuid",
            "database.uuid": "uuid",
            "*secret*": "hash",
            "*token*": "hash",
            "*password*": "hash",
            "*api_key*": "hash",
            "*apikey*": "hash",
          },
          default: "keep",
        },
      },
    },
    iap_account: { columns: { account_token: "hash" } },
    account_move: {
      columns: { invoice_partner_display_name: NAME, invoice_source_email: EMAIL, narration: HTML, access_token: TOKEN },
    },
    account_bank_statement_line: { columns: { partner_name: NAME, account_number: "mask", payment_ref: TEXT } },
    sale_order: { columns: { access_token: TOKEN, signed_by: NAME } },
    purchase_order: { columns: { access_token: TOKEN } },
    payment_provider: { columns: { "*secret*": SECRET, "*_key": SECRET, "*token*": SECRET, "*password*": SECRET } },
    payment_token: { columns: { payment_details: "mask", provider_ref: "hash" } },
    payment_transaction: {
      columns: {
        partner_name: NAME,
        partner_email: EMAIL,
        partner_phone: PHONE,
        partner_address: "street",
        partner_zip: "zip",
        partner_city: "city",
        callback_hash: SECRET,
        state_message: TEXT,
      },
    },
    phone_blacklist: { columns: { number: PHONE } },
    phone_blacklist_remove: { columns: { phone: PHONE, reason: TEXT } },
    sms_sms: { columns: { number: PHONE, body: TEXT } },
    snailmail_letter: { columns: { ...ADDRESS, info_msg: TEXT } },
    snailmail_letter_missing_required_fields: { columns: { ...ADDRESS } },
    privacy_log: { columns: { records_description: TEXT, additional_note: TEXT } },
    hr_department: { columns: { note: TEXT } },
    account_tour_upload_bill_email_confirm: { columns: { email_alias: "keep" } },
  };
}

/**
 * The Odoo preset's rules: personal and secret columns anonymized, the other text columns of the standard
 * tables kept.
 *
 * @example const rules = odooPreset({ name: "odoo", password: "staging" });
 */
export function odooPreset(options: OdooPresetOptions): Pick<RulesFileInput, "tables" | "columns" | "types"> {
  const o: Required<OdooPresetOptions> = {
    name: "odoo",
    password: options.password ?? "admin",
    keepAdminLogin: options.keepAdminLogin ?? true,
    keepAttachments: options.keepAttachments ?? "all",
  };
  const personal = personalRules(o);
  const tables: Record<string, TableRuleInput> = {};
  // The standard columns of every supported series: a column of any of them is known.
  const standard = new Map<string, Set<string>>();
  for (const list of [ODOO16_TEXT_COLUMNS, ODOO17_TEXT_COLUMNS, ODOO18_TEXT_COLUMNS]) {
    for (const [table, cols] of Object.entries(list)) {
      const set = standard.get(table) ?? new Set<string>();
      for (const c of cols.split(" ")) set.add(c);
      standard.set(table, set);
    }
  }
  for (const [table, cols] of standard) {
    const rule = personal[table];
    if (rule?.action && rule.action !== "copy") continue;
    const keep = Object.fromEntries([...cols].map((c) => [c, "keep" as ColumnRuleInput]));
    tables[table] = { ...rule, columns: { ...keep, ...rule?.columns } };
  }
  for (const [table, rule] of Object.entries(personal)) tables[table] ??= rule;
  return {
    tables,
    columns: {
      // Portal documents' access tokens (sale_order, account_move, …) in any module: secrets.
      access_token: TOKEN,
    },
  };
}
