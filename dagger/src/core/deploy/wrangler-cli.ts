import * as z from "zod";
import { type DeployTarget, LOCAL_TARGET } from "../services/catalog.js";
import { originArgs, type RunPlace, type VersionOrigin } from "./annotations.js";
import {
  deploymentsSchema,
  servedVersionsOldestFirst,
  WORKER_NOT_FOUND_CODES,
} from "./deployment-history.js";
import type { VersionShare } from "./ports.js";

/**
 * The wrangler command lines and output parsing shared by the host (execa) and the Dagger
 * module (containers), so both deploy with the same commands. Credentials never appear here:
 * they travel in the child's environment (CLOUDFLARE_API_TOKEN, CLOUDFLARE_ACCOUNT_ID).
 */

/** Where wrangler appends its ND-JSON records (set as WRANGLER_OUTPUT_FILE_PATH). */
export const WRANGLER_OUTPUT_ENV = "WRANGLER_OUTPUT_FILE_PATH";

/** `@local` is the top level of the wrangler config; the others are its env sections. */
export function envArgs(target: DeployTarget): string[] {
  return target === LOCAL_TARGET ? [] : ["--env", target];
}

export const wranglerArgs = {
  deploymentsList: (target: DeployTarget) => ["deployments", "list", "--json", ...envArgs(target)],
  migrate: (target: DeployTarget, database: string) => [
    "d1",
    "migrations",
    "apply",
    database,
    "--remote",
    ...envArgs(target),
  ],
  deploy: (
    target: DeployTarget,
    secretsFile?: string,
    origin?: VersionOrigin,
    place?: RunPlace,
  ) => [
    "deploy",
    ...(secretsFile ? ["--secrets-file", secretsFile] : []),
    ...originArgs(origin, place),
    ...envArgs(target),
  ],
  versionsUpload: (
    target: DeployTarget,
    secretsFile?: string,
    origin?: VersionOrigin,
    place?: RunPlace,
  ) => [
    "versions",
    "upload",
    ...(secretsFile ? ["--secrets-file", secretsFile] : []),
    ...originArgs(origin, place),
    ...envArgs(target),
  ],
  versionsDeploy: (target: DeployTarget, split: VersionShare[], message: string) => [
    "versions",
    "deploy",
    ...split.map(({ versionId, percentage }) => `${versionId}@${percentage}%`),
    "-y",
    "--message",
    message,
    ...envArgs(target),
  ],
  rollback: (target: DeployTarget, versionId: string, message: string) => [
    "rollback",
    versionId,
    "-m",
    message,
    "-y",
    ...envArgs(target),
  ],
};

/** The fields read from wrangler's ND-JSON records (`deploy` and `command-failed`). */
const outputRecordSchema = z.object({
  type: z.string(),
  version_id: z.string().nullish(),
  targets: z.array(z.string()).nullish(),
  preview_url: z.string().nullish(),
  code: z.union([z.number(), z.string()]).nullish(),
  message: z.string().nullish(),
});
export type WranglerOutputRecord = z.infer<typeof outputRecordSchema>;

export function parseWranglerOutput(ndjson: string): WranglerOutputRecord[] {
  return ndjson
    .split("\n")
    .filter((line) => line.trim().length > 0)
    .flatMap((line) => {
      try {
        const parsed = outputRecordSchema.safeParse(JSON.parse(line));
        return parsed.success ? [parsed.data] : [];
      } catch {
        return [];
      }
    });
}

export interface WranglerRun {
  exitCode: number;
  stdout: string;
  stderr: string;
  records: WranglerOutputRecord[];
  /** Set when the runner stopped the call before it ended: why (e.g. an interruption's grace ran out). */
  stopped?: string;
}

/**
 * wrangler's own error message, from its output file when it wrote one, with the details it
 * printed under `[ERROR]` on stderr (the API's notes, e.g. "Uncaught Error: ... [code: 10021]").
 */
