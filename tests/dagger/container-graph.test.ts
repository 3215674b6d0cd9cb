import { CacheSharingMode, dag } from "@dagger.io/dagger";
import { beforeAll, describe, expect, it } from "vitest";
import { buildCiSteps, type Step, type ToolchainVersions } from "#core";
import { changeProbeContainer } from "../../dagger/src/runner/container-change-probe.js";
import {
  type StepContainers,
  stepContainers,
  stepSource,
} from "../../dagger/src/runner/step-containers.js";
import { toolchainContainer, WORKDIR } from "../../dagger/src/runner/toolchain.js";
import {
  cacheProblems,
  contentHashProblems,
  execsOf,
  filterOf,
  imageProblems,
  independenceProblems,
  installOrderProblems,
  secretProblems,
} from "./helpers/container-graph-rules.js";
import { repoCatalog, repoCiSteps, repoToolchain, stepById } from "./helpers/repo-steps.js";
import { type Operation, operationsOf } from "./helpers/sdk-internals.js";

// Built lazily: nothing here talks to an engine (awaiting a leaf would fail at once).
const source = dag.host().directory(".");
let steps: Step[];
let containers: StepContainers;
let install: string[];
let versions: ToolchainVersions;

beforeAll(async () => {
  steps = await repoCiSteps();
  versions = await repoToolchain();
  containers = stepContainers(source, steps, versions);
  install = stepById(steps, "install").command as string[];
});

const testSteps = () => steps.filter((step) => step.id.startsWith("test:") && step.service);

