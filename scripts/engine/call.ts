/**
 * Runs the Dagger module's functions on a real engine, as `dagger call <function>` would: the
 * same ModulePipeline and DaggerDeployRunner, over the repository loaded with the module's own
 * ignore list. `dagger call` itself cannot load a TypeScript module on an engine built here (its
 * SDK runtime is not on any registry we reach), so this drives the module's code through the
 * SDK's client instead.
 *
 *   pnpm run engine:ci [-- --base origin/main]
 *   pnpm run engine:call -- test --service gateway --export /tmp/gateway
 *   pnpm run engine:call -- deploy --service all --env @local   # to this host's local control plane
 *   pnpm run engine:call -- deploy --service all --env staging --dry-run \
 *     --token env://CLOUDFLARE_API_TOKEN --account env://CLOUDFLARE_ACCOUNT_ID
 *
 * `--repo <path>` runs on another checkout (default: this one). `--json <file>` writes each step
 * run with a digest of its output: a step the engine answered from its cache repeats the output
 * of the run that filled the cache, timestamps included, so equal digests show a cache hit.
 *
 * Exit codes: 0 passed, 1 the function failed (its message printed as `dagger call` prints
 * it), 2 bad input or no engine.
 */
import { createHash } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { resolve } from "node:path";
import { parseArgs } from "node:util";
import { type Container, connection, type Directory, dag, type Secret } from "@dagger.io/dagger";
import { renderTerminal } from "../../dagger/src/core/deploy/render-report.js";
import type { RunEvent } from "../../dagger/src/core/scheduler.js";
import { LOCAL_TARGET } from "../../dagger/src/core/services/catalog.js";
import { DaggerDeployRunner, DeployFailedError } from "../../dagger/src/dagger-deploy-runner.js";
import { containerPorts, ModulePipeline } from "../../dagger/src/runner/module-pipeline.js";
import { WORKDIR } from "../../dagger/src/runner/toolchain.js";
import { NoEngineError, useEngine } from "./engine-env.js";
import { deployToLocalCloud } from "./local-cloud-deploy.js";
import { SOURCE_IGNORE } from "./source-ignore.js";

const REPO_ROOT = resolve(import.meta.dirname, "..", "..");

class UsageError extends Error {}

const CONTAINER_FUNCTIONS = ["typecheck", "lint", "tooling", "integration", "coverage", "test"];
const FUNCTIONS = [...CONTAINER_FUNCTIONS, "ci", "affected", "graph", "deploy"];

const OPTIONS = {
  base: { type: "string" },
  service: { type: "string" },
  env: { type: "string" },
  token: { type: "string" },
  account: { type: "string" },
  "dry-run": { type: "boolean" },
  export: { type: "string" },
  repo: { type: "string" },
  json: { type: "string" },
} as const;

type Options = ReturnType<typeof parse>["values"];

function parse(args: string[]) {
  try {
    return parseArgs({ args, options: OPTIONS, allowPositionals: true, strict: true });
  } catch (error) {
    throw new UsageError(`engine:call: ${(error as Error).message}`);
  }
}

/** `env://NAME` or `file://PATH`, as `dagger call` reads a Secret; never the value itself. */
function secretFrom(flag: string, reference: string | undefined): Secret | undefined {
  if (reference === undefined) return undefined;
  const [, scheme, where = ""] = /^(env|file):\/\/(.+)$/.exec(reference) ?? [];
  if (!scheme) {
    throw new UsageError(
      `engine:call: --${flag} takes a reference (env://NAME or file://PATH), not a value`,
    );
  }
  const value = scheme === "env" ? process.env[where] : readFileSync(where, "utf8").trim();
  if (!value) {
    throw new UsageError(`engine:call: --${flag} ${reference} is empty or unset`);
  }
  return dag.setSecret(`${flag}-${where}`, value);
}

function required(name: keyof Options, values: Options): string {
  const value = values[name];
  if (typeof value !== "string" || value === "") {
    throw new UsageError(`engine:call: --${name} is required`);
  }
  return value;
}

interface StepRecord {
  id: string;
  status?: string;
  exitCode?: number;
  durationMs?: number;
  outputSha256?: string;
}

/** Each step's outcome and a digest of everything it printed, in the order steps ended. */
function stepRecorder() {
  const output = new Map<string, ReturnType<typeof createHash>>();
  const records: StepRecord[] = [];
  const onEvent = (event: RunEvent) => {
    const id = event.step.id;
    if (event.type === "output") {
      output.set(id, (output.get(id) ?? createHash("sha256")).update(event.text));
    } else if (event.type === "end") {
      const { status, exitCode, durationMs } = event.result;
      records.push({
        id,
        status,
        ...(exitCode === undefined ? {} : { exitCode }),
        durationMs,
        outputSha256: (output.get(id) ?? createHash("sha256")).digest("hex"),
      });
    }
  };
  return { onEvent, records };
}

