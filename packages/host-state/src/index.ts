// State a long-running tool keeps on the host: JSON files that survive a crash mid-write, and
// the identity of the process that owns them.
export * from "./json-state-file.js";
export * from "./process-identity.js";
