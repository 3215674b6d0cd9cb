/** Fixed for the process, so every upload of one deploy or release names the same run. */
const startedAt = new Date().toISOString().replace(/[-:.]/g, "");

/**
 * The id of this pipeline run, as version annotations record it: GitHub Actions' run id and
 * attempt when there, otherwise the host and the moment the process started.
 */
export function pipelineRunId(env: NodeJS.ProcessEnv): string {
  if (env.GITHUB_RUN_ID) return `gh-${env.GITHUB_RUN_ID}-${env.GITHUB_RUN_ATTEMPT ?? "1"}`;
  return `host-${startedAt}`;
}
