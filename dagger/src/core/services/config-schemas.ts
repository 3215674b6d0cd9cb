import { z } from "zod";

const workspaceDependencies = z.record(z.string(), z.string()).optional();

/** The parts of a service's package.json the pipeline relies on. */
export const servicePackageJsonSchema = z.object({
  name: z.string().regex(/^(@[a-z0-9-]+\/)?[a-z0-9-]+$/, "expected an npm package name"),
  scripts: z.object({
    test: z.string({ error: "expected a string (the service's `vitest run --coverage` script)" }),
  }),
  dependencies: workspaceDependencies,
  devDependencies: workspaceDependencies,
});

const serviceBindingSchema = z.object({
  binding: z.string(),
  service: z.string(),
});

const workerNameSchema = z
  .string()
  .regex(/^[a-z0-9][a-z0-9-]*$/, "expected a Worker name (lowercase letters, digits, dashes)");

const environmentSchema = z.object({
  name: workerNameSchema,
  services: z.array(serviceBindingSchema).optional(),
});

/**
 * The parts of wrangler.jsonc the pipeline relies on. Staging and production must be declared
 * with their own names: a missing env section would make `wrangler deploy --env staging` fall
 * back to the top-level (local) Worker.
 */
export const wranglerConfigSchema = z.object({
  name: workerNameSchema,
  services: z.array(serviceBindingSchema).optional(),
  env: z.object({
    staging: environmentSchema,
    production: environmentSchema,
  }),
});

export type ServicePackageJson = z.infer<typeof servicePackageJsonSchema>;
export type WranglerConfig = z.infer<typeof wranglerConfigSchema>;
