import { mkdir, readFile, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import {
  discoverServices,
  ownWranglerConfigReader,
  type RepoReader,
  type ServiceCatalog,
  type WranglerConfigReader,
} from "#core";
import { fsRepoReader } from "../../../pipeline/host/fs-repo-reader.js";
import { rememberedCatalog } from "../../../pipeline/host/remembered-catalog.js";
import { fixtureWith } from "../../helpers/fixture-repo.js";

const MEMO = ".pipeline/cache/catalog.json";
/** Later than any file the test wrote by more than the timestamp granularity. */
const later = () => Date.now() + 10_000;

/**
 * The `workspace` fixture discovered by the core, with wrangler's part played by the core's own
 * config parser; `discoveries` counts the times discovery ran instead of the memo answering.
 */
async function setUp() {
  const root = await fixtureWith("workspace");
  const wrangler = join(root, "wrangler-entry.js");
  await writeFile(wrangler, "// wrangler 1\n");
  // Where a Worker's wrangler resolves from: the root's, unless a test installs another.
  let located = wrangler;
  let discoveries = 0;
  const discover = (reader: RepoReader, readWrangler: WranglerConfigReader) => {
    discoveries++;
    return discoverServices(reader, readWrangler);
  };
  const load = (
    options: { build?: string | undefined; env?: NodeJS.ProcessEnv; now?: () => number } = {},
  ): Promise<ServiceCatalog> => {
    const reader = fsRepoReader(root);
    return rememberedCatalog(
      root,
      { reader, readWrangler: ownWranglerConfigReader(reader), locate: () => located },
      discover,
      {
        build: "build" in options ? options.build : "build-1",
        env: options.env ?? {},
        now: options.now ?? later,
      },
    );
  };
  const relocate = (to: string) => {
    located = to;
  };
  return { root, wrangler, load, relocate, discoveries: () => discoveries };
}

const names = (catalog: ServiceCatalog) => catalog.services.map((service) => service.name);

describe("the workspace's catalog, remembered between runs", () => {
  it("discovers once, then answers from .pipeline/cache while nothing discovery read changed", async () => {
    const { load, discoveries } = await setUp();
    const first = await load();
    expect(names(first)).toEqual(["auth", "db", "email", "gateway"]);
    expect(await load()).toEqual(first);
    expect(discoveries()).toBe(1);
  });

  it("discovers again when a file it read changes, and finds what changed", async () => {
    const { root, load, discoveries } = await setUp();
    await load();
    const manifest = join(root, "services/db/package.json");
    const edited = JSON.parse(await readFile(manifest, "utf8")) as { scripts?: object };
    await writeFile(manifest, JSON.stringify({ ...edited, scripts: { test: "echo edited" } }));
    const db = (await load()).services.find((service) => service.name === "db");
    expect(db?.scripts).toEqual({ test: "echo edited" });
    expect(discoveries()).toBe(2);
  });

  it("discovers again when a package folder is added to a folder the globs walk", async () => {
    const { root, load, discoveries } = await setUp();
    await load();
    await mkdir(join(root, "services/billing"));
    await writeFile(
      join(root, "services/billing/package.json"),
      JSON.stringify({ name: "@fixture/billing", scripts: { test: "vitest run" } }),
    );
    await writeFile(join(root, "services/billing/wrangler.jsonc"), '{ "name": "billing" }');
    expect(names(await load())).toContain("billing");
    expect(discoveries()).toBe(2);
  });

  it("discovers again when a file it found absent appears (a second wrangler config)", async () => {
    const { root, load, discoveries } = await setUp();
    await load();
    await writeFile(join(root, "services/db/wrangler.toml"), 'name = "db"\n');
    // Two configs in one package are ambiguous: discovery says so, the memo does not hide it.
    await expect(load()).rejects.toThrow(/wrangler/);
    expect(discoveries()).toBe(2);
  });

  it("discovers again for another wrangler, another build, or other WRANGLER_/CLOUDFLARE_ variables", async () => {
    const { wrangler, load, discoveries } = await setUp();
    await load();
    await writeFile(wrangler, "// wrangler 2, a longer file\n");
    await load();
    await load({ build: "build-2" });
    await load({ build: "build-2", env: { CLOUDFLARE_ENV: "staging" } });
    await load({ build: "build-2", env: { CLOUDFLARE_ENV: "staging", PATH: "/elsewhere" } });
    expect(discoveries()).toBe(4);
  });

  it("discovers again when a Worker's wrangler resolves to another module, the old one unchanged", async () => {
    const { root, load, relocate, discoveries } = await setUp();
    await load();
    const closer = join(root, "services/db/node_modules/wrangler-entry.js");
    await mkdir(join(closer, ".."), { recursive: true });
    await writeFile(closer, "// wrangler 1\n");
    relocate(closer);
    await load();
    await load();
    expect(discoveries()).toBe(2);
  });

  it("writes no variable's value into the memo", async () => {
    const { root, load } = await setUp();
    await load({ env: { CLOUDFLARE_API_TOKEN: "secret-token-value" } });
    expect(await readFile(join(root, MEMO), "utf8")).not.toContain("secret-token-value");
  });

  it("remembers nothing without a build, or when a file changed within the timestamp granularity", async () => {
    const { root, load, discoveries } = await setUp();
    await load({ build: undefined });
    await load({ build: undefined });
    // Just written: a change in the same tick could keep its stamp.
    await load({ now: Date.now });
    await expect(readFile(join(root, MEMO))).rejects.toMatchObject({ code: "ENOENT" });
    expect(discoveries()).toBe(3);
  });

  it("takes a corrupt memo for none", async () => {
    const { root, load, discoveries } = await setUp();
    const first = await load();
    await writeFile(join(root, MEMO), '{ "format": 1, "build": "build-1", "inp');
    expect(await load()).toEqual(first);
    await rm(join(root, MEMO));
    expect(await load()).toEqual(first);
    expect(discoveries()).toBe(3);
  });
});
