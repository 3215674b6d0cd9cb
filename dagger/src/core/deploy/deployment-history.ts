import * as z from "zod";

/** Cloudflare API codes for "this Worker does not exist": the first deploy of a service. */
export const WORKER_NOT_FOUND_CODES: ReadonlySet<number> = new Set([10007, 10090]);

/** A Worker's deployments as the API lists them, which `wrangler deployments list --json` prints. */
export const deploymentsSchema = z.array(
  z.object({
    created_on: z.string(),
    versions: z.array(z.object({ version_id: z.string(), percentage: z.number() })),
  }),
);

/** Each deployment's main version (largest share), oldest first. */
export function servedVersionsOldestFirst(
  deployments: z.infer<typeof deploymentsSchema>,
): string[] {
  return [...deployments]
    .sort((a, b) => a.created_on.localeCompare(b.created_on))
    .flatMap((deployment) => {
      const main = [...deployment.versions].sort((a, b) => b.percentage - a.percentage)[0];
      return main ? [main.version_id] : [];
    });
}