describe("the containers the module builds", () => {
  it("start from a pinned Debian-based Node image", () => {
    for (const step of steps.filter((candidate) => candidate.command)) {
      expect(imageProblems(operationsOf(containers.afterStep(step)))).toEqual([]);
    }
    expect(imageProblems(operationsOf(changeProbeContainer(source, versions)))).toEqual([]);
  });

  it("use the Node image and pnpm the repository asks for, with a store volume per pnpm major", () => {
    const theirs: ToolchainVersions = {
      node: { version: "22", image: "node:22-trixie-slim", source: ".nvmrc" },
      pnpm: { version: "9.15.0", source: "package.json packageManager" },
    };
    const ops = operationsOf(stepContainers(source, steps, theirs).workspace);
    expect(ops.filter((op) => op.operation === "from").map((op) => op.args.address)).toEqual([
      "node:22-trixie-slim",
    ]);
    expect(execsOf(ops)).toContainEqual(["npm", "install", "--global", "pnpm@9.15.0"]);
    const store = ops.find((op) => op.operation === "withMountedCache")?.args.cache;
    expect(store).toEqual([{ operation: "cacheVolume", args: { key: "pnpm-store-v9" } }]);
  });

  it("keep the pnpm store on a cache volume mounted with Locked sharing", () => {
    expect(cacheProblems(operationsOf(containers.workspace))).toEqual([]);
  });

  it("install with a frozen lockfile from manifests alone, before the sources are copied", () => {
    expect(install).toContain("--frozen-lockfile");
    expect(installOrderProblems(operationsOf(containers.workspace), install)).toEqual([]);
  });

  it("run every test step on the shared install layer, independent of the others", () => {
    expect(testSteps().length).toBeGreaterThan(1);
    const byStep = testSteps().map((step) => ({
      id: step.id,
      command: step.command as string[],
      ops: operationsOf(containers.afterStep(step)),
    }));
    expect(independenceProblems(operationsOf(containers.installed), byStep)).toEqual([]);
  });

  it("copy only content-hashed (filtered) directories into step containers", () => {
    expect(contentHashProblems(operationsOf(containers.workspace))).toEqual([]);
    for (const step of steps.filter((candidate) => candidate.command)) {
      expect(contentHashProblems(operationsOf(containers.afterStep(step)))).toEqual([]);
    }
  });

  it("give each step only its own inputs, without git history (and package steps without docs)", () => {
    const sourceOf = (id: string) => {
      const ops = operationsOf(containers.afterStep(stepById(steps, id)));
      const copy = ops.filter((op) => op.operation === "withDirectory").at(-1);
      return copy ? filterOf(copy) : undefined;
    };
    const db = sourceOf("test:db");
    expect(db?.include).toContain("services/db/**");
    expect(db?.include).toContain("pnpm-lock.yaml");
    expect(db?.include?.some((pattern) => pattern.startsWith("services/gateway"))).toBe(false);
    expect(sourceOf("test:gateway")?.include).toContain("services/db/**");
    expect(sourceOf("typecheck")?.include).toBeUndefined();
    for (const step of steps.filter(
      (candidate) => candidate.command && candidate.id !== "install",
    )) {
      // The tooling suites read README.md and docs/: steps of the whole repository keep them.
      const docs = step.inputs.includes(".") ? [] : ["**/*.md", "docs"];
      expect(sourceOf(step.id)?.exclude).toEqual([".git", ...docs]);
    }
  });

  it("give a Worker's test step the libraries it bundles", () => {
    const includeOf = (id: string) =>
      filterOf(
        operationsOf(containers.afterStep(stepById(steps, id)))
          .filter((op) => op.operation === "withDirectory")
          .at(-1) as Operation,
      )?.include ?? [];
    expect(includeOf("test:mcp")).toEqual(
      expect.arrayContaining(["packages/http/**", "packages/testing/**"]),
    );
    // Every Worker bundles @workers/http (its health body); none bundles the control plane.
    expect(includeOf("test:db")).toContain("packages/http/**");
    expect(includeOf("test:db")).not.toContain("packages/local-cloud/**");
    expect(includeOf("integration")).toEqual(expect.arrayContaining(["packages/http/**"]));
  });

  it("give the scoped typecheck (ci --base) the workspace packages the checked ones import", async () => {
    // mcp imports @workers/db (and others): tsc in the container must find their sources.
    const scoped = buildCiSteps(await repoCatalog(), {
      services: ["mcp"],
      scope: { integrationChanged: false },
    });
    const typecheck = stepById(scoped, "typecheck");
    expect(typecheck.command).toEqual(["pnpm", "--filter", "@workers/mcp", "run", "typecheck"]);
    const copy = operationsOf(stepContainers(source, scoped, versions).afterStep(typecheck))
      .filter((op) => op.operation === "withDirectory")
      .at(-1) as Operation;
    expect(filterOf(copy)?.include).toEqual(
      expect.arrayContaining([
        "services/mcp/**",
        "services/db/**",
        "services/email/**",
        "services/queue/**",
        "packages/http/**",
        "packages/testing/**",
      ]),
    );
    expect(filterOf(copy)?.include).not.toContain("services/gateway/**");
  });

  it("pass nothing secret-looking through withEnvVariable or argv", () => {
    for (const step of steps.filter((candidate) => candidate.command)) {
      expect(secretProblems(operationsOf(containers.afterStep(step)))).toEqual([]);
    }
    expect(secretProblems(operationsOf(changeProbeContainer(source, versions)))).toEqual([]);
  });

  it("give git history to the change probe only", () => {
    const sourceCopies = (ops: Operation[]) =>
      ops.filter((op) => op.operation === "withDirectory" && filterOf(op)?.include === undefined);
    const excludes = (ops: Operation[]) => sourceCopies(ops).map((op) => filterOf(op)?.exclude);
    expect(excludes(operationsOf(containers.workspace))).toEqual([[".git"]]);
    for (const step of testSteps()) {
      expect(
        operationsOf(containers.afterStep(step))
          .filter((op) => op.operation === "withDirectory")
          .every((op) => filterOf(op)?.exclude?.includes(".git") || filterOf(op)?.include),
      ).toBe(true);
    }
    expect(excludes(operationsOf(changeProbeContainer(source, versions)))).toEqual([undefined]);
    expect(sourceCopies(operationsOf(changeProbeContainer(source, versions)))).toHaveLength(1);
  });
});

