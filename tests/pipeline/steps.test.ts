import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { affectedFromChanges } from "../../dagger/src/core/affected.js";
import { affectedCiSteps } from "../../dagger/src/core/affected-ci.js";
import { UnknownServiceError } from "../../dagger/src/core/services/catalog.js";
import { discoverServices } from "../../dagger/src/core/services/discover.js";
import { buildCiSteps } from "../../dagger/src/core/steps.js";
import { fsRepoReader } from "../../pipeline/host/fs-repo-reader.js";

const catalog = await discoverServices(
  fsRepoReader(join(import.meta.dirname, "fixtures/workspace")),
);

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
      ["test:tooling", ["install"], "pnpm run test:tooling"],
      [
        "integration",
        ["install", "test:auth", "test:db", "test:email", "test:gateway"],
        "pnpm --filter @workers/integration-tests run test",
      ],
      ["coverage", ["test:auth", "test:db", "test:email", "test:gateway"], undefined],
    ]);
    const gate = steps.at(-1);
    expect(gate?.kind).toBe("coverage-gate");
    expect(gate?.coverageThreshold).toBe(80);
    expect(steps.find((step) => step.id === "test:db")?.coverageSummary).toBe(
      "services/db/coverage/coverage-summary.json",
    );
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

  it("scopes typecheck and lint to the affected packages and the integration tests", () => {
    const steps = affectedCiSteps(
      catalog,
      affectedFromChanges(catalog, "main", ["services/email/src/index.ts"], []),
    );
    const command = (id: string) => steps.find((step) => step.id === id)?.command?.join(" ");
    expect(command("typecheck")).toBe(
      "pnpm --filter @workers/email --filter @workers/gateway --filter @workers/integration-tests run typecheck",
    );
    expect(command("lint")).toBe(
      "pnpm exec biome ci services/email services/gateway tests/integration",
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

  it("runs the tooling tests, without service tests, when only they changed", () => {
    expect(plan(["tests/pipeline/x.test.ts"])).toEqual([
      "install",
      "typecheck",
      "lint",
      "test:tooling",
    ]);
  });

  it("plans no step at all when only documentation changed", () => {
    expect(plan(["README.md"])).toEqual([]);
  });
});
