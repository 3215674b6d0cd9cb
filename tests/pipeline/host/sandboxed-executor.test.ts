import { mkdir, readdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { buildCiSteps, discoverServices, type Step } from "#core";
import { fsRepoReader } from "../../../pipeline/host/fs-repo-reader.js";
import { REPO_ROOT } from "../../helpers/paths.js";
import { authSteps, runOnHost, statusOf, stepRepo } from "../../helpers/step-repo.js";

/** What a tool's cache does in a service's node_modules: it counts the runs that wrote it. */
const COUNTS_RUNS_IN_A_TOOL_CACHE = `const cache = "node_modules/.tool-cache/runs";
const earlier = existsSync(cache) ? readFileSync(cache, "utf8") : "";
mkdirSync("node_modules/.tool-cache", { recursive: true });
writeFileSync(cache, earlier + "run\\n");
console.log(\`tool cache: \${earlier.split("\\n").filter(Boolean).length} earlier runs\`);
`;

/** A line a service's test could have: the repository's README, two folders up. */
const READS_README = `readFileSync("../../README.md", "utf8");\n`;

describe("a step in its sandbox", () => {
  it("lints the affected packages with biome, which finds the root's ignore file there", async () => {
    // This repository's biome.json follows .gitignore (vcs.useIgnoreFile): without the root
    // .gitignore in its sandbox, `ci --base` failed its lint with "couldn't find an ignore file".
    const catalog = await discoverServices(fsRepoReader(REPO_ROOT));
    const lint = buildCiSteps(catalog, {
      parts: ["lint"],
      services: ["gateway"],
      scope: { integrationChanged: false },
    }).find((step) => step.id === "lint");
    expect(lint?.command?.slice(-2)).toEqual(["ci", "services/gateway"]);
    // The checkout's install is there already: no install step before it.
    const { run, output } = await runOnHost(REPO_ROOT, [{ ...(lint as Step), needs: [] }]);
    expect(output.get("lint")).not.toContain("ignore file");
    expect(statusOf(run, "lint")).toBe("passed");
  });

  it("fails when its test reads a file outside its inputs, naming the step and the file", async () => {
    const repo = await stepRepo();
    const test = join(repo, "services/auth/test.mjs");
    await writeFile(test, (await readFile(test, "utf8")) + READS_README);
    const steps = await authSteps(repo);

    const sandboxed = await runOnHost(repo, steps);
    expect(statusOf(sandboxed.run, "test:auth")).toBe("failed");
    const tail = sandboxed.run.steps.find((step) => step.id === "test:auth")?.logTail;
    expect(tail).toContain("ENOENT");
    expect(tail).toContain(
      "[pipeline] test:auth read README.md, which is not among its inputs: its sandbox (like its container) does not have it",
    );

    // The escape hatch runs in the checkout, where the file is.
    const inCheckout = await runOnHost(repo, steps, { sandbox: false });
    expect(statusOf(inCheckout.run, "test:auth")).toBe("passed");
  });

  it("reaches a shared package through the node_modules link, in the sandbox's copy", async () => {
    const repo = await stepRepo();
    const { run, output } = await runOnHost(repo, await authSteps(repo));
    expect(statusOf(run, "test:auth")).toBe("passed");
    expect(output.get("test:auth")).toContain("auth: 1 test passed");
    // pnpm's relative link, recreated as written, leads to the sandbox's db, not the checkout's.
    expect(output.get("test:auth")).toMatch(
      /@workers\/db from file:\/\/\S*\/pipeline-sandbox-[^/]+\/services\/db\/src\/value\.mjs/,
    );
  });

  it("runs pnpm in a checkout whose node_modules holds pnpm's task state from an earlier run", async () => {
    const repo = await stepRepo();
    // What `pnpm run` leaves in a checkout; pnpm refuses one reached through a symlink.
    await mkdir(join(repo, "node_modules/.pnpm-task-run-state-v1"), { recursive: true });
    await writeFile(join(repo, "node_modules/.pnpm-task-run-state-v1/latest.json"), "{}");
    const { run, output } = await runOnHost(repo, await authSteps(repo));
    expect(output.get("test:auth")).not.toContain("ERR_PNPM_UNSAFE_TASK_RUN_STATE_PATH");
    expect(statusOf(run, "test:auth")).toBe("passed");
  });

  it("runs pnpm on the checkout's install, never installing again through it", async () => {
    const repo = await stepRepo();
    const state = join(repo, "node_modules/.pnpm-workspace-state-v1.json");
    const installed = await readFile(state, "utf8");
    const { run, output } = await runOnHost(repo, await authSteps(repo));
    expect(statusOf(run, "test:auth")).toBe("passed");
    // An install from the sandbox would have recorded the sandbox's paths in the checkout's state.
    expect(await readFile(state, "utf8")).toBe(installed);
    expect(output.get("test:auth")).not.toMatch(/Done in|ERR_PNPM_VERIFY_DEPS_BEFORE_RUN/);
  });

  it("copies its coverage back to the checkout, naming the checkout's files", async () => {
    const repo = await stepRepo();
    const { run } = await runOnHost(repo, await authSteps(repo, ["test", "coverage"]));
    expect(statusOf(run, "coverage")).toBe("passed");
    const map = JSON.parse(
      await readFile(join(repo, "services/auth/coverage/coverage-final.json"), "utf8"),
    );
    expect(Object.keys(map)).toEqual([join(repo, "services/auth/src/index.ts")]);
  });

  it("leaves the checkout without the files the step wrote elsewhere", async () => {
    const repo = await stepRepo();
    const test = join(repo, "services/auth/test.mjs");
    await writeFile(test, `${await readFile(test, "utf8")}writeFileSync("scratch.txt", "x");\n`);
    const { run } = await runOnHost(repo, await authSteps(repo));
    expect(statusOf(run, "test:auth")).toBe("passed");
    await expect(readFile(join(repo, "services/auth/scratch.txt"))).rejects.toThrow(/ENOENT/);
  });

  it("keeps a cache a tool made in node_modules for the next run, as a cache volume", async () => {
    const repo = await stepRepo();
    const test = join(repo, "services/auth/test.mjs");
    await writeFile(test, `${await readFile(test, "utf8")}${COUNTS_RUNS_IN_A_TOOL_CACHE}`);
    const steps = await authSteps(repo);

    const first = await runOnHost(repo, steps);
    expect(first.output.get("test:auth")).toContain("tool cache: 0 earlier runs");
    const second = await runOnHost(repo, steps);
    expect(second.output.get("test:auth")).toContain("tool cache: 1 earlier runs");
    // Written through the link the second time, as by a run in the checkout.
    expect(await readFile(join(repo, "services/auth/node_modules/.tool-cache/runs"), "utf8")).toBe(
      "run\nrun\n",
    );
    // pnpm's task state belongs to its run: never kept.
    expect(
      (await readdir(join(repo, "node_modules"))).filter((name) => name.startsWith(".pnpm-task")),
    ).toEqual([]);
  });
});
