import { spawnSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { rm } from "node:fs/promises";
import { join } from "node:path";
import { type Container, type Directory, ExecError } from "@dagger.io/dagger";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  detectAffected,
  discoverServices,
  LOG_TAIL_LINES,
  MissingBaseRefError,
  type Step,
} from "#core";
import { containerChangeProbe } from "../../dagger/src/runner/container-change-probe.js";
import { ContainerStepExecutor } from "../../dagger/src/runner/container-step-executor.js";
import { DirectoryRepoReader } from "../../dagger/src/runner/directory-repo-reader.js";
import type { StepContainers } from "../../dagger/src/runner/step-containers.js";
import { fsRepoReader } from "../../pipeline/host/fs-repo-reader.js";
import { gitChangeProbe } from "../../pipeline/host/git-change-probe.js";
import { coverageMap } from "../helpers/coverage-maps.js";
import { gatewayChangeRepo } from "./helpers/repo-fixture.js";

/** What the SDK throws when an exec run with the default `expect` fails. */
function execError(cmd: string[], exitCode: number, stdout: string, stderr: string): ExecError {
  return new ExecError(`process "${cmd.join(" ")}" did not complete successfully`, {
    cmd,
    exitCode,
    stdout,
    stderr,
  });
}

/**
 * The container adapters without an engine: a stand-in Container runs each withExec on the host
 * (in a real git repository), so the probe's argv and parsing meet real git and pnpm. Like the
 * engine with the default `expect`, a failed command rejects every leaf with an ExecError.
 */
function hostBackedContainer(cwd: string): Container {
  return {
    withExec(args: string[]) {
      const [file, ...rest] = args;
      const result = spawnSync(file as string, rest, { cwd, encoding: "utf8" });
      const synced = {
        stdout: async () => result.stdout,
        stderr: async () => result.stderr,
      };
      return {
        sync: async () => {
          if (result.status !== 0) {
            throw execError(args, result.status ?? 1, result.stdout, result.stderr);
          }
          return synced;
        },
      };
    },
  } as unknown as Container;
}

/** A stand-in Directory over a host folder; `slash` marks directories in entries like newer engines. */
function hostBackedDirectory(root: string, slash: boolean): Directory {
  const at = (path: string) => join(root, path);
  const directory = (base: string): Directory =>
    ({
      exists: async (path: string, opts?: { expectedType?: string }) => {
        const full = at(join(base, path));
        if (!existsSync(full)) {
          return false;
        }
        const isDirectory = statSync(full).isDirectory();
        return opts?.expectedType === "DIRECTORY_TYPE" ? isDirectory : !isDirectory;
      },
      file: (path: string) => ({
        contents: async () => readFileSync(at(join(base, path)), "utf8"),
      }),
      directory: (path: string) => ({
        entries: async () =>
          readdirSync(at(join(base, path)), { withFileTypes: true }).map(
            (entry) => `${entry.name}${slash && entry.isDirectory() ? "/" : ""}`,
          ),
      }),
    }) as unknown as Directory;
  return directory("");
}

let scratch: string;
let clone: string;

beforeAll(async () => {
  ({ scratch, repo: clone } = await gatewayChangeRepo());
});

afterAll(async () => {
  await rm(scratch, { recursive: true, force: true });
});

describe("the Directory reader", () => {
  it.each([true, false])(
    "discovers what the host reader discovers (trailing slash: %s)",
    async (slash) => {
      const fromDirectory = await discoverServices(
        new DirectoryRepoReader(hostBackedDirectory(clone, slash)),
      );
      expect(fromDirectory).toEqual(await discoverServices(fsRepoReader(clone)));
      expect(fromDirectory.services.map((service) => service.name)).toContain("gateway");
    },
  );
});

