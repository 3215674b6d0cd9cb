// The engine-neutral pipeline core: the one import for everything outside it (the host runner
// and CLI as `#core`, the Dagger module as `./core/index.js`, tests and scripts as `#core`).
// Layers, lowest first: config, services (discovery), the step graph and its scheduler,
// affected rules, reports, deploy, dora.
export * from "./affected.js";
export * from "./affected-ci.js";
export * from "./command-change-probe.js";
export * from "./config/index.js";
export * from "./coverage.js";
export * from "./critical-path.js";
export * from "./deploy/index.js";
export * from "./dora/index.js";
export * from "./git-checkout.js";
export * from "./git-ref.js";
export * from "./graph.js";
export * from "./log-tail.js";
export * from "./package-manager.js";
export * from "./repo-reader.js";
export * from "./reports/index.js";
export * from "./scheduler.js";
export * from "./services/index.js";
export * from "./step-inputs.js";
export * from "./steps.js";
export * from "./toolchain-versions.js";
