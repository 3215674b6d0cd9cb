import { mkdir, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { readJsonFile, writeJsonFile } from "@workers/host-state";
import {
  type CloudState,
  cloudStateSchema,
  type VersionRecord,
  type WorkerRecord,
} from "./state-types.js";

/**
 * Everything the control plane knows, on disk under its data directory:
 *   cloud.json                 workers, versions, deployments, queues, databases, KV
 *                              namespaces, R2 buckets
 *   versions/<id>/<module>     the uploaded modules of every version, byte for byte
 *   d1/                        Miniflare's D1 persistence (one database per database id)
 *   kv/, r2/                   Miniflare's KV namespaces (by id) and R2 buckets (by name)
 *   do/                        Durable Object storage (by worker and class)
 * cloud.json is rewritten atomically so a crash never leaves it torn, and the version each save
 * replaces is kept as cloud.json.bak. A corrupt cloud.json stops the control plane from starting
 * (nothing overwrites it) with one line saying how to recover.
 */
export class CloudStore {
  private saving: Promise<unknown> = Promise.resolve();

  private constructor(
    readonly dataDir: string,
    readonly state: CloudState,
  ) {}

  static async open(dataDir: string, accountId: string): Promise<CloudStore> {
    await mkdir(dataDir, { recursive: true });
    const state = (await readCloudState(dataDir)) ?? {
      accountId,
      subdomain: "local",
      workers: {},
      queues: {},
      databases: {},
      kvNamespaces: {},
      buckets: {},
    };
    return new CloudStore(dataDir, state);
  }

  get d1PersistDir(): string {
    return join(this.dataDir, "d1");
  }

  versionDir(versionId: string): string {
    return join(this.dataDir, "versions", versionId);
  }

  async writeModule(versionId: string, moduleName: string, bytes: Uint8Array): Promise<void> {
    const target = join(this.versionDir(versionId), moduleName);
    if (!target.startsWith(this.versionDir(versionId))) {
      throw new Error(`module name escapes its version folder: ${moduleName}`);
    }
    await mkdir(dirname(target), { recursive: true });
    await writeFile(target, bytes);
  }

  /** Saves are chained so they land in call order: the last one holds the newest state. */
  save(): Promise<void> {
    // Secrets live in version bindings, so the file is readable by its owner only.
    const write = () =>
      writeJsonFile(cloudFileOf(this.dataDir), this.state, cloudStateSchema, { mode: 0o600 });
    const saved = this.saving.then(write, write);
    this.saving = saved.catch(() => undefined);
    return saved;
  }
}

function cloudFileOf(dataDir: string): string {
  return join(dataDir, "cloud.json");
}

/** The saved state in dataDir, undefined before the first save; throws one line when corrupt. */
export function readCloudState(dataDir: string): Promise<CloudState | undefined> {
  return readJsonFile(
    cloudFileOf(dataDir),
    cloudStateSchema,
    `restore it from cloud.json.bak, or remove ${dataDir} to start over (every deployed Worker and its data is lost)`,
  );
}

/** The version serving 100% of traffic (or the largest share) in the newest deployment. */
export function activeVersion(worker: WorkerRecord): VersionRecord | undefined {
  const latest = worker.deployments[0];
  if (!latest) return undefined;
  const [top] = [...latest.versions].sort((a, b) => b.percentage - a.percentage);
  return worker.versions.find((version) => version.id === top?.version_id);
}
