import { randomBytes } from "node:crypto";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { z } from "zod";
import type { ServiceInfo } from "../../dagger/src/core/services/catalog.js";

/** Gitignored with the control plane's own state. */
export const LOCAL_SECRETS_DIR = ".local-cloud/secrets";

/**
 * Secrets for `--env local`, so a fresh clone deploys without anyone running `wrangler secret
 * put`. The names come from the service's committed `.dev.vars.example`; each value is random,
 * generated once and kept in `.local-cloud/secrets/<service>.json` (read it to call the
 * gateway's admin routes). Returns the JSON file to pass as `--secrets-file` (JSON, because
 * wrangler lets process variables override dotenv files), or undefined when none are declared.
 */
export async function localSecretsFile(
  repoRoot: string,
  service: ServiceInfo,
): Promise<string | undefined> {
  const example = await readFile(join(repoRoot, service.dir, ".dev.vars.example"), "utf8").catch(
    () => undefined,
  );
  const names = (example ?? "")
    .split("\n")
    .map((line) => line.trim())
    .filter((line) => line !== "" && !line.startsWith("#"))
    .map((line) => line.split("=")[0]?.trim() ?? "")
    .filter((name) => /^[A-Z_][A-Z0-9_]*$/.test(name));
  if (names.length === 0) {
    return undefined;
  }
  const dir = join(repoRoot, LOCAL_SECRETS_DIR);
  const file = join(dir, `${service.name}.json`);
  const existing = z
    .record(z.string(), z.string())
    .catch({})
    .parse(JSON.parse(await readFile(file, "utf8").catch(() => "{}")));
  const secrets = Object.fromEntries(
    names.map((name) => [name, existing[name] ?? randomBytes(24).toString("hex")]),
  );
  await mkdir(dir, { recursive: true });
  await writeFile(file, `${JSON.stringify(secrets, null, 2)}\n`, { mode: 0o600 });
  return file;
}
