import { mkdir, readFile, rename, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import type { CloudState, VersionRecord, WorkerRecord } from "./state-types.js";

/**
 * Everything the control plane knows, on disk under its data directory:
 *   cloud.json                 workers, versions, deployments, queues, databases
 *   versions/<id>/<module>     the uploaded modules of every version, byte for byte
 *   d1/                        Miniflare's D1 persistence (one database per database id)
 * cloud.json is rewritten atomically (temp file + rename) so a crash never leaves it torn.
 */
export class CloudStore {
  private saving: Promise<unknown> = Promise.resolve();

  private constructor(
    readonly dataDir: string,
    readonly state: CloudState,
  ) {}

  static async open(dataDir: string, accountId: string): Promise<CloudStore> {
    await mkdir(dataDir, { recursive: true });
    const file = join(dataDir, "cloud.json");
    let state: CloudState;
    try {
      state = JSON.parse(await readFile(file, "utf8")) as CloudState;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
      state = { accountId, subdomain: "local", workers: {}, queues: {}, databases: {} };
    }
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

  /** Saves are chained: parallel deploys must not interleave their temp-file writes. */
  save(): Promise<void> {
    const write = async () => {
      const file = join(this.dataDir, "cloud.json");
      const temp = `${file}.${process.pid}.tmp`;
      // Secrets live in version bindings, so the file is readable by its owner only.
      await writeFile(temp, `${JSON.stringify(this.state, null, 2)}\n`, { mode: 0o600 });
      await rename(temp, file);
    };
    const saved = this.saving.then(write, write);
    this.saving = saved.catch(() => undefined);
    return saved;
  }
}

/** The version serving 100% of traffic (or the largest share) in the newest deployment. */
export function activeVersion(worker: WorkerRecord): VersionRecord | undefined {
  const latest = worker.deployments[0];
  if (!latest) return undefined;
  const [top] = [...latest.versions].sort((a, b) => b.percentage - a.percentage);
  return worker.versions.find((version) => version.id === top?.version_id);
}
