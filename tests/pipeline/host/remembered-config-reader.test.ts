import { mkdir, readdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { WorkerEnvironments, WranglerConfigReader } from "#core";
import { rememberedConfigReader } from "../../../pipeline/host/remembered-config-reader.js";
import { tempDir } from "../../helpers/fixture-repo.js";

const CONFIG = "services/api/wrangler.jsonc";

/** A reader that says which content it read, and counts its reads, as wrangler would be loaded. */
async function setUp() {
  const root = await tempDir("remembered-config-");
  await mkdir(join(root, "services/api"), { recursive: true });
  await writeFile(join(root, CONFIG), '{ "name": "api" }');
  const wrangler = join(root, "wrangler-entry.js");
  await writeFile(wrangler, "// wrangler 1\n");
  const reads: string[] = [];
  const inner: WranglerConfigReader = async (file) => {
    reads.push(file);
    const workerName = (JSON.parse(await readFile(join(root, file), "utf8")) as { name: string })
      .name;
    if (workerName === "broken") throw new Error(`${file}: no`);
    return {
      declared: ["@local"],
      resolved: {
        "@local": { workerName, services: [], resources: [{ kind: "ai", binding: "AI" }] },
      },
      leftOut: {},
    } satisfies WorkerEnvironments;
  };
  const reader = (env: NodeJS.ProcessEnv = {}) =>
    rememberedConfigReader(root, env, inner, () => wrangler);
  return { root, wrangler, reads, reader };
}

describe("wrangler's config reads, remembered between runs", () => {
  it("reads a config with wrangler once, then from .pipeline/cache while nothing changed", async () => {
    const { reads, reader } = await setUp();
    const first = await reader()(CONFIG);
    // A new reader: the next run.
    expect(await reader()(CONFIG)).toEqual(first);
    expect(first.resolved["@local"]?.workerName).toBe("api");
    expect(reads).toEqual([CONFIG]);
  });

  it("reads it again when the config, the wrangler that reads it or its variables change", async () => {
    const { root, wrangler, reads, reader } = await setUp();
    await reader()(CONFIG);
    await writeFile(join(root, CONFIG), '{ "name": "api2" }');
    expect((await reader()(CONFIG)).resolved["@local"]?.workerName).toBe("api2");
    await writeFile(wrangler, "// wrangler 2, a longer file\n");
    await reader()(CONFIG);
    await reader({ CLOUDFLARE_ENV: "staging" })(CONFIG);
    await reader({ CLOUDFLARE_ENV: "staging", PATH: "/elsewhere" })(CONFIG);
    expect(reads).toHaveLength(4);
  });

  it("takes a corrupt remembered read for none, and does not remember a rejected config", async () => {
    const { root, reads, reader } = await setUp();
    await reader()(CONFIG);
    const dir = join(root, ".pipeline/cache/configs");
    const [file] = await readdir(dir);
    await writeFile(join(dir, file ?? ""), '{"format": 1, "key"');
    expect((await reader()(CONFIG)).resolved["@local"]?.workerName).toBe("api");
    await writeFile(join(root, CONFIG), '{ "name": "broken" }');
    await expect(reader()(CONFIG)).rejects.toThrow(/no$/);
    await expect(reader()(CONFIG)).rejects.toThrow(/no$/);
    expect(reads).toHaveLength(4);
  });
});
