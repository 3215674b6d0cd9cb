import { UsageError } from "../command.js";

/** A run id goes into every deployment's annotation, which Cloudflare cuts at 100 bytes. */
const RUN_ID = /^[A-Za-z0-9._-]{1,40}$/;

/** Fixed for the process, so every upload of one deploy or release names the same run. */
const startedAt = new Date().toISOString().replace(/[-:.]/g, "");

/**
 * The id of this pipeline run, as version annotations and the deploy journal record it:
 * PIPELINE_RUN_ID when set (another CI system, or a test naming its run), GitHub Actions' run
 * id and attempt when there, otherwise the host and the moment the process started.
 */
export function pipelineRunId(env: NodeJS.ProcessEnv): string {
  return ciRunId(env) ?? `host-${startedAt}`;
}

/**
 * The run id a CI system gave this job, shared by every job of one workflow run: what a
 * recovery job looks for in the deployment history when the deploy job's disk is gone.
 */
export function ciRunId(env: NodeJS.ProcessEnv): string | undefined {
  const named = env.PIPELINE_RUN_ID;
  if (named && !RUN_ID.test(named)) {
    throw new UsageError(
      `PIPELINE_RUN_ID: "${named}" is not a run id (letters, digits, ".", "_" and "-", up to 40)`,
    );
  }
  if (named) return named;
  if (env.GITHUB_RUN_ID) return `gh-${env.GITHUB_RUN_ID}-${env.GITHUB_RUN_ATTEMPT ?? "1"}`;
  return undefined;
}

/**
 * The mark (host/marked-processes.ts) every wrangler of deploy run `run` carries in its
 * environment: `recover` finds one the run's journal had no time to name.
 */
export function deployRunMark(run: string): string {
  return `deploy-${run}`;
}
