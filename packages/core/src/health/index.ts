export { waitForHealthy, type WaitForHealthyOptions, type HealthEvent, type HealthReport } from "./wait-for-healthy.js";
