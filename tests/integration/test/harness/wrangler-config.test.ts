import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { HARNESS_TAG } from "../../harness/flow-tags.js";
import { readWranglerConfig } from "../../harness/wrangler-config.js";

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "wrangler-config-"));
});
afterEach(() => rm(dir, { recursive: true, force: true }));

const write = (text: string) => writeFile(join(dir, "wrangler.jsonc"), text);

describe("readWranglerConfig", { tags: [HARNESS_TAG] }, () => {
  it("reads the top-level config with comments and fills absent sections", async () => {
    await write(`{
      // a comment
      "name": "svc",
      "compatibility_date": "2026-01-01",
      "services": [{ "binding": "DB", "service": "db" }],
    }`);

    expect(await readWranglerConfig(dir)).toMatchObject({
      name: "svc",
      services: [{ binding: "DB", service: "db" }],
      d1_databases: [],
      queues: { producers: [], consumers: [] },
      triggers: { crons: [] },
      vars: {},
    });
  });

  it("names the file and the syntax error for broken JSONC", async () => {
    await write(`{ "name": "svc", `);

    await expect(readWranglerConfig(dir)).rejects.toThrow(
      new RegExp(`${join(dir, "wrangler.jsonc")}: invalid JSONC \\(\\w+ at \\d+\\)`),
    );
  });

  it("names the missing field", async () => {
    await write(`{ "compatibility_date": "2026-01-01" }`);

    await expect(readWranglerConfig(dir)).rejects.toThrow(/unexpected wrangler config:.*name/s);
  });

  it("reports a missing file with its path", async () => {
    await expect(readWranglerConfig(join(dir, "absent"))).rejects.toThrow(/absent/);
  });
});