// Each rule must be able to fail: feed it a container broken in exactly the way it guards against.
describe("the container rules catch broken containers", () => {
  const installed = (from: string) =>
    dag
      .container()
      .from(from)
      .withDirectory(WORKDIR, source, { include: ["package.json", "pnpm-lock.yaml"] })
      .withExec(["pnpm", "install", "--frozen-lockfile"])
      .withDirectory(WORKDIR, source);

  it("an unpinned or Alpine image", () => {
    expect(imageProblems(operationsOf(installed("node:24-slim")))).toEqual([
      "image node:24-slim is not pinned to an exact version or digest",
    ]);
    expect(imageProblems(operationsOf(installed("node:latest")))).toHaveLength(1);
    expect(imageProblems(operationsOf(installed("node:24.21.0-alpine")))).toEqual([
      "image node:24.21.0-alpine is Alpine (musl); workerd needs a glibc (Debian) image",
    ]);
  });

  it("a store cache in shared mode, or none", () => {
    const shared = dag
      .container()
      .from("node:24.21.0-trixie-slim")
      .withMountedCache("/pnpm-store", dag.cacheVolume("pnpm"), {
        sharing: CacheSharingMode.Shared,
      })
      .withEnvVariable("pnpm_config_store_dir", "/pnpm-store");
    expect(cacheProblems(operationsOf(shared))).toEqual([
      "cache at /pnpm-store is mounted with sharing SHARED, not LOCKED",
    ]);
    expect(cacheProblems(operationsOf(installed("node:24.21.0-trixie-slim")))).toEqual([
      "the pnpm store (pnpm_config_store_dir) is not on a cache volume",
    ]);
  });

  it("an install after the sources, or without a frozen lockfile", () => {
    const late = toolchainContainer(versions)
      .withDirectory(WORKDIR, source)
      .withExec(["pnpm", "install", "--frozen-lockfile"])
      .withDirectory(WORKDIR, source);
    expect(
      installOrderProblems(operationsOf(late), ["pnpm", "install", "--frozen-lockfile"]),
    ).toEqual([
      'a directory copied before the install is not limited to manifests and lockfile (include: "everything")',
    ]);
    const unfrozen = toolchainContainer(versions)
      .withDirectory(WORKDIR, source.filter({ include: ["package.json"] }))
      .withExec(["pnpm", "install"])
      .withDirectory(WORKDIR, source);
    expect(installOrderProblems(operationsOf(unfrozen), ["pnpm", "install"])).toEqual([
      "the install (pnpm install) does not use --frozen-lockfile",
    ]);
  });

  it("test steps chained one after another", () => {
    const [first, second] = testSteps();
    if (!first?.command || !second?.command) {
      throw new Error("the repository needs two services for this check");
    }
    const chained = containers.afterStep(first).withExec(second.command);
    const problems = independenceProblems(operationsOf(containers.installed), [
      { id: first.id, command: first.command, ops: operationsOf(containers.afterStep(first)) },
      { id: second.id, command: second.command, ops: operationsOf(chained) },
    ]);
    expect(problems).toEqual([
      `${second.id} adds 3 calls to the install layer, not only its sources and its own command`,
      `${second.id} runs after ${first.id} (its container contains ${first.id}'s command)`,
    ]);
  });

  it("a test step that keeps the Locked store mounted", () => {
    const [step] = testSteps();
    if (!step?.command) {
      throw new Error("the repository needs a service for this check");
    }
    const mounted = containers.installed
      .withDirectory(WORKDIR, stepSource(source, step))
      .withMountedCache("/pnpm-store", dag.cacheVolume("pnpm"), {
        sharing: CacheSharingMode.Locked,
      })
      .withExec(step.command);
    const byStep = [{ id: step.id, command: step.command, ops: operationsOf(mounted) }];
    expect(independenceProblems(operationsOf(containers.installed), byStep)).toEqual([
      `${step.id} adds 3 calls to the install layer, not only its sources and its own command`,
      `${step.id} runs with the Locked cache at /pnpm-store mounted: parallel steps would queue on it`,
    ]);
  });

  it("a copy filtered by withDirectory's own include/exclude, or not filtered at all", () => {
    const unhashed = toolchainContainer(versions)
      .withDirectory(WORKDIR, source, { exclude: [".git"] })
      .withDirectory("/all", source);
    expect(contentHashProblems(operationsOf(unhashed))).toEqual([
      `withDirectory ${WORKDIR} filters with its own include/exclude, which the engine does not hash by content; copy a Directory.filter result`,
      "withDirectory /all copies an unfiltered directory (with .git): every commit busts its cache",
    ]);
  });

  it("a token in an environment variable or in argv", () => {
    const leaky = toolchainContainer(versions)
      .withEnvVariable("CLOUDFLARE_API_TOKEN", "canary-value")
      .withExec(["wrangler", "deploy", "--api-token", "canary-value"])
      .withExec(["env", "CLOUDFLARE_API_TOKEN=canary-value", "wrangler", "deploy"]);
    expect(secretProblems(operationsOf(leaky))).toEqual([
      "withEnvVariable CLOUDFLARE_API_TOKEN looks like a secret; use withSecretVariable",
      'argv of wrangler deploy --api-token canary-value carries a secret-looking "--api-token"',
      'argv of env CLOUDFLARE_API_TOKEN=canary-value wrangler deploy carries a secret-looking "CLOUDFLARE_API_TOKEN=canary-value"',
    ]);
  });
});
