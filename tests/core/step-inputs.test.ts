import { readFile } from "node:fs/promises";
import { join, normalize } from "node:path";
import { describe, expect, it } from "vitest";
import { buildCiSteps, discoverServices, type Step, stepOutputDirs, stepSourceFilter } from "#core";
import { fsRepoReader } from "../../pipeline/host/fs-repo-reader.js";
import { readSourceTree, stepFiles } from "../../pipeline/host/source-files.js";
import { REPO_ROOT } from "../helpers/paths.js";

const steps = buildCiSteps(await discoverServices(fsRepoReader(REPO_ROOT)));
const byId = (id: string) => steps.find((step) => step.id === id) as Step;
const tree = await readSourceTree(REPO_ROOT);

describe("a step's sources, as both runners give them", () => {
  it("are a package step's folders without git history or docs", () => {
    const filter = stepSourceFilter(byId("test:db"));
    expect(filter.include).toEqual(expect.arrayContaining(["services/db", "services/db/**"]));
    expect(filter.exclude).toEqual([".git", "**/*.md", "docs"]);
  });

  it("are the whole repository, docs included, for the tooling suites", () => {
    expect(stepSourceFilter(byId("tooling:pipeline"))).toEqual({ exclude: [".git"] });
    const files = stepFiles(tree, byId("tooling:pipeline"));
    expect(files).toEqual(
      expect.arrayContaining(["README.md", "pipeline/README.md", "docs/config.schema.json"]),
    );
    expect(files.some((file) => file.startsWith(".git/") || file === ".git")).toBe(false);
  });

  it("hold every install manifest but no other service's sources", () => {
    const files = stepFiles(tree, byId("test:db"));
    expect(files).toEqual(
      expect.arrayContaining(["pnpm-lock.yaml", "services/gateway/package.json"]),
    );
    expect(files.filter((file) => file.startsWith("services/gateway/"))).toEqual([
      "services/gateway/package.json",
    ]);
    expect(files.filter((file) => file.startsWith("services/db/") && file.endsWith(".md"))).toEqual(
      [],
    );
  });

  it("never hold build output, local state, node_modules or secrets", () => {
    const leaked = stepFiles(tree, byId("typecheck")).filter((file) =>
      /(^|\/)(node_modules|coverage|\.wrangler|dist|\.env|\.dev\.vars)(\/|$)|^\.pipeline\//.test(
        file,
      ),
    );
    expect(leaked).toEqual([]);
    expect(tree.nodeModules).toEqual(
      expect.arrayContaining(["node_modules", "services/db/node_modules"]),
    );
  });

  it("hold the root tsconfig each package's tsconfig extends", async () => {
    const missing: string[] = [];
    for (const step of steps.filter((candidate) => candidate.id.startsWith("test:"))) {
      const files = new Set(stepFiles(tree, step));
      for (const tsconfig of [...files].filter((file) => file.endsWith("/tsconfig.json"))) {
        const extended = /"extends":\s*"([^"]+)"/.exec(
          await readFile(join(REPO_ROOT, tsconfig), "utf8"),
        )?.[1];
        const path = extended && normalize(join(tsconfig, "..", extended));
        if (path && !files.has(path)) missing.push(`${step.id}: ${path}`);
      }
    }
    expect(missing).toEqual([]);
  });

  it("give back the coverage folder a test step writes", () => {
    expect(stepOutputDirs(byId("test:db"))).toEqual(["services/db/coverage"]);
    expect(stepOutputDirs(byId("lint"))).toEqual([]);
  });
});
