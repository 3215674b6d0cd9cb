import { execFileSync } from "node:child_process";
import { rm } from "node:fs/promises";
import { join } from "node:path";
import { dag } from "@dagger.io/dagger";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DetachedGitDirError, MissingBaseRefError, UnknownServiceError } from "#core";
import { ModulePipeline, type PipelinePorts } from "../../dagger/src/runner/module-pipeline.js";
import { fsRepoReader } from "../../pipeline/host/fs-repo-reader.js";
import { gitChangeProbe } from "../../pipeline/host/git-change-probe.js";
import { FIXTURES } from "../helpers/paths.js";
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
    const apps = join(FIXTURES, "apps-packages");
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

describe("a checkout made with git worktree", () => {
  it("says in one line that its history is outside the upload, before git runs", async () => {
    const worktree = join(scratch, "worktree");
    execFileSync("git", ["worktree", "add", "--quiet", "--detach", worktree], {
      cwd: join(scratch, "repo"),
      stdio: "pipe",
    });
    const inWorktree = new ModulePipeline(dag.host().directory(worktree), {
      reader: fsRepoReader(worktree),
      changeProbe: () => {
        throw new Error("git must not be asked in a worktree's upload");
      },
      executor: () => {
        throw new Error("no step may run in these tests");
      },
      log: () => {},
    });
    const failure = await inWorktree.affected("HEAD~1").then(
      () => undefined,
      (error: Error) => error,
    );
    expect(failure).toBeInstanceOf(DetachedGitDirError);
    expect(failure?.message).toMatch(
      /^affected needs git history, but \.git here is a file pointing to .*\/worktrees\/worktree \(a git worktree or submodule\), outside what is uploaded; run from the main checkout or a clone$/,
    );
    // The main checkout's history is its own.
    await expect(pipeline.affected("HEAD~1")).resolves.toContain("gateway");
  });
});
