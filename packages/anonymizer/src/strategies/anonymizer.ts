import { OperationFailedError, UsageError } from "@odoo-deploy/core/base";
import { Draw } from "../accelerator/draw.js";
import { deriveKey, prfHash } from "../accelerator/prf.js";
import type { Hash64, PrfKey } from "../accelerator/siphash.js";
import type { ColumnRuleInput } from "../rules/schema.js";
import { detach, memoTransform, newMemo, promising, type ColumnTransform, type Memo, type MemoOptions, type RuleOf, type StrategyContext } from "./builder.js";
import { localeData, type LocaleData } from "./locale.js";
import { STRATEGIES } from "./registry.js";

/** Options of {@link Anonymizer}. */
export interface AnonymizerOptions {
  /** The secret keying every fake. Same secret → same fakes in every table and run. */
  secret: string;
  /** Default faker locale (default en). */
  locale?: string;
}

/**
 * Compiles column rules into fast transforms sharing one key, one set of memo caches and one counter, so the
 * same original gets the same fake wherever the same strategy meets it (res_partner.email and
 * crm_lead.email_from), in every run with the same secret.
 *
 * @example
 * const a = new Anonymizer({ secret: "s3cret" });
 * const t = a.compile("email");
 * t("john@example.com", emptyRow) === a.compile("email")("john@example.com", emptyRow) // true
 */
export class Anonymizer implements StrategyContext {
  readonly key: PrfKey;
  readonly locale: string;
  /** Values transformed (memo hits included), for throughput figures. */
  fakeValues = 0;
  private readonly memos = new Map<string, Memo>();
  private readonly draw = new Draw();

  constructor(options: AnonymizerOptions) {
    if (!options.secret) throw new UsageError("an anonymization secret is required", { code: "NO_SECRET" });
    this.key = deriveKey(options.secret);
    this.locale = options.locale ?? "en";
  }

  /**
   * Compiles a column rule. `unique` rules detect collisions between different originals and re-draw.
   *
   * @example const t = anonymizer.compile({ strategy: "mask", keepLast: 4 });
   */
  compile(rule: ColumnRuleInput): ColumnTransform {
    const r = (typeof rule === "string" ? { strategy: rule } : rule) as RuleOf<string>;
    const locale = "locale" in r && r.locale ? r.locale : this.locale;
    const t = (STRATEGIES[r.strategy] as (rule: RuleOf<string>, ctx: StrategyContext, locale: string) => ColumnTransform)(r, this, locale);
    return typeof rule === "object" && rule.unique ? this.uniqueOf(t, JSON.stringify(rule)) : t;
  }

  /** @internal A memo transform of `domain` (see builder.ts). */
  memo(domain: string, fn: (value: string, d: Draw) => string | null, options?: MemoOptions): ColumnTransform {
    let memo = this.memos.get(domain);
    if (!memo) {
      memo = newMemo(this.key, domain);
      this.memos.set(domain, memo);
    }
    return memoTransform(this, memo, this.draw, fn, options);
  }

  /** @internal */
  data(locale: string): LocaleData {
    return localeData(locale);
  }

  private uniqueOf(t: ColumnTransform, domain: string): ColumnTransform {
    // output → a 53-bit keyed hash of the original that owns it (not the original: less memory, no chunk kept)
    const seen = new Map<string, number>();
    const key = this.key;
    const h: Hash64 = { lo: 0, hi: 0 };
    // Re-draws call `t` again, so its promise holds (the suffix added to the value is ASCII).
    return promising((value, row) => {
      prfHash(key, value, h);
      const owner = h.lo + (h.hi & 0x1fffff) * 4294967296;
      let out = t(value, row);
      for (let n = 1; out !== null; n++) {
        const taken = seen.get(out);
        if (taken === undefined || taken === owner) break;
        if (n > 20) throw new OperationFailedError(`unique strategy ${domain}: cannot find a free value`, { code: "UNIQUE_EXHAUSTED" });
        out = t(`${value}\u0001${n}`, row);
      }
      if (out !== null) seen.set(detach(out), owner);
      return out;
    }, t.charset);
  }
}
