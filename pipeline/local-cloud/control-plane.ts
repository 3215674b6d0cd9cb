import { randomUUID } from "node:crypto";
import { cp, rm } from "node:fs/promises";
import { ApiError, ErrorCode } from "./envelope.js";
import type { WorkerRuntime } from "./runtime.js";
import type {
  DeploymentRecord,
  UploadedBinding,
  VersionRecord,
  WorkerRecord,
} from "./state-types.js";
import { activeVersion, type CloudStore } from "./store.js";
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
        },
      },
      created_on: worker.createdOn,
      modified_on: worker.modifiedOn,
    };
  }

  /**
   * Stores an upload as a new version once workerd has started it. `deploy` also makes it the
   * active version (PUT script); otherwise it only becomes deployable (POST versions).
   */
  async upload(name: string, upload: WorkerUpload, deploy: boolean): Promise<VersionRecord> {
    const existing = this.state.workers[name];
    const bindings = this.resolveBindings(name, existing, upload);
    const version: VersionRecord = {
      id: randomUUID(),
      number: (existing?.versions.at(-1)?.number ?? 0) + 1,
      createdOn: now(),
      annotations: {
        "workers/triggered_by": upload.metadata.annotations["workers/triggered_by"] ?? "upload",
        ...upload.metadata.annotations,
      },
      source: "wrangler",
      mainModule: upload.metadata.main_module,
      modules: upload.modules.map(({ name: moduleName, contentType }) => ({
        name: moduleName,
        contentType,
      })),
      bindings,
      compatibilityDate: upload.metadata.compatibility_date ?? "2024-01-01",
      compatibilityFlags: upload.metadata.compatibility_flags,
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
      await this.activate(worker, {
        versions: [{ version_id: version.id, percentage: 100 }],
        triggeredBy: "upload",
      });
    } else {
      await this.store.save();
    }
    return version;
  }

  /** POST .../deployments: the version at 100% (or the largest share) serves. */
  async deploy(name: string, request: DeploymentRequest): Promise<DeploymentRecord> {
    const worker = this.worker(name);
    if (request.versions.length === 0) {
      throw new ApiError(400, ErrorCode.badRequest, "a deployment needs at least one version");
    }
    const total = request.versions.reduce((sum, v) => sum + v.percentage, 0);
    if (total !== 100) {
      throw new ApiError(
        400,
        ErrorCode.badRequest,
        `version percentages must add up to 100, got ${total}`,
      );
    }
    for (const { version_id } of request.versions) {
      if (!worker.versions.some((version) => version.id === version_id)) {
        throw new ApiError(
          404,
          ErrorCode.resourceNotFound,
          `version ${version_id} does not exist for worker ${name}`,
        );
      }
    }
    const [top] = [...request.versions].sort((a, b) => b.percentage - a.percentage);
    const target = worker.versions.find((v) => v.id === top?.version_id) as VersionRecord;
    const newest = worker.versions.at(-1) as VersionRecord;
    // Only the triggers wrangler can display (upload, secret, rollback, promotion): bringing
    // back an older version than the newest is a rollback, splitting traffic a promotion, and
    // the newest version at 100% is what `wrangler deploy` does (upload, then deployment).
    const triggeredBy =
      target.number < newest.number
        ? "rollback"
        : request.versions.length > 1
          ? "promotion"
          : "upload";
    return this.activate(worker, {
      versions: request.versions,
      triggeredBy,
      ...(request.message !== undefined && { message: request.message }),
    });
  }

  private async activate(
    worker: WorkerRecord,
    change: { versions: DeploymentRecord["versions"]; triggeredBy: string; message?: string },
  ): Promise<DeploymentRecord> {
    const deployment: DeploymentRecord = {
      id: randomUUID(),
      createdOn: now(),
      source: "wrangler",
      strategy: "percentage",
      annotations: {
        "workers/triggered_by": change.triggeredBy,
        ...(change.message !== undefined && { "workers/message": change.message }),
      },
      versions: change.versions,
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
      if (binding.type !== "service") continue;
      const target = String(binding.service);
      const targetWorker = this.state.workers[target];
      if (target !== name && (!targetWorker || !activeVersion(targetWorker))) {
        throw new ApiError(
          400,
          ErrorCode.bindingTargetMissing,
          `service binding "${binding.name}" points at worker "${target}", which is not deployed on this account; deploy it first`,
        );
      }
    }
    return all;
  }

  /** D1 databases and queues named by bindings exist from then on, as if created beforehand. */
  private registerResources(bindings: UploadedBinding[]): void {
    for (const binding of bindings) {
      if (binding.type === "d1") this.ensureDatabase(String(binding.id));
      if (binding.type === "queue") this.ensureQueue(String(binding.queue_name));
    }
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

  async setSecret(name: string, secret: { name: string; text: string }): Promise<void> {
    const worker = this.worker(name);
    const current = activeVersion(worker);
    if (!current) {
      throw new ApiError(
        400,
        ErrorCode.badRequest,
        `worker ${name} has no deployed version to add a secret to`,
      );
    }
    await this.redeployWithBindings(worker, current, [
      ...current.bindings.filter((b) => b.name !== secret.name),
      { name: secret.name, type: "secret_text", text: secret.text },
    ]);
  }

  async deleteSecret(name: string, secretName: string): Promise<void> {
    const worker = this.worker(name);
    const current = activeVersion(worker);
    if (!current?.bindings.some((b) => b.name === secretName && b.type === "secret_text")) {
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
    await this.activate(worker, {
      versions: [{ version_id: version.id, percentage: 100 }],
      triggeredBy: "secret",
    });
  }
}
