import * as z from "zod";
import { ApiError, ErrorCode } from "../api/envelope.js";
import type { UploadedBinding } from "../storage/state-types.js";
import { migrationsSchema } from "./durable-objects.js";

// The upload metadata fields the control plane acts on; the rest (observability, placement,
// limits...) is accepted and ignored, as it has no local meaning.
const uploadMetadataSchema = z.object({
  main_module: z.string().min(1).optional(),
  body_part: z.string().optional(),
  bindings: z.array(z.looseObject({ name: z.string(), type: z.string() })).default([]),
  compatibility_date: z.string().optional(),
  compatibility_flags: z.array(z.string()).default([]),
  keep_bindings: z.array(z.string()).default([]),
  annotations: z.record(z.string(), z.string()).default({}),
  migrations: migrationsSchema.optional(),
});

export type UploadMetadata = z.infer<typeof uploadMetadataSchema>;

export interface UploadedModule {
  name: string;
  contentType: string;
  bytes: Uint8Array;
}

export interface WorkerUpload {
  metadata: UploadMetadata & { main_module: string; bindings: UploadedBinding[] };
  modules: UploadedModule[];
}

/** Reads wrangler's multipart upload: a `metadata` JSON part plus one file part per module. */
export async function parseWorkerUpload(request: Request): Promise<WorkerUpload> {
  let form: FormData;
  try {
    form = await request.formData();
  } catch (error) {
    throw new ApiError(
      400,
      ErrorCode.badRequest,
      `expected a multipart/form-data worker upload: ${(error as Error).message}`,
    );
  }
  const rawMetadata = form.get("metadata");
  const metadataText = typeof rawMetadata === "string" ? rawMetadata : await rawMetadata?.text();
  if (metadataText === undefined) {
    throw new ApiError(400, ErrorCode.badRequest, "the upload has no `metadata` part");
  }
  const parsed = uploadMetadataSchema.safeParse(JSON.parse(metadataText));
  if (!parsed.success) {
    throw new ApiError(
      400,
      ErrorCode.badRequest,
      `invalid upload metadata: ${parsed.error.message}`,
    );
  }
  const metadata = parsed.data;
  if (metadata.main_module === undefined) {
    throw new ApiError(
      400,
      ErrorCode.badRequest,
      "only ES module workers (metadata.main_module) are supported by the local control plane",
    );
  }
  const modules: UploadedModule[] = [];
  for (const [field, value] of form.entries()) {
    if (field === "metadata" || typeof value === "string") continue;
    modules.push({
      name: field,
      contentType: value.type.split(";")[0] ?? value.type,
      bytes: new Uint8Array(await value.arrayBuffer()),
    });
  }
  if (!modules.some((module) => module.name === metadata.main_module)) {
    throw new ApiError(
      400,
      ErrorCode.badRequest,
      `main_module "${metadata.main_module}" is not among the uploaded parts (${modules.map((m) => m.name).join(", ") || "none"})`,
    );
  }
  return { metadata: { ...metadata, main_module: metadata.main_module }, modules };
}
