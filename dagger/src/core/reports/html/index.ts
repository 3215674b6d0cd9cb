// Self-contained HTML reports of runs, shared by the host runner, the dashboard and Dagger.
export * from "./ci-html.js";
export * from "./deploy-html.js";
export * from "./dora-html.js";
export { escapeHtml } from "./markup.js";
export * from "./page.js";