export function wranglerFailure(run: WranglerRun): string {
  const failed = run.records.find((record) => record.type === "command-failed");
  // biome-ignore lint/suspicious/noControlCharactersInRegex: strips terminal colour codes
  const lines = run.stderr.replace(/\u001b\[[0-9;]*m/g, "").split("\n");
  const start = lines.findIndex((line) => line.includes("[ERROR]"));
  const details = [];
  for (const line of start === -1 ? [] : lines.slice(start + 1)) {
    if (line.trim() === "" && details.length > 0) break;
    if (line.includes("If you think this is a bug")) break;
    if (line.trim() !== "") details.push(line.trim());
  }
  const message =
    failed?.message ||
    `${run.stderr}\n${run.stdout}`.trim().split("\n").slice(-8).join("\n") ||
    // Killed before it could say anything (e.g. by a signal: the runner reports 128 + its number).
    `wrangler exited with code ${run.exitCode} without a message`;
  return [message, ...details].join(" — ");
}

/**
 * The API error code, from the output file's `command-failed` record or, where no output file
 * could be read (a failed call in a Dagger container), from the `[code: N]` wrangler prints.
 */
function failureCode(run: WranglerRun): number | undefined {
  const failed = run.records.find((record) => record.type === "command-failed");
  const code = failed?.code ?? /\[code: (\d+)\]/.exec(run.stderr)?.[1];
  return code === undefined ? undefined : Number(code);
}

export function isWorkerNotFound(run: WranglerRun): boolean {
  const code = failureCode(run);
  return code !== undefined && WORKER_NOT_FOUND_CODES.has(code);
}

/** `deployments list --json`: each deployment's main version (largest share), oldest first. */
export function parseDeploymentHistory(stdout: string): string[] {
  // Warnings may precede the JSON array on stdout.
  const start = stdout.indexOf("[");
  return servedVersionsOldestFirst(
    deploymentsSchema.parse(JSON.parse(start === -1 ? stdout : stdout.slice(start))),
  );
}

/**
 * The new version and its URLs from a successful `wrangler deploy`'s records. A wrangler 3 that a
 * repository pins writes no `deploy` record; it prints `Current Version ID: <id>` and its URLs
 * (indented lines) instead, which is then what tells.
 */
export function deployedVersion(
  run: WranglerRun,
): { versionId: string; urls: string[] } | undefined {
  const record = run.records.find((item) => item.type === "deploy");
  if (record?.version_id) {
    return { versionId: record.version_id, urls: record.targets ?? [] };
  }
  const printed = /^Current Version ID: ([0-9a-f-]{36})$/m.exec(run.stdout)?.[1];
  return printed === undefined
    ? undefined
    : {
        versionId: printed,
        urls: run.stdout.match(/^ {2}https?:\/\/\S+$/gm)?.map((url) => url.trim()) ?? [],
      };
}

/**
 * The new version from a successful `wrangler versions upload`. An upload reports no targets,
 * only the version's preview URL (`https://<id prefix>-<worker>.<subdomain>.workers.dev`, when
 * preview URLs are on); the Worker's own workers.dev URL is that host without the prefix, and
 * is where its health and smoke tests go with a version override.
 */
export function uploadedVersion(
  run: WranglerRun,
  workerName: string,
): { versionId: string; urls: string[] } | undefined {
  const record = run.records.find((item) => item.type === "version-upload");
  if (!record?.version_id) return undefined;
  const preview = record.preview_url ? new URL(record.preview_url) : undefined;
  const [label, ...rest] = preview?.hostname.split(".") ?? [];
  const worker =
    label?.endsWith(`-${workerName}`) && rest.at(-1) === "dev"
      ? `https://${[workerName, ...rest].join(".")}`
      : undefined;
  return { versionId: record.version_id, urls: worker === undefined ? [] : [worker] };
}

/** The workers.dev URL among a deploy's targets: where staging and production are health-checked. */
export function workersDevUrl(urls: readonly string[]): string | undefined {
  return urls.find((url) => /^https:\/\/[^/]+\.workers\.dev\/?$/.test(url));
}

/**
 * Which migrations `wrangler d1 migrations apply` applied, read from its tables: it has no
 * JSON output, and prints the pending migrations, then the table again after each one with ✅
 * on those applied. The last status seen for a name is its final one. `pending` keeps
 * wrangler's order, so after a failure the first pending one not applied is the one that failed.
 */
export function parseMigrationsApply(stdout: string): { pending: string[]; applied: string[] } {
  const applied = new Map<string, boolean>();
  for (const line of stdout.split("\n")) {
    // A row is "│ 0001_init.sql │ ✅ │" (or "│ 0001_init.sql │" in the first table).
    const cells = line.split("│").map((cell) => cell.trim());
    const name = cells[1];
    if (cells.length < 3 || name === undefined || !name.endsWith(".sql")) continue;
    applied.set(name, cells[2]?.startsWith("✅") === true);
  }
  return {
    pending: [...applied.keys()],
    applied: [...applied].filter(([, done]) => done).map(([name]) => name),
  };
}
