import { createRequire } from "node:module";

// The workerd binary Miniflare runs (miniflare 4 is the last stable line) can be older than the
// services' compatibility_date, and workerd refuses dates newer than it knows. Like `wrangler dev`,
// fall back to the newest date this runtime supports; deploys keep the configured date.
const requireFromMiniflare = createRequire(createRequire(import.meta.url).resolve("miniflare"));
const workerd = requireFromMiniflare("workerd") as { compatibilityDate: string };

export function runtimeCompatibilityDate(configured: string): string {
  return configured > workerd.compatibilityDate ? workerd.compatibilityDate : configured;
}
