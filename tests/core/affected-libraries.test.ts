import { cp, mkdir } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { describe, expect, it } from "vitest";
import {
  type AffectedResult,
  affectedCiSteps,
  buildCiSteps,
  detectAffected,
  discoverServices,
  renderAffected,
  type ServiceCatalog,
} from "#core";
import { fsRepoReader } from "../../pipeline/host/fs-repo-reader.js";
import { gitChangeProbe } from "../../pipeline/host/git-change-probe.js";
import { commitFiles, fixtureRepo, git, tempDir } from "../helpers/fixture-repo.js";
import { REPO_ROOT } from "../helpers/paths.js";

const ROOT = REPO_ROOT;

/** Installed or generated, never committed: copying them would add noise, not history. */
const NOT_SOURCES = new Set(["node_modules", "coverage", ".wrangler", "dist"]);

/**
 * A git repository holding this repository's workspace (root manifests, services, packages and
 * the integration tests' manifest), with one commit: discovery and pnpm see our real dependency
 * graph, not a model of it. Copied from the files, not from git, since CI's step containers get
 * the sources without `.git`.
 */
async function ownWorkspaceRepo(): Promise<string> {
  const repo = await tempDir("pipeline-own-workspace-");
  for (const path of [
    "package.json",
    "pnpm-workspace.yaml",
    "pnpm-lock.yaml",
    "biome.json",
    "workers-pipeline.config.json",
    "services",
    "packages",
    "tests/integration/package.json",
  ]) {
    await mkdir(dirname(join(repo, path)), { recursive: true });
    await cp(join(ROOT, path), join(repo, path), {
      recursive: true,
      filter: (source) => !NOT_SOURCES.has(basename(source)),
    });
  }
  await git(repo, "init", "--quiet", "--initial-branch=main");
  await git(repo, "add", "--all");
  await git(repo, "commit", "--quiet", "-m", "own workspace");
  return repo;
}

async function affectedAfter(
  repo: string,
  files: Record<string, string>,
): Promise<{ catalog: ServiceCatalog; result: AffectedResult }> {
  await commitFiles(repo, files);
  const catalog = await discoverServices(fsRepoReader(repo));
  return { catalog, result: await detectAffected(catalog, gitChangeProbe(repo), "HEAD~1") };
}

const names = (entries: { name: string }[]) => entries.map((entry) => entry.name);

