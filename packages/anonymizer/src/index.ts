/**
 * @odoo-deploy/anonymizer — streaming, deterministic, fail-closed PostgreSQL anonymizer (issue 7; its API
 * lands here).
 */
export {};
