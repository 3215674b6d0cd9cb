import { parse } from "jsonc-parser";
import { describe, expect, it } from "vitest";
import wranglerText from "../wrangler.jsonc?raw";

interface EnvironmentConfig {
  triggers?: { crons?: string[] };
  vars?: { WEBHOOK_SOURCES?: unknown };
}
interface WranglerConfig extends EnvironmentConfig {
  env?: Record<string, EnvironmentConfig>;
}

const config = parse(wranglerText) as WranglerConfig;
const targets: [string, EnvironmentConfig | undefined][] = [
  ["top level", config],
  ["staging", config.env?.staging],
  ["production", config.env?.production],
];

// Without its cron, an event whose enqueue failed and whose sender gave up is never processed.
describe("the redelivery cron in wrangler.jsonc", () => {
  it.each(targets)("%s runs scheduled() every five minutes", (_target, target) => {
    expect(target?.triggers?.crons).toEqual(["*/5 * * * *"]);
  });
});

// vars are not inherited by wrangler environments: a source missing from one answers 404 there.
describe("WEBHOOK_SOURCES in wrangler.jsonc", () => {
  it.each(targets)("%s configures the same sources as the top level", (_target, target) => {
    expect(target?.vars?.WEBHOOK_SOURCES).toEqual(config.vars?.WEBHOOK_SOURCES);
    expect(Object.keys(target?.vars?.WEBHOOK_SOURCES ?? {})).toEqual([
      "github",
      "stripe",
      "standard",
      "generic",
    ]);
  });
});