async function call(fn: string, values: Options, onEvent: (event: RunEvent) => void) {
  const source = dag
    .host()
    .directory(resolve(values.repo ?? REPO_ROOT), { exclude: SOURCE_IGNORE });
  const pipeline = new ModulePipeline(source, { ...containerPorts(source), onEvent });
  const finish = async (container: Container) => {
    const synced = await container.sync();
    if (values.export) {
      await synced.directory(WORKDIR).export(resolve(values.export));
      return `${fn}: passed; ${WORKDIR} exported to ${resolve(values.export)}`;
    }
    return `${fn}: passed`;
  };
  switch (fn) {
    case "ci":
      return pipeline.ci(values.base);
    case "affected":
      return pipeline.affected(required("base", values));
    case "graph":
      return pipeline.graph(values.env ?? "production");
    case "test":
      return finish(await pipeline.test(values.service));
    case "coverage":
      return finish(await pipeline.coverage());
    case "typecheck":
    case "lint":
    case "tooling":
    case "integration":
      return finish(await pipeline.part(fn));
    case "deploy":
      if (values.env === LOCAL_TARGET || values.env === "local") {
        return deployLocally(
          source,
          resolve(values.repo ?? REPO_ROOT),
          required("service", values),
        );
      }
      return new DaggerDeployRunner(source).deploy(
        { service: values.service ?? "", base: values.base ?? "" },
        required("env", values),
        {
          token: secretFrom("token", values.token),
          accountId: secretFrom("account", values.account),
        },
        values["dry-run"] === true,
      );
    default:
      throw new UsageError(`engine:call: unknown function "${fn}"; valid: ${FUNCTIONS.join(", ")}`);
  }
}

/**
 * `deploy --env @local`: wrangler in the engine's containers, deploying to the repository's local
 * control plane on this host (started if needed), the way the Dagger runner deploys anywhere.
 */
async function deployLocally(source: Directory, repoRoot: string, service: string) {
  const { ensureLocalCloud } = await import("../../pipeline/local-cloud/index.js");
  const cloud = await ensureLocalCloud(repoRoot);
  const report = await deployToLocalCloud(source, repoRoot, service, cloud, (line) =>
    console.log(line),
  );
  if (!report.ok) throw new DeployFailedError(report);
  return renderTerminal(report);
}

async function main(argv: string[]): Promise<number> {
  // `pnpm run engine:ci -- --base x` passes the `--` on.
  const { positionals, values } = parse(argv[0] === "--" ? argv.slice(1) : argv);
  const [fn, ...extra] = positionals;
  if (fn === undefined || !FUNCTIONS.includes(fn) || extra.length > 0) {
    throw new UsageError(
      `engine:call: expected one function, got ${JSON.stringify(positionals.join(" "))}; valid: ${FUNCTIONS.join(", ")}`,
    );
  }
  await useEngine(REPO_ROOT);
  let failure: unknown;
  const recorder = stepRecorder();
  const started = Date.now();
  await connection(
    async () => {
      try {
        console.log(await call(fn, values, recorder.onEvent));
      } catch (error) {
        failure = error;
      }
    },
    {
      LogOutput: process.env.ENGINE_PROGRESS ? process.stderr : undefined,
      // Outside the repository: in it, the CLI's session would try to load dagger.json's module,
      // which needs the TypeScript SDK runtime that an engine built here does not have.
      Workdir: tmpdir(),
    },
  );
  if (values.json) {
    const report = {
      function: fn,
      ok: failure === undefined,
      durationMs: Date.now() - started,
      steps: recorder.records,
    };
    writeFileSync(values.json, `${JSON.stringify(report, null, 2)}\n`);
  }
  if (failure !== undefined) {
    if (failure instanceof UsageError) throw failure;
    // What `dagger call` prints for a failed function: its error message.
    console.error(`Error: ${failure instanceof Error ? failure.message : String(failure)}`);
    return 1;
  }
  return 0;
}

try {
  process.exitCode = await main(process.argv.slice(2));
} catch (error) {
  if (error instanceof UsageError || error instanceof NoEngineError) {
    console.error(error.message);
    process.exitCode = 2;
  } else {
    throw error;
  }
}
