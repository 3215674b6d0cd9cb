// Reports of runs, affected sets and graphs, as text and Markdown.
export * from "./affected-report.js";
export * from "./coverage-rows.js";
export * from "./format.js";
export * from "./graph-report.js";
export * from "./html/index.js";
export * from "./reproduce.js";
export * from "./run-report.js";
