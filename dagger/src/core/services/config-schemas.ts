import { z } from "zod";
import { RESOURCE_BINDING_SCHEMAS } from "./bindings.js";

const workspaceDependencies = z.record(z.string(), z.string()).optional();

/** The parts of a Worker's package.json the pipeline relies on. */
export const servicePackageJsonSchema = z.object({
  name: z.string().regex(/^(@[a-z0-9-]+\/)?[a-z0-9-]+$/, "expected an npm package name"),
  scripts: z.object({
    test: z.string({ error: "expected a string (the service's `vitest run --coverage` script)" }),
  }),
  dependencies: workspaceDependencies,
  devDependencies: workspaceDependencies,
});

/** A library only needs a name (pnpm's workspace identity) and its workspace dependencies. */
export const libraryPackageJsonSchema = z.object({
  name: z.string({ error: "expected a string (every workspace package needs a name)" }),
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

/**
 * The keys of one environment (or the top level) the pipeline reads; others pass through
 * untouched, as wrangler's own unknown-key warnings are not ours to repeat.
 */
export const environmentSchema = z
  .object(RESOURCE_BINDING_SCHEMAS)
  .partial()
  .extend({
    name: workerNameSchema.optional(),
    services: z.array(serviceBindingSchema).optional(),
  })
  .loose();

/** A wrangler config in any of its three formats, once parsed. */
export const wranglerConfigSchema = environmentSchema.extend({
  name: workerNameSchema,
  env: z.record(z.string(), environmentSchema).optional(),
});

export type LibraryPackageJson = z.infer<typeof libraryPackageJsonSchema>;
export type WranglerEnvironment = z.infer<typeof environmentSchema>;
export type WranglerConfig = z.infer<typeof wranglerConfigSchema>;
