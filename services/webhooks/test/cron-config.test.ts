import { parse } from "jsonc-parser";
import { describe, expect, it } from "vitest";
import wranglerText from "../wrangler.jsonc?raw";

interface EnvironmentConfig {
  triggers?: { crons?: string[] };
}
interface WranglerConfig extends EnvironmentConfig {
  env?: Record<string, EnvironmentConfig>;
}

const config = parse(wranglerText) as WranglerConfig;

// Without its cron, an event whose enqueue failed and whose sender gave up is never processed.
describe("the redelivery cron in wrangler.jsonc", () => {
  it.each([
    ["top level", config],
    ["staging", config.env?.staging],
    ["production", config.env?.production],
  ])("%s runs scheduled() every five minutes", (_target, target) => {
    expect(target?.triggers?.crons).toEqual(["*/5 * * * *"]);
  });
});
