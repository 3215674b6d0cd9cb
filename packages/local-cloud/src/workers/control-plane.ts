import { randomUUID } from "node:crypto";
import { cp, rm } from "node:fs/promises";
import { ApiError, ErrorCode } from "../api/envelope.js";
import type { WorkerRuntime } from "../deployments/runtime.js";
import type {
  DeploymentRecord,
  UploadedBinding,
  VersionRecord,
  WorkerRecord,
} from "../storage/state-types.js";
import { activeVersion, type CloudStore } from "../storage/store.js";
import {
  applyMigrations,
  assertOwnClassesMigrated,
  durableObjectStateOf,
} from "./durable-objects.js";
import type { WorkerUpload } from "./upload.js";
import { assertBindingsSupported } from "./worker-options.js";

const author = "local@local-cloud";

function now(): string {
  return new Date().toISOString();
}

/** The API's version object, as `versions list/view --json` print it. */
export function versionView(version: VersionRecord) {
  return {
    id: version.id,
    number: version.number,
    metadata: {
      author_email: author,
      author_id: "local",
      created_on: version.createdOn,
      modified_on: version.createdOn,
      source: version.source,
      hasPreview: false,
    },
    annotations: version.annotations,
    resources: {
      script: {
        etag: version.id.replaceAll("-", ""),
        handlers: ["fetch"],
        last_deployed_from: version.source,
      },
      script_runtime: {
        compatibility_date: version.compatibilityDate,
        compatibility_flags: version.compatibilityFlags,
        usage_model: "standard",
        limits: {},
      },
      // Secret values never leave the control plane, only their names.
      bindings: version.bindings.map((binding) =>
        binding.type === "secret_text" ? { name: binding.name, type: binding.type } : binding,
      ),
    },
  };
}

export function deploymentView(deployment: DeploymentRecord) {
  return {
    id: deployment.id,
    source: deployment.source,
    strategy: deployment.strategy,
    author_email: author,
    created_on: deployment.createdOn,
    annotations: deployment.annotations,
    versions: deployment.versions,
  };
}

export interface DeploymentRequest {
  versions: { version_id: string; percentage: number }[];
  message?: string;
}

// Annotation limits of the API (Cloudflare's OpenAPI schema): a version's message is cut to
// 1000 bytes and its tag refused beyond 100; a deployment's message is cut to 100 bytes.
const versionMessageBytes = 1000;
const versionTagBytes = 100;
const deploymentMessageBytes = 100;
const maxVersionsPerDeployment = 2;

/** `text` cut to at most `limit` UTF-8 bytes, never inside a character. */
function truncateBytes(text: string, limit: number): string {
  const encoder = new TextEncoder();
  let bytes = 0;
  let kept = "";
  for (const char of text) {
    bytes += encoder.encode(char).length;
    if (bytes > limit) break;
    kept += char;
  }
  return kept;
}

/**
 * The annotations a stored version carries: the message and tag the client sent (wrangler's
 * `--message`/`--tag`), and `workers/triggered_by`, which the platform sets, never the client.
 */
function versionAnnotations(
  requested: Record<string, string>,
  triggeredBy: string,
): Record<string, string> {
  const message = requested["workers/message"];
  const tag = requested["workers/tag"];
  if (tag !== undefined && new TextEncoder().encode(tag).length > versionTagBytes) {
    throw new ApiError(
      400,
      ErrorCode.badRequest,
      `workers/tag must be at most ${versionTagBytes} bytes, got "${tag}"`,
    );
  }
  return {
    "workers/triggered_by": triggeredBy,
    ...(message !== undefined && {
      "workers/message": truncateBytes(message, versionMessageBytes),
    }),
    ...(tag !== undefined && { "workers/tag": tag }),
  };
}

/**
 * Workers, versions and deployments: what the real platform does with an upload and with a
 * deployment request, applied to the store and then to the running workerd.
 */
export class ControlPlane {
  constructor(
    readonly store: CloudStore,
    readonly runtime: WorkerRuntime,
  ) {}

  get state() {
    return this.store.state;
  }

