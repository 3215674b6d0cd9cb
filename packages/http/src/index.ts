export { type HealthBody, type HealthStatus, healthBody, healthResponse } from "./health-response";
export { jsonError } from "./json-error";
export { readLimitedBody } from "./read-limited-body";
