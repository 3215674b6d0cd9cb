import * as z from "zod";
import { RESOURCE_BINDING_SCHEMAS } from "./bindings.js";

const workspaceDependencies = z.record(z.string(), z.string()).optional();

/**
 * A library needs a name (pnpm's workspace identity), its workspace dependencies and its scripts
 * (where its steps come from; a package without a `test` script has no tests, which is allowed).
 */
export const libraryPackageJsonSchema = z.object({
  name: z.string({ error: "expected a string (every workspace package needs a name)" }),
  scripts: z.record(z.string(), z.string()).optional(),
  dependencies: workspaceDependencies,
  devDependencies: workspaceDependencies,
});

/** The root package.json: only its scripts matter (the typecheck and lint steps may run them). */
export const rootPackageJsonSchema = z.object({
  scripts: z.record(z.string(), z.string()).optional(),
});

/** A Worker's name also becomes a `pnpm --filter` argument and a Worker-facing identity. */
export const servicePackageJsonSchema = libraryPackageJsonSchema.extend({
  name: z.string().regex(/^(@[a-z0-9-]+\/)?[a-z0-9-]+$/, "expected an npm package name"),
});

const serviceBindingSchema = z.object({
  binding: z.string(),
  service: z.string(),
});

export const workerNameSchema = z
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

export type LibraryPackageJson = z.infer<typeof libraryPackageJsonSchema>;
export type WranglerEnvironment = z.infer<typeof environmentSchema>;