  worker(name: string): WorkerRecord {
    const worker = this.state.workers[name];
    if (!worker) {
      throw new ApiError(
        404,
        ErrorCode.workerNotFound,
        `This Worker does not exist on your account: ${name}`,
      );
    }
    return worker;
  }

  service(name: string) {
    const worker = this.state.workers[name];
    if (!worker) {
      throw new ApiError(
        404,
        ErrorCode.serviceNotFound,
        `This Worker does not exist on your account: ${name}`,
      );
    }
    const version = activeVersion(worker);
    return {
      id: worker.name,
      default_environment: {
        environment: "production",
        created_on: worker.createdOn,
        modified_on: worker.modifiedOn,
        script: {
          id: worker.name,
          tag: worker.name,
          etag: version?.id.replaceAll("-", "") ?? "",
          handlers: ["fetch"],
          last_deployed_from: "wrangler",
          // wrangler sends only the migrations after this tag.
          migration_tag: worker.versions.at(-1)?.migrationTag,
        },
      },
      created_on: worker.createdOn,
      modified_on: worker.modifiedOn,
    };
  }

  /**
   * Stores an upload as a new version once workerd has started it. `deploy` also makes it the
   * active version (PUT script, `wrangler deploy`); otherwise it only becomes deployable
   * (POST versions, `wrangler versions upload`), which Cloudflare records as a `version_upload`.
   */
  async upload(name: string, upload: WorkerUpload, deploy: boolean): Promise<VersionRecord> {
    const existing = this.state.workers[name];
    const bindings = this.resolveBindings(name, existing, upload);
    const durableObjects = applyMigrations(
      name,
      durableObjectStateOf(existing?.versions.at(-1)),
      upload.metadata.migrations,
    );
    assertOwnClassesMigrated(name, bindings, durableObjects.classes);
    const version: VersionRecord = {
      id: randomUUID(),
      number: (existing?.versions.at(-1)?.number ?? 0) + 1,
      createdOn: now(),
      annotations: versionAnnotations(
        upload.metadata.annotations,
        deploy ? "upload" : "version_upload",
      ),
      source: "wrangler",
      mainModule: upload.metadata.main_module,
      modules: upload.modules.map(({ name: moduleName, contentType }) => ({
        name: moduleName,
        contentType,
      })),
      bindings,
      compatibilityDate: upload.metadata.compatibility_date ?? "2024-01-01",
      compatibilityFlags: upload.metadata.compatibility_flags,
      ...(durableObjects.migrationTag !== undefined && {
        migrationTag: durableObjects.migrationTag,
      }),
      durableObjectClasses: durableObjects.classes,
    };
    for (const module of upload.modules) {
      await this.store.writeModule(version.id, module.name, module.bytes);
    }
    try {
      await this.runtime.validate(name, version);
    } catch (error) {
      await rm(this.store.versionDir(version.id), { recursive: true, force: true });
      throw error;
    }
    this.registerResources(bindings);
    const worker: WorkerRecord = existing ?? {
      name,
      createdOn: version.createdOn,
      modifiedOn: version.createdOn,
      subdomain: { enabled: false, previews_enabled: false },
      schedules: [],
      scriptSettings: {},
      versions: [],
      deployments: [],
    };
    this.state.workers[name] = worker;
    worker.versions.push(version);
    worker.modifiedOn = version.createdOn;
    if (deploy) {
      const message = version.annotations["workers/message"];
      // The deployment an upload makes carries the version's message, so `deployments list`
      // shows where what serves came from.
      await this.activate(worker, [{ version_id: version.id, percentage: 100 }], {
        "workers/triggered_by": "upload",
        ...(message !== undefined && { "workers/message": message }),
      });
    } else {
      await this.store.save();
    }
    return version;
  }

