import type { HttpClient } from "./ports.js";

/**
 * Sends every request to one version of a Worker, whatever the deployment's percentages, with
 * Cloudflare's `Cloudflare-Workers-Version-Overrides: <worker>="<version id>"` (an RFC 8941
 * Dictionary). Cloudflare honours it only for a version in the active deployment, which is why
 * a gradual rollout first deploys the new version at 0%.
 */
export function withVersionOverride(
  http: HttpClient,
  workerName: string,
  versionId: string,
): HttpClient {
  const value = `${workerName}="${versionId.replace(/["\\]/g, "\\$&")}"`;
  return {
    request: (request) =>
      http.request({
        ...request,
        headers: { ...request.headers, "Cloudflare-Workers-Version-Overrides": value },
      }),
  };
}
