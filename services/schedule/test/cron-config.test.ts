import { parse } from "jsonc-parser";
import { describe, expect, it } from "vitest";
import { CRON_TABLE } from "../src/cron-table";
import wranglerText from "../wrangler.jsonc?raw";

interface WranglerConfig {
  triggers?: { crons?: string[] };
  env?: Record<string, { triggers?: { crons?: string[] } }>;
}

const config = parse(wranglerText) as WranglerConfig;

describe("cron triggers in wrangler.jsonc", () => {
  const targets: [string, string[] | undefined][] = [
    ["top level", config.triggers?.crons],
    ["staging", config.env?.staging?.triggers?.crons],
    ["production", config.env?.production?.triggers?.crons],
  ];

  it.each(targets)("%s triggers exactly the crons the table knows", (_target, crons) => {
    expect([...(crons ?? [])].sort()).toEqual(Object.keys(CRON_TABLE).sort());
  });
});
