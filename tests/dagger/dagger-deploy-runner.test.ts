import { dag } from "@dagger.io/dagger";
import { describe, expect, it } from "vitest";
import {
  buildCiSteps,
  discoverServices,
  findService,
  readToolchainVersions,
  wranglerArgs,
} from "#core";
import {
  ContainerWorkerDeployer,
  DaggerDeployRunner,
  wranglerContainer,
} from "../../dagger/src/dagger-deploy-runner.js";
import { DirectoryRepoReader } from "../../dagger/src/runner/directory-repo-reader.js";
import { stepContainers } from "../../dagger/src/runner/step-containers.js";
import { fsRepoReader } from "../../pipeline/host/fs-repo-reader.js";
import { MAIN_ROOT } from "../helpers/temp-repo.js";
import { secretProblems } from "./helpers/container-graph-rules.js";
import { type Operation, operationsOf } from "./helpers/sdk-internals.js";

// Built lazily, inspected without an engine: awaiting any leaf here would fail at once.
const CANARY = "canary-9b8a7c6d5e4f-token";

async function deployCall() {
  const catalog = await discoverServices(fsRepoReader(MAIN_ROOT));
  const source = dag.host().directory(".");
  const workspace = stepContainers(
    source,
    buildCiSteps(catalog, { parts: ["install"] }),
    await readToolchainVersions(fsRepoReader(MAIN_ROOT)),
  ).workspace;
  const token = dag.setSecret("cloudflare-token", CANARY);
  const accountId = dag.setSecret("cloudflare-account", "0123456789abcdef0123456789abcdef");
  const deployer = new ContainerWorkerDeployer(
    wranglerContainer(workspace, token, accountId),
    new DirectoryRepoReader(source),
  );
  const gateway = findService(catalog, "gateway");
  if (!gateway) throw new Error("no gateway service");
  return operationsOf(deployer.command(gateway, wranglerArgs.deploy("production")));
}

function flatten(ops: Operation[]): Operation[] {
  return ops.flatMap((op) => [
    op,
    ...Object.values(op.args).flatMap((value) =>
      Array.isArray(value) &&
      value.every((item) => typeof item === "object" && item && "operation" in item)
        ? flatten(value as Operation[])
        : [],
    ),
  ]);
}

describe("the Dagger deploy container graph", () => {
  it("passes the Cloudflare credentials only through withSecretVariable", async () => {
    const ops = await deployCall();
    const secretVariables = ops
      .filter((op) => op.operation === "withSecretVariable")
      .map((op) => op.args.name);
    expect(secretVariables).toEqual(["CLOUDFLARE_API_TOKEN", "CLOUDFLARE_ACCOUNT_ID"]);
    expect(secretProblems(ops)).toEqual([]);
    const envNames = flatten(ops)
      .filter((op) => op.operation === "withEnvVariable")
      .map((op) => op.args.name);
    expect(envNames).not.toContain("CLOUDFLARE_API_TOKEN");
    const exec = ops.filter((op) => op.operation === "withExec").at(-1);
    expect(exec?.args.args).toEqual(["pnpm", "exec", "wrangler", "deploy", "--env", "production"]);
  });

  it("keeps the token's value out of the container's operations", async () => {
    const ops = await deployCall();
    const outsideSecrets = ops.filter((op) => op.operation !== "withSecretVariable");
    expect(JSON.stringify(outsideSecrets)).not.toContain(CANARY);
  });

  it("would flag a token passed through withEnvVariable (the check can fail)", () => {
    const leaky = dag
      .container()
      .from("node:24.21.0-trixie-slim")
      .withEnvVariable("CLOUDFLARE_API_TOKEN", CANARY);
    expect(secretProblems(operationsOf(leaky))).not.toEqual([]);
  });
});

describe("the Dagger deploy's rollout options", () => {
  it("refuses bad ones in one line before anything runs (no engine is reachable here)", async () => {
    const runner = new DaggerDeployRunner(dag.host().directory("."));
    const deploy = (options: Record<string, string>) =>
      runner.deploy({ service: "db", base: "" }, "production", {}, false, options);
    await expect(deploy({ strategy: "foo" })).rejects.toThrow(
      '--strategy: "foo" is not a strategy; valid values: gradual, immediate',
    );
    await expect(deploy({ steps: "0,100" })).rejects.toThrow('--steps: "0,100" is not a list');
    await expect(deploy({ window: "-1" })).rejects.toThrow('--window: "-1" is not a number');
    await expect(
      runner.release("db", {}, { strategy: "immediate", steps: "10,100" }),
    ).rejects.toThrow("--steps only applies to --strategy gradual");
  });
});
