// DORA metrics from the deployment history: one import for the host command and the Dagger function.
export * from "./bands.js";
export * from "./commit-times.js";
export * from "./history.js";
export * from "./metrics.js";
export * from "./read-history.js";
export * from "./render.js";
export * from "./run-dora.js";
export * from "./since.js";
