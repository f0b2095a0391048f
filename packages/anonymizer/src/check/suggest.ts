import type { ColumnInfo } from "../engine/catalog.js";

const HEURISTICS: [RegExp, string, string][] = [
  [/(^|_)(password|passwd|pwd|secret|token|api_?key|totp|otp|salt|private_?key)(_|$)/, "null", "a secret"],
  [/e_?mail|email_(from|to|cc)|reply_to/, "email", "an e-mail address"],
  [/phone|mobile|fax|(^|_)tel(_|$)|gsm/, "phone", "a phone number"],
  [/(^|_)(iban|acc_number|account_number|bic|swift|card_number|ssn|ssnid|sinid|passport|identification|permit_no|visa_no|vat|tax_id|company_registry)(_|$)/, "{ strategy: mask, keepLast: 2 }", "an identifier"],
  [/(^|_)(first_?name|given_name)(_|$)/, "first_name", "a first name"],
  [/(^|_)(last_?name|surname|family_name)(_|$)/, "last_name", "a last name"],
  [/(^|_)(company_name|commercial_company_name)(_|$)/, "company", "a company name"],
  [/(^|_)(name|display_name|complete_name|contact_name|partner_name|full_name|holder|acc_holder_name|common_name|spouse.*)(_|$)/, "name", "a person's name"],
  [/street2|address2|secondary/, "street2", "an address line"],
  [/street|address|(^|_)addr(_|$)/, "street", "an address"],
  [/(^|_)city(_|$)|town/, "city", "a city"],
  [/(^|_)(zip|postcode|postal_code)(_|$)/, "zip", "a postal code"],
  [/birth|(^|_)dob(_|$)/, "{ strategy: noise, days: 180 }", "a birth date"],
  [/(^|_)(body|body_html|comment|signature|html|description|note|notes|message|content)(_|$)/, "html", "free text that may hold personal data"],
  [/(^|_)(ip|ip_address|remote_addr|user_agent|latitude|longitude)(_|$)/, "null", "tracking data"],
  [/(^|_)(login|username|user_name)(_|$)/, "{ strategy: email, unique: true }", "a login"],
  [/(^|_)(url|website)(_|$)/, "{ strategy: constant, value: \"https://example.com\" }", "a URL"],
];

/**
 * A suggested rule for a column no rule covers, from its name and type: the YAML value to write and why.
 *
 * @example suggestRule({ name: "email_from", type: "character varying", category: "S" }, "crm_lead") // { rule: "email", reason: "an e-mail address" }
 */
export function suggestRule(column: Pick<ColumnInfo, "name" | "type" | "category">, table = ""): { rule: string; reason: string } {
  const name = column.name.toLowerCase();
  if (/key|token|secret|credential|password/.test(table.toLowerCase()) && /(^|_)(key|value|code|hash)$/.test(name)) {
    return { rule: "null", reason: "a secret (in a table of keys or tokens)" };
  }
  for (const [re, rule, reason] of HEURISTICS) if (re.test(name)) return { rule, reason };
  if (column.type === "jsonb" || column.type === "json") return { rule: "{ strategy: jsonb, each: lorem }", reason: "structured data; review it" };
  if (column.type === "bytea") return { rule: "null", reason: "binary data; review it" };
  return { rule: "keep", reason: "no personal data recognised from the name: review before keeping" };
}
