import { join } from "node:path";
import { describe, expect, it } from "vitest";
import {
  affectedCiSteps,
  affectedFromChanges,
  buildCiSteps,
  discoverServices,
  renderSummaryTable,
  runSteps,
  toJsonReport,
} from "#core";
import { fsRepoReader } from "../../pipeline/host/fs-repo-reader.js";
import { FIXTURES } from "../helpers/paths.js";

const discover = (fixture: string) => discoverServices(fsRepoReader(join(FIXTURES, fixture)));

const shapeOf = (step: ReturnType<typeof buildCiSteps>[number]) => [
  step.id,
  step.kind,
  step.command?.join(" "),
  step.coverageSubject,
];
const shape = (steps: ReturnType<typeof buildCiSteps>) => steps.map(shapeOf);

describe("steps from the packages' own scripts", () => {
  it("gives every package with a test script a step, libraries too, and shows the others as no tests", async () => {
    const steps = buildCiSteps(await discover("apps-packages"));
    // No root typecheck or lint script, no tsconfig and no linter config: no check steps.
    expect(shape(steps)).toEqual([
      ["install", "command", "pnpm install --frozen-lockfile", undefined],
      ["test:api", "command", "pnpm --filter @acme/api run test", "api"],
      ["test:auth", "no-tests", undefined, undefined],
      ["test:@acme/db-client", "no-tests", undefined, undefined],
      ["test:@acme/shared", "command", "pnpm --filter @acme/shared run test", "@acme/shared"],
      ["test:@acme/web", "no-tests", undefined, undefined],
      ["coverage", "coverage-gate", undefined, undefined],
    ]);
    const gate = steps.at(-1);
    expect(gate?.needs).toEqual(["test:api", "test:@acme/shared"]);
    expect(gate?.coverageThreshold).toBe(80);
    expect(steps.find((step) => step.id === "test:@acme/shared")?.coverageMap).toBe(
      "packages/shared/coverage/coverage-final.json",
    );
  });

  it("builds the packages with a build script, dependencies first, before what reads them", async () => {
    const catalog = await discover("apps-packages");
    const withBuild = {
      ...catalog,
      libraries: catalog.libraries.map((library) =>
        library.name === "@acme/shared" || library.name === "@acme/db-client"
          ? { ...library, scripts: { ...library.scripts, build: "tsc -b" } }
          : library,
      ),
    };
    const steps = buildCiSteps(withBuild);
    const needsOf = (id: string) => steps.find((step) => step.id === id)?.needs;
    expect(steps.filter((step) => step.id.startsWith("build:")).map(shapeOf)).toEqual([
      ["build:@acme/db-client", "command", "pnpm --filter @acme/db-client run build", undefined],
      ["build:@acme/shared", "command", "pnpm --filter @acme/shared run build", undefined],
    ]);
    // db-client imports shared, so shared's output must exist first.
    expect(needsOf("build:@acme/db-client")).toEqual(["install", "build:@acme/shared"]);
    expect(needsOf("build:@acme/shared")).toEqual(["install"]);
    expect(needsOf("test:api")).toEqual(["install", "build:@acme/db-client", "build:@acme/shared"]);
    // Nothing that reads a build runs: no build either.
    expect(buildCiSteps(withBuild, { parts: ["lint"] })).toEqual([]);
    expect(buildCiSteps(catalog).some((step) => step.id.startsWith("build:"))).toBe(false);
  });

  it("tests the libraries a selected Worker depends on along with it", async () => {
    const steps = buildCiSteps(await discover("apps-packages"), {
      parts: ["test"],
      services: ["api"],
    });
    expect(steps.map((step) => step.id)).toEqual([
      "test:api",
      "test:@acme/db-client",
      "test:@acme/shared",
    ]);
  });

  it("plans a changed library's dependents with it, and no integration or root tests the repository lacks", async () => {
    const catalog = await discover("apps-packages");
    const affected = affectedFromChanges(catalog, "main", ["packages/db-client/src/index.ts"], []);
    expect([affected.integration, affected.tooling]).toEqual([undefined, undefined]);
    // The pipeline's own state, untracked in a repository whose .gitignore does not know it.
    const withState = affectedFromChanges(
      catalog,
      "main",
      [".pipeline/step-durations.json", ".local-cloud/data/cloud.json"],
      [],
    );
    expect(withState.scope).toBe("none");
    expect(affectedCiSteps(catalog, affected).map((step) => step.id)).toEqual([
      "install",
      "test:api",
      "test:@acme/db-client",
      "test:@acme/shared",
      "coverage",
    ]);
  });

  it("has no coverage gate where no test script asks for coverage", async () => {
    const steps = buildCiSteps(await discover("no-envs"));
    expect(shape(steps)).toEqual([
      ["install", "command", "pnpm install --frozen-lockfile", undefined],
      ["test:ping", "command", "pnpm --filter ping run test", undefined],
      ["test:pong", "command", "pnpm --filter pong run test", undefined],
      ["test:tiny-lib", "no-tests", undefined, undefined],
    ]);
  });

  it("reports a package without tests as no tests, in the table and the JSON, and passes", async () => {
    const steps = buildCiSteps(await discover("apps-packages"), { parts: ["install", "test"] });
    const ran: string[] = [];
    const run = await runSteps(steps, {
      execute: async (step) => {
        ran.push(step.id);
        return { exitCode: 0, logTail: "" };
      },
    });
    expect(ran.sort()).toEqual(["install", "test:@acme/shared", "test:api"]);
    expect(run.exitCode).toBe(0);
    expect(toJsonReport(run).steps.find((step) => step.id === "test:auth")?.status).toBe(
      "no-tests",
    );
    expect(renderSummaryTable(run)).toMatch(/test:auth\s+no tests/);
    expect(renderSummaryTable(run)).toContain("3 passed, 0 failed, 3 without tests");
  });
});

describe("checks from the root's and the packages' scripts", () => {
  it("runs the root typecheck script and biome where the root has them", async () => {
    const steps = buildCiSteps(await discover("workspace"), { parts: ["typecheck", "lint"] });
    expect(steps.map((step) => step.command?.join(" "))).toEqual([
      "pnpm run typecheck",
      "pnpm exec biome ci .",
    ]);
  });

  it("falls back to each package's typecheck script, else tsc on its tsconfig, and to per-package lint scripts", async () => {
    const catalog = await discover("apps-packages");
    const api = catalog.services.find((service) => service.name === "api");
    const shared = catalog.libraries.find((library) => library.name === "@acme/shared");
    if (!api || !shared) {
      throw new Error("fixture changed: api and @acme/shared expected");
    }
    api.scripts = { ...api.scripts, typecheck: "tsc -b", lint: "eslint src" };
    shared.hasTsconfig = true;
    const steps = buildCiSteps(catalog, { parts: ["typecheck", "lint"] });
    expect(steps.map((step) => [step.id, step.command?.join(" ")])).toEqual([
      ["typecheck:api", "pnpm --filter @acme/api run typecheck"],
      ["typecheck:@acme/shared", "pnpm --filter @acme/shared exec tsc --noEmit -p tsconfig.json"],
      ["lint:api", "pnpm --filter @acme/api run lint"],
    ]);
    catalog.root.scripts = { lint: "turbo lint" };
    expect(buildCiSteps(catalog, { parts: ["lint"] }).map((step) => step.command)).toEqual([
      ["pnpm", "run", "lint"],
    ]);
  });
});
