export { neutralizeDatabase, type NeutralizeDatabaseOptions, type NeutralizeEvent, type NeutralizeReport } from "./neutralize-database.js";
