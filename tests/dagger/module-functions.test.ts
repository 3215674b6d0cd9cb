import { rm } from "node:fs/promises";
import { join } from "node:path";
import { dag } from "@dagger.io/dagger";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MissingBaseRefError } from "../../dagger/src/core/affected.js";
import { UnknownServiceError } from "../../dagger/src/core/services/catalog.js";
import { ModulePipeline, type PipelinePorts } from "../../dagger/src/runner/module-pipeline.js";
import { fsRepoReader } from "../../pipeline/host/fs-repo-reader.js";
import { gitChangeProbe } from "../../pipeline/host/git-change-probe.js";
import { gatewayChangeRepo } from "./helpers/repo-fixture.js";

/**
 * The module's functions that need no container, and its bad-input errors, run offline with the
 * host's reader and probe in place of the source Directory and the probe container.
 */
let scratch: string;
let pipeline: ModulePipeline;

beforeAll(async () => {
  const fixture = await gatewayChangeRepo();
  scratch = fixture.scratch;
  const ports: PipelinePorts = {
    reader: fsRepoReader(fixture.repo),
    changeProbe: () => gitChangeProbe(fixture.repo),
    executor: () => {
      throw new Error("no step may run in these tests");
    },
    log: () => {},
  };
  pipeline = new ModulePipeline(dag.host().directory(fixture.repo), ports);
});

afterAll(async () => {
  await rm(scratch, { recursive: true, force: true });
});

describe("graph and affected", () => {
  it("graph takes the environments the configs declare, and names them for any other", async () => {
    await expect(pipeline.graph("prod")).rejects.toThrow(
      'unknown environment "prod"; valid environments: @local, staging, production',
    );
  });

  it("graph lists the deploy waves, db first and gateway last", async () => {
    const text = await pipeline.graph("production");
    const waves = text.slice(text.indexOf("deploy waves:")).split("\n").slice(1);
    expect(waves[0]).toMatch(/^ {2}1\. .*\bdb\b/);
    expect(waves.at(-1)).toMatch(/\. gateway$/);
  });

  it("affected names the changed service with its reason", async () => {
    expect(await pipeline.affected("HEAD~1")).toContain(
      "gateway: changed: services/gateway/CHANGED.ts",
    );
  });
});

describe("bad input is a one-line error naming the valid choices, before anything runs", () => {
  it("an unknown service", async () => {
    const error = await pipeline.test("gatewy").catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(UnknownServiceError);
    expect((error as Error).message).toMatch(
      /^unknown service "gatewy"; valid services: .*gateway/,
    );
  });

  it("the tests of a Worker without a test script", async () => {
    const apps = join(import.meta.dirname, "../pipeline/fixtures/apps-packages");
    const noTests = new ModulePipeline(dag.host().directory(apps), {
      reader: fsRepoReader(apps),
      changeProbe: () => gitChangeProbe(apps),
      executor: () => {
        throw new Error("no step may run in these tests");
      },
      log: () => {},
    });
    await expect(noTests.test("auth")).rejects.toThrow(
      "auth: no tests (apps/auth/package.json has no test script)",
    );
  });

  it("a base ref that does not exist", async () => {
    await expect(pipeline.ci("no-such-branch")).rejects.toThrow(MissingBaseRefError);
  });

  it("a base ref that git would read as an option", async () => {
    await expect(pipeline.affected("--output=/tmp/x")).rejects.toThrow(
      '--base: "--output=/tmp/x" is not a git ref',
    );
  });
});
