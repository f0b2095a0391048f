/**
 * Every progress event a primitive of @odoo-deploy/core emits, as one union keyed by `type`, so that a
 * consumer (the CLI's renderers) can be checked by the compiler for covering each case. A primitive that
 * gains events adds its union here.
 */
import type { BackupEvent, RestoreEvent } from "./backup/types.js";
import type { InspectEvent } from "./db/inspect.js";
import type { DeployEvent } from "./deploy/types.js";
import type { HealthEvent } from "./health/index.js";
import type { MigrateEvent } from "./migrate/migrate.js";
import type { NeutralizeEvent } from "./neutralize/index.js";
import type { PlanEvent } from "./plan/plan-deploy.js";

/**
 * The union of the events of every primitive of this package.
 *
 * @example const onEvent = (e: CoreEvent) => { if (e.type === "backup:progress") console.error(e.bytes); };
 */
export type CoreEvent = InspectEvent | PlanEvent | BackupEvent | RestoreEvent | MigrateEvent | HealthEvent | NeutralizeEvent | DeployEvent;