describe("a changed library in this repository's own workspace", () => {
  it("selects every Worker, since each imports packages/http, and the library's own checks", async () => {
    const repo = await ownWorkspaceRepo();
    const { catalog, result } = await affectedAfter(repo, {
      "packages/http/src/read-limited-body.ts": "export const changed = true;\n",
    });
    expect(result.scope).toBe("some");
    expect(result.libraries).toEqual([
      { name: "@workers/http", reason: "changed: packages/http/src/read-limited-body.ts" },
      // Its tests deploy the db Worker (a declared devDependency), which bundles @workers/http.
      { name: "@workers/local-cloud", reason: "depends on db" },
    ]);
    // Every Worker answers /health and its errors through it.
    const services = names(catalog.services);
    expect(result.services).toEqual(
      services.map((name) => ({ name, reason: "depends on @workers/http" })),
    );
    expect(result.tooling).toBeUndefined();
    expect(renderAffected(result)).toContain(
      "  (library @workers/http: changed: packages/http/src/read-limited-body.ts)",
    );
    const steps = affectedCiSteps(catalog, result);
    // The library's own tests run too, and those of the library it depends on (which has none).
    expect(steps.filter((step) => step.id.startsWith("test:")).map((step) => step.id)).toEqual([
      ...services.map((name) => `test:${name}`),
      "test:@workers/http",
      "test:@workers/local-cloud",
      "test:@workers/testing",
    ]);
    expect(steps.find((step) => step.id === "test:@workers/testing")?.kind).toBe("no-tests");
    const typecheck = steps.find((step) => step.id === "typecheck");
    expect(typecheck?.command).toEqual([
      "pnpm",
      ...[...services, "http", "local-cloud"].flatMap((name) => ["--filter", `@workers/${name}`]),
      "run",
      "typecheck",
    ]);
    // Checking gateway reads the types of every Worker and library it imports, mcp's @workers/db too.
    expect(typecheck?.inputs).toEqual(
      expect.arrayContaining(["services/db", "services/auth", "packages/http", "packages/testing"]),
    );
    expect(steps.find((step) => step.id === "lint")?.command).toContain("packages/http");
  });

  it("selects every Worker when the shared test set-up changes, since each one's tests use it", async () => {
    const repo = await ownWorkspaceRepo();
    const { catalog, result } = await affectedAfter(repo, {
      "packages/testing/fakes/queue.js": "export default {};\n",
    });
    expect(names(result.libraries)).toEqual([
      "@workers/host-state",
      "@workers/http",
      "@workers/local-cloud",
      "@workers/testing",
    ]);
    expect(result.libraries[0]?.reason).toBe("depends on @workers/testing");
    expect(names(result.services)).toEqual(names(catalog.services));
    expect(
      result.services.every((service) => service.reason === "depends on @workers/testing"),
    ).toBe(true);
  });

  it("discovers the libraries by package name, with their workspace dependencies", async () => {
    const catalog = await discoverServices(fsRepoReader(await ownWorkspaceRepo()));
    const inPackages = catalog.libraries.filter((library) => library.dir.startsWith("packages/"));
    expect(inPackages).toMatchObject([
      {
        name: "@workers/host-state",
        dir: "packages/host-state",
        workspaceDependencies: ["@workers/testing"],
      },
      {
        name: "@workers/http",
        dir: "packages/http",
        packageName: "@workers/http",
        workspaceDependencies: ["@workers/testing"],
      },
      {
        name: "@workers/local-cloud",
        dir: "packages/local-cloud",
        // db: its control-plane test deploys services/db.
        workspaceDependencies: ["@workers/host-state", "@workers/testing", "db"],
      },
      {
        name: "@workers/testing",
        dir: "packages/testing",
        packageName: "@workers/testing",
        workspaceDependencies: [],
      },
    ]);
    const importing = (library: string) =>
      catalog.services
        .filter((service) => service.workspaceDependencies.includes(library))
        .map((service) => service.name);
    expect(importing("@workers/http")).toEqual(names(catalog.services));
    expect(importing("@workers/testing")).toEqual(names(catalog.services));
  });
});

