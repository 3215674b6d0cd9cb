import { mkdir, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { execa } from "execa";
import { describe, expect, it } from "vitest";
import { buildCiSteps, discoverServices } from "#core";
import { fsRepoReader } from "../../pipeline/host/fs-repo-reader.js";
import { tempDir } from "../helpers/fixture-repo.js";

/**
 * The same two-package workspace (a Worker with test, lint and typecheck scripts, a library with
 * only a tsconfig) under each package manager: discovery finds both, and the steps run the
 * repository's own manager, at the version `packageManager` declares.
 */
async function workspace(root: Record<string, unknown>, files: Record<string, string> = {}) {
  const dir = await tempDir("pipeline-pm-");
  const all: Record<string, string> = {
    "package.json": JSON.stringify({ name: "demo", private: true, ...root }),
    "apps/api/package.json": JSON.stringify({
      name: "@demo/api",
      scripts: { test: "node -p \"process.cwd().split('/').pop()\"", lint: "eslint ." },
      dependencies: { "@demo/lib": "workspace:*" },
    }),
    "apps/api/wrangler.jsonc": '{ "name": "demo-api", "main": "src/index.ts" }',
    "packages/lib/package.json": JSON.stringify({ name: "@demo/lib" }),
    "packages/lib/tsconfig.json": "{}",
    ...files,
  };
  for (const [path, text] of Object.entries(all)) {
    await mkdir(dirname(join(dir, path)), { recursive: true });
    await writeFile(join(dir, path), text);
  }
  return dir;
}

const commands = async (dir: string) => {
  const catalog = await discoverServices(fsRepoReader(dir));
  expect(catalog.services.map((service) => service.name)).toEqual(["api"]);
  expect(catalog.libraries.map((library) => library.name)).toEqual(["@demo/lib"]);
  return Object.fromEntries(
    buildCiSteps(catalog).flatMap((step) =>
      step.command ? [[step.id, step.command.join(" ")]] : [],
    ),
  );
};

const workspaces = { workspaces: ["apps/*", "packages/*"] };

describe("steps in the repository's own package manager", () => {
  it.each([
    [
      "npm, from package-lock.json",
      workspaces,
      { "package-lock.json": "{}" },
      {
        install: "npm ci",
        "test:api": "npm run test --workspace @demo/api",
        "lint:api": "npm run lint --workspace @demo/api",
        "typecheck:@demo/lib": "npm exec --workspace @demo/lib -- tsc --noEmit -p tsconfig.json",
      },
    ],
    [
      "yarn berry at its declared version",
      { ...workspaces, packageManager: "yarn@4.5.0" },
      { "yarn.lock": "", ".yarnrc.yml": "nodeLinker: node-modules\n" },
      {
        install: "npx --yes --package=@yarnpkg/cli-dist@4.5.0 -- yarn install --immutable",
        "test:api":
          "npx --yes --package=@yarnpkg/cli-dist@4.5.0 -- yarn workspace @demo/api run test",
        "lint:api":
          "npx --yes --package=@yarnpkg/cli-dist@4.5.0 -- yarn workspace @demo/api run lint",
        "typecheck:@demo/lib":
          "npx --yes --package=@yarnpkg/cli-dist@4.5.0 -- yarn workspace @demo/lib exec tsc --noEmit -p tsconfig.json",
      },
    ],
    [
      "yarn classic, from a yarn.lock without .yarnrc.yml",
      { workspaces: { packages: ["apps/*", "packages/*"] } },
      { "yarn.lock": "" },
      {
        install: "yarn install --frozen-lockfile",
        "test:api": "yarn workspace @demo/api run test",
        "lint:api": "yarn workspace @demo/api run lint",
        "typecheck:@demo/lib": "yarn workspace @demo/lib run tsc --noEmit -p tsconfig.json",
      },
    ],
    [
      "bun, from bun.lock",
      workspaces,
      { "bun.lock": "{}" },
      {
        install: "bun install --frozen-lockfile",
        "test:api": "bun run --filter @demo/api test",
        "lint:api": "bun run --filter @demo/api lint",
        "typecheck:@demo/lib": "bun run --cwd packages/lib tsc --noEmit -p tsconfig.json",
      },
    ],
    [
      "pnpm, from pnpm-workspace.yaml",
      {},
      { "pnpm-workspace.yaml": "packages:\n  - apps/*\n  - packages/*\n" },
      {
        install: "pnpm install --frozen-lockfile",
        "test:api": "pnpm --filter @demo/api run test",
        "lint:api": "pnpm --filter @demo/api run lint",
        "typecheck:@demo/lib": "pnpm --filter @demo/lib exec tsc --noEmit -p tsconfig.json",
      },
    ],
  ])("%s", async (_, root, files, expected) => {
    expect(await commands(await workspace(root, files))).toEqual(expected);
  });

  it("a step's npm command runs the Worker's own script in its workspace", async () => {
    const dir = await workspace(workspaces, { "package-lock.json": "{}" });
    const argv = (await commands(dir))["test:api"]?.split(" ") ?? [];
    const [bin = "", ...args] = argv;
    const { stdout } = await execa(bin, args, { cwd: dir });
    // The script printed the folder it ran in: npm found the Worker's workspace.
    expect(stdout.trim().split("\n").at(-1)).toBe("api");
  });

  it("refuses a packageManager without an exact version, naming the field and the choices", async () => {
    const dir = await workspace({ ...workspaces, packageManager: "yarn@stable" });
    await expect(discoverServices(fsRepoReader(dir))).rejects.toThrow(
      'package.json packageManager: "yarn@stable" is not <name>@<exact version> with name one of pnpm, npm, yarn, bun (e.g. "yarn@4.5.0")',
    );
  });
});
