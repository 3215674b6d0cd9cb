import { createHash } from "node:crypto";
import { mkdir, mkdtemp, rm } from "node:fs/promises";
import { createServer, type Server } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

const PREFIX = "pipeline-sandbox-";

/** A folder for one sandbox, and how to give it up once the folder is gone. */
export interface SandboxPlace {
  readonly dir: string;
  release(): Promise<void>;
}

/**
 * Where a step's sandbox goes: the same folder for the same step of the same checkout on every
 * run, as a container always sees its source at the same /src. Tools key their own caches by
 * absolute path: vitest's module cache (in the checkout's node_modules, which the sandbox links
 * to) missed for every module at a fresh random path, about a second of a service's tests, and
 * grew by a copy of every module each run (docs/benchmarks.md).
 *
 * Two runs in one checkout must never share a folder. The folder is held by an abstract Unix
 * socket of the same name (Linux): binding it is atomic, a second bind fails while the first
 * process lives, and the kernel frees it when that process ends, even by SIGKILL, so a crashed
 * run leaves no lock to take over. A run that cannot have the folder (another run holds it, or
 * not Linux) takes a fresh random one, as before. So does a run that finds the folder left by a
 * run that was killed: it removes the leftover for the next run, but a process of the dead run
 * could still be ending in it.
 */
export async function claimSandboxPlace(repoRoot: string, stepId: string): Promise<SandboxPlace> {
  const name = `${PREFIX}${createHash("sha256")
    .update(`${tmpdir()}\0${repoRoot}\0${stepId}`)
    .digest("hex")
    .slice(0, 16)}`;
  const lock = process.platform === "linux" ? await holdLock(name) : undefined;
  if (lock) {
    const dir = join(tmpdir(), name);
    const fresh = await mkdir(dir).then(
      () => true,
      () => false,
    );
    if (fresh) {
      return { dir, release: () => releaseLock(lock) };
    }
    await rm(dir, { recursive: true, force: true }).catch(() => undefined);
    await releaseLock(lock);
  }
  return { dir: await mkdtemp(join(tmpdir(), PREFIX)), release: async () => {} };
}

function holdLock(name: string): Promise<Server | undefined> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once("error", () => resolve(undefined));
    server.listen(`\0${name}`, () => {
      // Held for as long as the process lives, without keeping it alive.
      server.unref();
      resolve(server);
    });
  });
}

function releaseLock(server: Server): Promise<void> {
  return new Promise((resolve) => server.close(() => resolve()));
}