describe("a changed library in the fixture workspace", () => {
  /** packages/base <- packages/text <- auth, with db, email and gateway using neither; nothing uses packages/lonely. */
  const libraries = {
    "packages/base/package.json": JSON.stringify({
      name: "@workers/base",
      scripts: { test: "vitest run --coverage", typecheck: "tsc -p tsconfig.json" },
    }),
    "packages/base/src/index.ts": "export const base = 1;\n",
    "packages/text/package.json": JSON.stringify({
      name: "@workers/text",
      scripts: { test: "vitest run --coverage", typecheck: "tsc -p tsconfig.json" },
      dependencies: { "@workers/base": "workspace:*" },
    }),
    "packages/text/src/index.ts": "export const text = 'a';\n",
    "packages/lonely/package.json": JSON.stringify({
      name: "@workers/lonely",
      scripts: { test: "vitest run --coverage", typecheck: "tsc -p tsconfig.json" },
    }),
    "packages/lonely/src/index.ts": "export const lonely = 1;\n",
    "pnpm-workspace.yaml": "packages:\n  - services/*\n  - packages/*\n  - tests/integration\n",
  };

  async function fixtureWithLibraries(): Promise<string> {
    const repo = await fixtureRepo();
    const auth = JSON.parse(await git(repo, "show", "HEAD:services/auth/package.json")) as Record<
      string,
      Record<string, string>
    >;
    auth.dependencies = { ...auth.dependencies, "@workers/text": "workspace:*" };
    await commitFiles(repo, {
      ...libraries,
      "services/auth/package.json": JSON.stringify(auth),
    });
    return repo;
  }

  it("selects the library's users through another library, and their dependents only", async () => {
    const repo = await fixtureWithLibraries();
    const { result } = await affectedAfter(repo, {
      "packages/base/src/index.ts": "export const base = 2;\n",
    });
    expect(result.libraries).toEqual([
      { name: "@workers/base", reason: "changed: packages/base/src/index.ts" },
      { name: "@workers/text", reason: "depends on @workers/base" },
    ]);
    // auth imports text; gateway depends on auth. db and email use neither library.
    expect(result.services).toEqual([
      { name: "auth", reason: "depends on @workers/text" },
      { name: "gateway", reason: "depends on auth" },
    ]);
  });

  it("selects no Worker for a library no Worker imports, yet checks the library", async () => {
    const repo = await fixtureWithLibraries();
    const { catalog, result } = await affectedAfter(repo, {
      "packages/lonely/src/index.ts": "export const lonely = 2;\n",
    });
    expect(names(result.libraries)).toEqual(["@workers/lonely"]);
    expect(result.services).toEqual([]);
    expect(result.scope).toBe("some");
    const steps = affectedCiSteps(catalog, result);
    // Its own `test` script brings its test step, and that step's coverage its gate.
    expect(steps.map((step) => step.id)).toEqual([
      "install",
      "typecheck",
      "lint",
      "test:@workers/lonely",
      "coverage",
    ]);
    expect(steps.find((step) => step.id === "typecheck")?.command).toEqual([
      "pnpm",
      "--filter",
      "@workers/lonely",
      "run",
      "typecheck",
    ]);
    expect(steps.find((step) => step.id === "lint")?.command).toEqual([
      "pnpm",
      "exec",
      "biome",
      "ci",
      "packages/lonely",
    ]);
  });

  it("gives a service's test step the libraries it reads, directly or through another library", async () => {
    const catalog = await discoverServices(fsRepoReader(await fixtureWithLibraries()));
    const steps = buildCiSteps(catalog);
    const inputsOf = (id: string) => steps.find((step) => step.id === id)?.inputs ?? [];
    expect(inputsOf("test:auth")).toEqual(
      expect.arrayContaining(["packages/base", "packages/text"]),
    );
    expect(inputsOf("test:gateway")).toEqual(
      expect.arrayContaining(["services/auth", "packages/base", "packages/text"]),
    );
    expect(inputsOf("test:db")).not.toContain("packages/text");
    expect(inputsOf("install")).toEqual(
      expect.arrayContaining(["packages/base/package.json", "packages/text/package.json"]),
    );
    expect(inputsOf("integration")).toEqual(expect.arrayContaining(["packages/text"]));
  });

  it("gives the scoped typecheck the folders of every workspace package the checked ones import", async () => {
    const catalog = await discoverServices(fsRepoReader(await fixtureWithLibraries()));
    const typecheckInputs = (services: string[], libraries: string[] = []) =>
      buildCiSteps(catalog, { services, libraries, scope: { integrationChanged: false } }).find(
        (step) => step.id === "typecheck",
      )?.inputs ?? [];
    // gateway imports auth, which imports @workers/text, which imports @workers/base.
    expect(typecheckInputs(["gateway"])).toEqual(
      expect.arrayContaining([
        "services/gateway",
        "services/auth",
        "packages/text",
        "packages/base",
      ]),
    );
    expect(typecheckInputs(["db"])).not.toContain("packages/text");
    expect(typecheckInputs([], ["@workers/text"])).toEqual(
      expect.arrayContaining(["packages/text", "packages/base"]),
    );
  });
});