describe("the container change probe", () => {
  it("finds what the host probe finds", async () => {
    const catalog = await discoverServices(fsRepoReader(clone));
    const inContainer = await detectAffected(
      catalog,
      containerChangeProbe(hostBackedContainer(clone)),
      "HEAD~1",
    );
    expect(inContainer).toEqual(await detectAffected(catalog, gitChangeProbe(clone), "HEAD~1"));
    expect(inContainer.services.map((service) => service.name)).toEqual(["gateway"]);
  });

  it("reports a missing base ref like the host", async () => {
    const catalog = await discoverServices(fsRepoReader(clone));
    await expect(
      detectAffected(catalog, containerChangeProbe(hostBackedContainer(clone)), "no-such-branch"),
    ).rejects.toThrow(MissingBaseRefError);
  });
});

describe("the container step executor", () => {
  const step: Step = {
    id: "test:db",
    title: "unit tests of db",
    kind: "command",
    command: ["pnpm", "--filter", "@workers/db", "run", "test"],
    needs: ["install"],
    inputs: [],
    service: "db",
    coverageSubject: "db",
    coverageMap: "services/db/coverage/coverage-final.json",
  };
  const containersWith = (exitCode: number, output: string, map?: string): StepContainers =>
    ({
      afterStep: () => ({
        sync: async () => {
          if (exitCode !== 0) {
            throw execError(step.command as string[], exitCode, output, "stderr tail");
          }
          return {
            combinedOutput: async () => output,
            exists: async (path: string) => map !== undefined && path === step.coverageMap,
            file: () => ({ contents: async () => map }),
          };
        },
      }),
    }) as unknown as StepContainers;

  it("turns a failed command's error into its exit code and log tail", async () => {
    const output = Array.from({ length: 100 }, (_, line) => `line ${line + 1}`).join("\n");
    const seen: string[] = [];
    const outcome = await new ContainerStepExecutor(containersWith(3, output)).execute(step, {
      onOutput: (text) => seen.push(text),
    });
    expect(outcome.exitCode).toBe(3);
    expect(outcome.logTail.split("\n")).toHaveLength(LOG_TAIL_LINES);
    expect(outcome.logTail.endsWith("line 100\nstderr tail")).toBe(true);
    expect(outcome.coverageMap).toBeUndefined();
    expect(seen).toEqual([`${output}\nstderr tail`]);
  });

  it("lets an engine fault that is not a command's outcome fail the run", async () => {
    const broken = {
      afterStep: () => ({
        sync: async () => {
          throw new Error("connection to the engine lost");
        },
      }),
    } as unknown as StepContainers;
    await expect(
      new ContainerStepExecutor(broken).execute(step, { onOutput: () => {} }),
    ).rejects.toThrow("connection to the engine lost");
  });

  it("returns the tail of the output and the coverage map of a passed step", async () => {
    const output = Array.from({ length: 100 }, (_, line) => `line ${line + 1}`).join("\n");
    const map = coverageMap({ "/workspace/services/db/src/index.ts": { statements: [1, 0] } });
    const seen: string[] = [];
    const outcome = await new ContainerStepExecutor(
      containersWith(0, output, JSON.stringify(map)),
    ).execute(step, {
      onOutput: (text) => seen.push(text),
    });
    expect(outcome.exitCode).toBe(0);
    expect(outcome.logTail.split("\n")).toHaveLength(LOG_TAIL_LINES);
    expect(outcome.logTail.endsWith("line 100")).toBe(true);
    expect(outcome.coverageMap).toEqual(map);
    expect(seen).toEqual([output]);
  });

  it("fails the step on a map that is not istanbul's, naming what it found", async () => {
    const broken = JSON.stringify({ "/workspace/a.ts": { path: "/workspace/a.ts", s: {} } });
    await expect(
      new ContainerStepExecutor(containersWith(0, "ok", broken)).execute(step, {
        onOutput: () => {},
      }),
    ).rejects.toThrow("Invalid file coverage object, missing keys, found:path,s");
  });

  it("reports no coverage when the step wrote no map", async () => {
    const outcome = await new ContainerStepExecutor(containersWith(0, "ok")).execute(step, {
      onOutput: () => {},
    });
    expect(outcome).toEqual({ exitCode: 0, logTail: "ok" });
  });
});
