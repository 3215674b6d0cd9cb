// The deploy orchestrator: one import for the host commands and the Dagger deploy functions.
export * from "./build-plan.js";
export * from "./d1-migrations.js";
export * from "./deploy-context.js";
export * from "./deploy-lock.js";
export * from "./deploy-plan.js";
export * from "./fetch-http-client.js";
export * from "./health.js";
export * from "./ports.js";
export * from "./render-report.js";
export * from "./report.js";
export * from "./rollback-service.js";
export * from "./run-deploy.js";
export * from "./run-release.js";
export * from "./run-rollback.js";
export * from "./smoke-tests.js";
export * from "./version-metrics.js";
export * from "./wrangler-cli.js";