  /**
   * POST .../deployments (`wrangler versions deploy`, `wrangler rollback`): one version at 100%,
   * or two splitting the traffic by percentage (a gradual deployment).
   */
  async deploy(name: string, request: DeploymentRequest): Promise<DeploymentRecord> {
    const worker = this.worker(name);
    const count = request.versions.length;
    if (count === 0 || count > maxVersionsPerDeployment) {
      throw new ApiError(
        400,
        ErrorCode.badRequest,
        `a deployment has one or two versions, got ${count}`,
      );
    }
    const total = request.versions.reduce((sum, v) => sum + v.percentage, 0);
    // Percentages may have decimals (33.3 + 66.7): compare with a tolerance for their sum.
    if (Math.abs(total - 100) > 1e-9 || request.versions.some((v) => v.percentage < 0)) {
      throw new ApiError(
        400,
        ErrorCode.badRequest,
        `version percentages must be between 0 and 100 and add up to 100, got ${request.versions.map((v) => v.percentage).join(" + ")}`,
      );
    }
    const numbers = request.versions.map(({ version_id }) => {
      const version = worker.versions.find((v) => v.id === version_id);
      if (!version) {
        throw new ApiError(
          404,
          ErrorCode.resourceNotFound,
          `version ${version_id} does not exist for worker ${name}`,
        );
      }
      return version.number;
    });
    const current = worker.deployments[0];
    const newestServing = Math.max(
      ...(current?.versions ?? []).map(
        ({ version_id }) => worker.versions.find((v) => v.id === version_id)?.number ?? 0,
      ),
    );
    // wrangler sends the same request for `versions deploy` and `rollback`, so the kind is read
    // from the request: all traffic moved back to a version older than any serving now is a
    // rollback (as when a gradual deployment is abandoned), anything else a deployment.
    const rollback = count === 1 && current !== undefined && (numbers[0] as number) < newestServing;
    return this.activate(worker, request.versions, {
      "workers/triggered_by": rollback ? "rollback" : "deployment",
      ...(rollback && { "workers/rollback_from": current.id }),
      ...(request.message !== undefined && { "workers/message": request.message }),
    });
  }

  /** Makes `versions` serve; a `workers/message` annotation is cut to the deployment limit. */
  private async activate(
    worker: WorkerRecord,
    versions: DeploymentRecord["versions"],
    annotations: Record<string, string>,
  ): Promise<DeploymentRecord> {
    const message = annotations["workers/message"];
    const deployment: DeploymentRecord = {
      id: randomUUID(),
      createdOn: now(),
      source: "wrangler",
      strategy: "percentage",
      annotations: {
        ...annotations,
        ...(message !== undefined && {
          "workers/message": truncateBytes(message, deploymentMessageBytes),
        }),
      },
      versions,
    };
    worker.deployments.unshift(deployment);
    try {
      await this.runtime.apply();
    } catch (error) {
      // What served before keeps serving: the failed deployment is forgotten.
      worker.deployments.shift();
      await this.runtime.apply().catch(() => undefined);
      throw new ApiError(
        500,
        ErrorCode.startupFailed,
        `the runtime refused deployment of ${worker.name}: ${(error as Error).message}`,
      );
    }
    await this.store.save();
    return deployment;
  }

  /** Fills `inherit` and `keep_bindings` from the active version, then checks every binding. */
  private resolveBindings(
    name: string,
    existing: WorkerRecord | undefined,
    upload: WorkerUpload,
  ): UploadedBinding[] {
    const previous = existing ? (activeVersion(existing)?.bindings ?? []) : [];
    const bindings: UploadedBinding[] = [];
    for (const binding of upload.metadata.bindings) {
      if (binding.type !== "inherit") {
        bindings.push(binding);
        continue;
      }
      const inherited = previous.find((p) => p.name === binding.name);
      if (!inherited) {
        throw new ApiError(
          400,
          ErrorCode.badRequest,
          `binding "${binding.name}" is marked inherit but worker ${name} has no such binding to inherit`,
        );
      }
      bindings.push(inherited);
    }
    const kept = previous.filter(
      (p) =>
        upload.metadata.keep_bindings.includes(p.type) &&
        !bindings.some((binding) => binding.name === p.name),
    );
    const all = [...bindings, ...kept];
    assertBindingsSupported(all);
    for (const binding of all) {
      const target =
        binding.type === "service"
          ? String(binding.service)
          : binding.type === "durable_object_namespace" && typeof binding.script_name === "string"
            ? binding.script_name
            : name;
      const targetWorker = this.state.workers[target];
      if (target !== name && (!targetWorker || !activeVersion(targetWorker))) {
        throw new ApiError(
          400,
          ErrorCode.bindingTargetMissing,
          `${binding.type === "service" ? "service" : "Durable Object"} binding "${binding.name}" points at worker "${target}", which is not deployed on this account; deploy it first`,
        );
      }
    }
    return all;
  }

