/** "degraded" is for a Worker that runs but cannot do its job (its database unreachable, say). */
export type HealthStatus = "ok" | "degraded";

export interface HealthBody {
  service: string;
  version: string;
  status: HealthStatus;
}

/**
 * The body of `GET /health`. The deploy pipeline's "version" health contract reads `status` and
 * `version`, and `version` must be the id of the version that answers (the version-metadata
 * binding), or a health check right after a deploy could be answered by the old version and pass.
 * "dev" stands in where no binding exists (a plain `wrangler dev`).
 */
export function healthBody<Details extends object = Record<never, never>>(
  service: string,
  versionMetadata: WorkerVersionMetadata | undefined,
  status: HealthStatus = "ok",
  details?: Details,
): HealthBody & Details {
  return { service, version: versionMetadata?.id ?? "dev", status, ...(details as Details) };
}

/** healthBody as a response: 200 when ok, 503 when degraded, so a plain status probe sees it too. */
export function healthResponse(
  service: string,
  versionMetadata: WorkerVersionMetadata | undefined,
  status: HealthStatus = "ok",
  details?: object,
): Response {
  return Response.json(healthBody(service, versionMetadata, status, details), {
    status: status === "ok" ? 200 : 503,
  });
}
