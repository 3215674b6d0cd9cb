import { parse } from "jsonc-parser";
import { describe, expect, it } from "vitest";
import { CRON_TABLE } from "../src/cron-table";
import wranglerText from "../wrangler.jsonc?raw";

interface EnvironmentConfig {
  triggers?: { crons?: string[] };
  vars?: Record<string, string>;
}
interface WranglerConfig extends EnvironmentConfig {
  env?: Record<string, EnvironmentConfig>;
}

const config = parse(wranglerText) as WranglerConfig;

describe("cron triggers in wrangler.jsonc", () => {
  const targets: [string, EnvironmentConfig | undefined][] = [
    ["top level", config],
    ["staging", config.env?.staging],
    ["production", config.env?.production],
  ];

  it.each(targets)("%s triggers exactly the crons the table knows", (_target, target) => {
    expect([...(target?.triggers?.crons ?? [])].sort()).toEqual(Object.keys(CRON_TABLE).sort());
  });

  // vars are not inherited by wrangler environments, so each must name its own recipient.
  it.each(targets)("%s sets the OPS_EMAIL the nightly job mails", (_target, target) => {
    expect(target?.vars?.OPS_EMAIL).toMatch(/^[^@\s]+@[^@\s]+\.[a-z]+$/);
  });
});
