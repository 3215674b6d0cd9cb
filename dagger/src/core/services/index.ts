// Discovery: the Workers and libraries of a workspace, their bindings and deploy targets.
export * from "./bindings.js";
export * from "./catalog.js";
export * from "./config-schemas.js";
export * from "./deploy-targets.js";
export * from "./discover.js";
export * from "./workspace-packages.js";
export * from "./wrangler-environments.js";
