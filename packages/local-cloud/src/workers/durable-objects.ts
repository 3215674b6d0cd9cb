// Durable Object migrations as the platform keeps them per script: a tag naming the last
// migration applied, and the classes the migrations have created so far (each stored in SQLite
// or in the older key-value backend, which the runtime must know to open its storage).
import * as z from "zod";
import { ApiError, ErrorCode } from "../api/envelope.js";
import type { UploadedBinding, VersionRecord } from "../storage/state-types.js";

const migrationStepSchema = z.object({
  new_classes: z.array(z.string()).default([]),
  new_sqlite_classes: z.array(z.string()).default([]),
  deleted_classes: z.array(z.string()).default([]),
  renamed_classes: z.array(z.object({ from: z.string(), to: z.string() })).default([]),
  transferred_classes: z
    .array(z.object({ from: z.string(), from_script: z.string(), to: z.string() }))
    .default([]),
});

/** `metadata.migrations` as wrangler sends it: the tag it expects, the tag to reach, the steps. */
export const migrationsSchema = z.object({
  old_tag: z.string().optional(),
  new_tag: z.string().optional(),
  steps: z.array(migrationStepSchema).default([]),
});
export type Migrations = z.infer<typeof migrationsSchema>;

/** Class name -> whether its storage is SQLite. */
export type DurableObjectClasses = Record<string, { sqlite: boolean }>;

export interface DurableObjectState {
  migrationTag: string | undefined;
  classes: DurableObjectClasses;
}

/** Where the script's migrations stand: as of its newest upload, deployed or not. */
export function durableObjectStateOf(latest: VersionRecord | undefined): DurableObjectState {
  return { migrationTag: latest?.migrationTag, classes: latest?.durableObjectClasses ?? {} };
}

function refuse(message: string): never {
  throw new ApiError(400, ErrorCode.badRequest, message);
}

/** The classes and tag after `migrations`; refused, like the platform, when `old_tag` is stale. */
export function applyMigrations(
  worker: string,
  current: DurableObjectState,
  migrations: Migrations | undefined,
): DurableObjectState {
  if (!migrations) return current;
  if (migrations.old_tag !== current.migrationTag) {
    refuse(
      `migrations of worker ${worker} start from tag "${migrations.old_tag ?? "(none)"}", but its current migration tag is "${current.migrationTag ?? "(none)"}"`,
    );
  }
  const classes = { ...current.classes };
  for (const step of migrations.steps) {
    if (step.transferred_classes.length > 0) {
      refuse(
        `worker ${worker}: transferred_classes migrations are not run by the local control plane`,
      );
    }
    const added = [
      ...step.new_classes.map((name) => ({ name, sqlite: false })),
      ...step.new_sqlite_classes.map((name) => ({ name, sqlite: true })),
    ];
    for (const { name, sqlite } of added) {
      if (classes[name]) refuse(`worker ${worker}: Durable Object class ${name} already exists`);
      classes[name] = { sqlite };
    }
    for (const { from, to } of step.renamed_classes) {
      const renamed = classes[from];
      if (!renamed) refuse(`worker ${worker}: cannot rename ${from}, which does not exist`);
      delete classes[from];
      classes[to] = renamed;
    }
    for (const name of step.deleted_classes) {
      if (!classes[name]) refuse(`worker ${worker}: cannot delete ${name}, which does not exist`);
      delete classes[name];
    }
  }
  return { migrationTag: migrations.new_tag ?? current.migrationTag, classes };
}

/** A binding to a class of the uploading worker itself must name a class its migrations made. */
export function assertOwnClassesMigrated(
  worker: string,
  bindings: UploadedBinding[],
  classes: DurableObjectClasses,
): void {
  for (const binding of bindings) {
    if (binding.type !== "durable_object_namespace") continue;
    const owner = typeof binding.script_name === "string" ? binding.script_name : worker;
    if (owner !== worker || classes[String(binding.class_name)]) continue;
    refuse(
      `Durable Object binding "${binding.name}" needs class ${String(binding.class_name)} of worker ${worker}, which no migration created (add a migration with new_sqlite_classes)`,
    );
  }
}
