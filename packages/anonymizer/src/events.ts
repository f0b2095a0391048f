/**
 * Every progress event a primitive of @odoo-deploy/anonymizer emits, as one union keyed by `type` (the
 * database engine and the stream filter share `anonymize:progress` and `anonymize:table`, with their own
 * fields; the staging refresh has its own `refresh:*` events).
 */
import type { CheckEvent } from "./check/check.js";
import type { AnonymizeEvent } from "./engine/database.js";
import type { RefreshEvent } from "./refresh/types.js";
import type { StreamEvent } from "./stream/filter.js";
import type { VerifyEvent } from "./verify/verify.js";

/**
 * The union of the events of every primitive of this package.
 *
 * @example const onEvent = (e: AnonymizerEvent) => { if (e.type === "anonymize:table") console.error(e.table); };
 */
export type AnonymizerEvent = CheckEvent | AnonymizeEvent | StreamEvent | VerifyEvent | RefreshEvent;
