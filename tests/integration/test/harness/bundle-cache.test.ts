import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { cachedBuild } from "../../harness/bundle-cache.js";
import { HARNESS_TAG } from "../../harness/flow-tags.js";

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "bundle-cache-"));
});
afterEach(() => rm(dir, { recursive: true, force: true }));

describe("cachedBuild", { tags: [HARNESS_TAG] }, () => {
  /** A build that bundles `source` by copying it and reports having read it; counts its runs. */
  function copyBuild(source: string) {
    const runs = { count: 0 };
    const build = async (outdir: string) => {
      runs.count += 1;
      await writeFile(join(outdir, "index.js"), await readFile(source));
      return [source];
    };
    return { build, runs };
  }

  it("reuses the output while every file the build read is unchanged, and rebuilds when one changes", async () => {
    const source = join(dir, "src.js");
    const config = join(dir, "wrangler.jsonc");
    await writeFile(source, "export default 1;");
    await writeFile(config, "{}");
    const cache = join(dir, "cache", "svc");
    const { build, runs } = copyBuild(source);

    expect((await cachedBuild(cache, ["deploy"], [config], build)).built).toBe(true);
    expect((await cachedBuild(cache, ["deploy"], [config], build)).built).toBe(false);
    expect(runs.count).toBe(1);

    await writeFile(source, "export default 2;");
    expect((await cachedBuild(cache, ["deploy"], [config], build)).built).toBe(true);
    expect(await readFile(join(cache, "index.js"), "utf8")).toBe("export default 2;");

    await writeFile(config, '{ "name": "x" }');
    expect((await cachedBuild(cache, ["deploy"], [config], build)).built).toBe(true);
    expect((await cachedBuild(cache, ["deploy", "--minify"], [config], build)).built).toBe(true);
    expect(runs.count).toBe(4);
  });

  it("keeps the previous output when a build fails, and builds again next time", async () => {
    const source = join(dir, "src.js");
    await writeFile(source, "export default 1;");
    const cache = join(dir, "svc");
    await cachedBuild(cache, [], [], copyBuild(source).build);
    await writeFile(source, "export default 2;");
    const failing = async () => {
      throw new Error("syntax error");
    };
    await expect(cachedBuild(cache, [], [], failing)).rejects.toThrow("syntax error");
    expect(await readFile(join(cache, "index.js"), "utf8")).toBe("export default 1;");
    expect((await cachedBuild(cache, [], [], copyBuild(source).build)).built).toBe(true);
  });
});