  /** Resources named by bindings exist from then on, as if created beforehand. */
  private registerResources(bindings: UploadedBinding[]): void {
    for (const binding of bindings) {
      if (binding.type === "d1") this.ensureDatabase(String(binding.id));
      if (binding.type === "queue") this.ensureQueue(String(binding.queue_name));
      if (binding.type === "kv_namespace") this.ensureKvNamespace(String(binding.namespace_id));
      if (binding.type === "r2_bucket") this.ensureBucket(String(binding.bucket_name));
    }
  }

  ensureKvNamespace(id: string, title = id) {
    const known = this.state.kvNamespaces[id];
    if (known) return known;
    const namespace = { id, title };
    this.state.kvNamespaces[id] = namespace;
    return namespace;
  }

  ensureBucket(name: string) {
    const known = this.state.buckets[name];
    if (known) return known;
    const bucket = { name, creation_date: now() };
    this.state.buckets[name] = bucket;
    return bucket;
  }

  ensureDatabase(uuid: string, name = uuid) {
    const known = this.state.databases[uuid];
    if (known) return known;
    const database = { uuid, name, created_on: now() };
    this.state.databases[uuid] = database;
    return database;
  }

  ensureQueue(queueName: string) {
    const known = Object.values(this.state.queues).find((q) => q.queue_name === queueName);
    if (known) return known;
    const created = now();
    const queue = {
      queue_id: randomUUID().replaceAll("-", ""),
      queue_name: queueName,
      created_on: created,
      modified_on: created,
      consumers: [],
    };
    this.state.queues[queue.queue_id] = queue;
    return queue;
  }

  /**
   * The version a secret change starts from: the newest, and only while it serves all traffic.
   * A secret change deploys at once, so, as on the platform, it may neither end a gradual
   * deployment nor put a version live that was only uploaded (wrangler explains code 10215).
   */
  private secretBase(worker: WorkerRecord): VersionRecord {
    const latest = worker.versions.at(-1);
    const serving = worker.deployments[0]?.versions ?? [];
    if (!latest || serving.length !== 1 || serving[0]?.version_id !== latest.id) {
      throw new ApiError(
        400,
        ErrorCode.versionNotDeployed,
        `the latest version of worker ${worker.name} is not deployed at 100%`,
      );
    }
    return latest;
  }

  async setSecret(name: string, secret: { name: string; text: string }): Promise<void> {
    const worker = this.worker(name);
    const current = this.secretBase(worker);
    await this.redeployWithBindings(worker, current, [
      ...current.bindings.filter((b) => b.name !== secret.name),
      { name: secret.name, type: "secret_text", text: secret.text },
    ]);
  }

  async deleteSecret(name: string, secretName: string): Promise<void> {
    const worker = this.worker(name);
    const current = this.secretBase(worker);
    if (!current.bindings.some((b) => b.name === secretName && b.type === "secret_text")) {
      throw new ApiError(
        404,
        ErrorCode.resourceNotFound,
        `worker ${name} has no secret ${secretName}`,
      );
    }
    await this.redeployWithBindings(
      worker,
      current,
      current.bindings.filter((b) => b.name !== secretName),
    );
  }

  /** A secret change is a new version of the same code, deployed at once (as on the platform). */
  private async redeployWithBindings(
    worker: WorkerRecord,
    current: VersionRecord,
    bindings: UploadedBinding[],
  ): Promise<void> {
    const version: VersionRecord = {
      ...current,
      id: randomUUID(),
      number: (worker.versions.at(-1)?.number ?? 0) + 1,
      createdOn: now(),
      annotations: { "workers/triggered_by": "secret" },
      bindings,
    };
    await cp(this.store.versionDir(current.id), this.store.versionDir(version.id), {
      recursive: true,
    });
    worker.versions.push(version);
    await this.activate(worker, [{ version_id: version.id, percentage: 100 }], {
      "workers/triggered_by": "secret",
    });
  }
}
