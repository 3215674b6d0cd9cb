import * as z from "zod";

/**
 * One Worker's deployment history, as Cloudflare's API returns it through wrangler:
 * `wrangler deployments list --json` (each deployment's time, the versions it serves with their
 * traffic shares, and its annotations) and the versions those deployments serve, with their
 * annotations (`wrangler versions list --json`, `wrangler versions view <id> --json`).
 */
export interface ServiceHistory {
  service: string;
  worker: string;
  deployments: DeploymentRecord[];
  versions: VersionRecord[];
}

export interface DeploymentRecord {
  /** `created_on`, in milliseconds since the epoch. */
  createdOn: number;
  versions: { versionId: string; percentage: number }[];
  /** `workers/triggered_by` (upload, rollback, promotion, secret) and `workers/message`. */
  annotations: Record<string, string>;
}

export interface VersionRecord {
  id: string;
  /** Cloudflare numbers a Worker's versions from 1: version 1 is its first upload. */
  number?: number;
  /** `workers/message` carries the pipeline's origin ("commit <sha> run <id>"). */
  annotations: Record<string, string>;
}

const annotationsSchema = z
  .record(z.string(), z.string())
  .nullish()
  .transform((value) => value ?? {});

const deploymentSchema = z.object({
  created_on: z.string(),
  versions: z.array(z.object({ version_id: z.string(), percentage: z.number() })),
  annotations: annotationsSchema,
});

const versionSchema = z.object({
  id: z.string(),
  number: z.number().nullish(),
  annotations: annotationsSchema,
});

/**
 * The JSON wrangler printed. It is normally alone on stdout (`--json` turns the banner off), but
 * a line of text before it is skipped rather than taken for the JSON.
 */
function parseJsonOutput(stdout: string, what: string): unknown {
  const lines = stdout.split("\n");
  const start = lines.findIndex((line) => /^\s*[[{]/.test(line));
  if (start === -1) {
    throw new Error(`${what} printed no JSON: ${stdout.trim().slice(0, 200) || "(nothing)"}`);
  }
  try {
    return JSON.parse(lines.slice(start).join("\n"));
  } catch (error) {
    throw new Error(`${what} printed invalid JSON: ${(error as Error).message}`);
  }
}

function checked<T>(schema: z.ZodType<T>, value: unknown, what: string): T {
  const parsed = schema.safeParse(value);
  if (!parsed.success) {
    const [issue] = parsed.error.issues;
    throw new Error(
      `${what}: unexpected JSON at ${issue?.path.join(".") || "(top)"}: ${issue?.message}`,
    );
  }
  return parsed.data;
}

/** `wrangler deployments list --json`, in the order given. */
export function parseDeployments(stdout: string, what: string): DeploymentRecord[] {
  const deployments = checked(z.array(deploymentSchema), parseJsonOutput(stdout, what), what);
  return deployments.map((deployment) => {
    const createdOn = Date.parse(deployment.created_on);
    if (Number.isNaN(createdOn)) {
      throw new Error(`${what}: created_on "${deployment.created_on}" is not a time`);
    }
    return {
      createdOn,
      versions: deployment.versions.map((version) => ({
        versionId: version.version_id,
        percentage: version.percentage,
      })),
      annotations: deployment.annotations,
    };
  });
}

function versionRecord(version: z.infer<typeof versionSchema>): VersionRecord {
  return {
    id: version.id,
    ...(typeof version.number === "number" ? { number: version.number } : {}),
    annotations: version.annotations,
  };
}

/** `wrangler versions list --json`. */
export function parseVersions(stdout: string, what: string): VersionRecord[] {
  return checked(z.array(versionSchema), parseJsonOutput(stdout, what), what).map(versionRecord);
}

/** `wrangler versions view <id> --json`. */
export function parseVersion(stdout: string, what: string): VersionRecord {
  return versionRecord(checked(versionSchema, parseJsonOutput(stdout, what), what));
}
