import { join } from "node:path";
import { describe, expect, it } from "vitest";
import {
  affectedCiSteps,
  affectedFromChanges,
  buildCiSteps,
  discoverServices,
  partOf,
  UnknownServiceError,
} from "#core";
import { fsRepoReader } from "../../pipeline/host/fs-repo-reader.js";
import { FIXTURES } from "../helpers/paths.js";

const catalog = await discoverServices(fsRepoReader(join(FIXTURES, "workspace")));

describe("buildCiSteps", () => {
  it("builds install, checks, one coverage-producing test step per service, integration and the gate", () => {
    const steps = buildCiSteps(catalog);
    expect(steps.map((step) => [step.id, step.needs, step.command?.join(" ")])).toEqual([
      ["install", [], "pnpm install --frozen-lockfile"],
      ["typecheck", ["install"], "pnpm run typecheck"],
      ["lint", ["install"], "pnpm exec biome ci ."],
      ["test:auth", ["install"], "pnpm --filter @workers/auth run test"],
      ["test:db", ["install"], "pnpm --filter @workers/db run test"],
      ["test:email", ["install"], "pnpm --filter @workers/email run test"],
      ["test:gateway", ["install"], "pnpm --filter @workers/gateway run test"],
      ...["deploy-local", "local-cloud", "dagger", "pipeline"].map((suite) => [
        `tooling:${suite}`,
        ["install"],
        `pnpm run test:tooling --project ${suite} --coverage.enabled --coverage.reportsDirectory=coverage/tooling/${suite}`,
      ]),
      [
        "integration",
        ["install", "test:auth", "test:db", "test:email", "test:gateway"],
        "pnpm --filter @workers/integration-tests run test",
      ],
      [
        "coverage",
        [
          "test:auth",
          "test:db",
          "test:email",
          "test:gateway",
          "tooling:deploy-local",
          "tooling:local-cloud",
          "tooling:dagger",
          "tooling:pipeline",
        ],
        undefined,
      ],
    ]);
    const gate = steps.at(-1);
    expect(gate?.kind).toBe("coverage-gate");
    expect(gate?.coverageThreshold).toBe(80);
    const measures = (id: string) => {
      const step = steps.find((candidate) => candidate.id === id);
      return [step?.coverageSubject, step?.coverageMap];
    };
    expect(measures("test:db")).toEqual(["db", "services/db/coverage/coverage-final.json"]);
    // Every tooling suite measures the same subject, so the gate merges their maps.
    expect(measures("tooling:dagger")).toEqual([
      "pipeline",
      "coverage/tooling/dagger/coverage-final.json",
    ]);
    expect(steps.filter((step) => partOf(step) === "tooling")).toHaveLength(4);
    // Tests import their workspace dependencies' sources, so those are inputs too.
    expect(steps.find((step) => step.id === "test:auth")?.inputs).toContain("services/db");
  });

  it("keeps only the requested parts and services, dropping needs on removed steps", () => {
    const steps = buildCiSteps(catalog, { parts: ["test", "coverage"], services: ["db"] });
    expect(steps.map((step) => [step.id, step.needs])).toEqual([
      ["test:db", []],
      ["coverage", ["test:db"]],
    ]);
  });

  it("rejects an unknown service, listing the valid ones", () => {
    expect(() => buildCiSteps(catalog, { services: ["dbx"] })).toThrow(
      new UnknownServiceError("dbx", ["auth", "db", "email", "gateway"]),
    );
    expect(() => buildCiSteps(catalog, { services: ["dbx"] })).toThrow(
      'unknown service "dbx"; valid services: auth, db, email, gateway',
    );
  });
});

describe("affectedCiSteps", () => {
  const plan = (files: string[]) =>
    affectedCiSteps(catalog, affectedFromChanges(catalog, "main", files, [])).map(
      (step) => step.id,
    );

  const commands = (files: string[]) => {
    const steps = affectedCiSteps(catalog, affectedFromChanges(catalog, "main", files, []));
    return (id: string) => steps.find((step) => step.id === id)?.command?.join(" ");
  };

  it("tests only a changed leaf service, then integration and its coverage gate", () => {
    expect(plan(["services/gateway/src/index.ts"])).toEqual([
      "install",
      "typecheck",
      "lint",
      "test:gateway",
      "integration",
      "coverage",
    ]);
  });

  it("typechecks and lints only the affected packages, not the integration tests they do not import", () => {
    const command = commands(["services/email/src/index.ts"]);
    expect(command("typecheck")).toBe(
      "pnpm --filter @workers/email --filter @workers/gateway run typecheck",
    );
    expect(command("lint")).toBe("pnpm exec biome ci services/email services/gateway");
  });

  it("runs only the integration flows that enter through an affected service", () => {
    // email changed: gateway binds to it, so the flows through gateway run; none through db alone.
    expect(commands(["services/email/src/index.ts"])("integration")).toBe(
      "pnpm --filter @workers/integration-tests run test --tags-filter=email || gateway",
    );
    expect(commands(["services/gateway/src/index.ts"])("integration")).toBe(
      "pnpm --filter @workers/integration-tests run test --tags-filter=gateway",
    );
  });

  it("checks and runs the integration tests whole when their own files changed", () => {
    const command = commands(["services/email/src/index.ts", "tests/integration/test/x.test.ts"]);
    expect(command("typecheck")).toBe(
      "pnpm --filter @workers/email --filter @workers/gateway --filter @workers/integration-tests run typecheck",
    );
    expect(command("integration")).toBe("pnpm --filter @workers/integration-tests run test");
    expect(commands(["tests/integration/test/x.test.ts"])("typecheck")).toBe(
      "pnpm --filter @workers/integration-tests run typecheck",
    );
  });

  it("keeps whole-repository checks when tooling files changed too", () => {
    const steps = affectedCiSteps(
      catalog,
      affectedFromChanges(catalog, "main", ["services/email/src/index.ts", "scripts/x.ts"], []),
    );
    expect(steps.find((step) => step.id === "typecheck")?.command).toEqual([
      "pnpm",
      "run",
      "typecheck",
    ]);
    expect(steps.find((step) => step.id === "lint")?.command).toEqual([
      "pnpm",
      "exec",
      "biome",
      "ci",
      ".",
    ]);
  });

  it("runs every tooling suite and gates their coverage, without service tests, when only they changed", () => {
    expect(plan(["tests/pipeline/x.test.ts"])).toEqual([
      "install",
      "typecheck",
      "lint",
      "tooling:deploy-local",
      "tooling:local-cloud",
      "tooling:dagger",
      "tooling:pipeline",
      "coverage",
    ]);
  });

  it("plans no step at all when only documentation changed", () => {
    expect(plan(["README.md"])).toEqual([]);
  });
});
