// The core's lowest layer: the pipeline config, its defaults and choices, and reading config files.
export * from "./config-error.js";
export * from "./deploy-strategies.js";
export * from "./health-contracts.js";
export * from "./pipeline-config.js";
export * from "./pipeline-settings.js";
export * from "./read-config.js";
export * from "./read-pipeline-config.js";
