// The engine-neutral pipeline core: one import for the host runner and the Dagger module.
export * from "./affected.js";
export * from "./affected-ci.js";
export * from "./command-change-probe.js";
export * from "./coverage.js";
export * from "./critical-path.js";
export * from "./graph.js";
export * from "./repo-reader.js";
export * from "./reports/affected-report.js";
export * from "./reports/format.js";
export * from "./reports/graph-report.js";
export * from "./reports/run-report.js";
export * from "./scheduler.js";
export * from "./services/catalog.js";
export * from "./services/config-error.js";
export * from "./services/discover.js";
export * from "./steps.js";
