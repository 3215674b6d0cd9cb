import type { Operation } from "./sdk-internals.js";

/**
 * Rules over the calls that build a container (see operationsOf). Each returns one line per
 * problem, so a test can both expect none for the module and expect one for a broken container.
 */

/** An exact version tag (x.y.z) or a digest, and not Alpine: workerd needs glibc. */
export function imageProblems(ops: Operation[]): string[] {
  const images = ops.filter((op) => op.operation === "from").map((op) => String(op.args.address));
  if (images.length === 0) {
    return ["no base image (from) in the container"];
  }
  return images.flatMap((image) => {
    const problems: string[] = [];
    const digest = /@sha256:[0-9a-f]{64}$/.test(image);
    const tag = image.split("@")[0]?.split(":")[1] ?? "";
    if (!digest && !/\d+\.\d+\.\d+/.test(tag)) {
      problems.push(`image ${image} is not pinned to an exact version or digest`);
    }
    if (/alpine/.test(image)) {
      problems.push(`image ${image} is Alpine (musl); workerd needs a glibc (Debian) image`);
    }
    return problems;
  });
}

/** Every cache volume mounted with Locked sharing, one of them where pnpm keeps its store. */
export function cacheProblems(ops: Operation[]): string[] {
  const mounts = ops.filter((op) => op.operation === "withMountedCache");
  const problems = mounts
    .filter((op) => op.args.sharing !== "LOCKED")
    .map(
      (op) =>
        `cache at ${op.args.path} is mounted with sharing ${op.args.sharing ?? "SHARED (default)"}, not LOCKED`,
    );
  const storeDir = ops.find(
    (op) => op.operation === "withEnvVariable" && op.args.name === "pnpm_config_store_dir",
  )?.args.value;
  if (storeDir === undefined || !mounts.some((op) => op.args.path === storeDir)) {
    problems.push("the pnpm store (pnpm_config_store_dir) is not on a cache volume");
  }
  return problems;
}

const MANIFEST_PATTERN = /(^|\/)(package\.json|pnpm-lock\.yaml|pnpm-workspace\.yaml|\.npmrc)$/;

/** The argv of every withExec in the chain, in order. */
export function execsOf(ops: Operation[]): string[][] {
  return ops.filter((op) => op.operation === "withExec").map((op) => op.args.args as string[]);
}

function sameArgv(a: unknown, b: readonly string[]): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/** The filter applied last to a copied directory, if it is a `Directory.filter` result. */
export function filterOf(copy: Operation): { include?: string[]; exclude?: string[] } | undefined {
  const source = copy.args.source;
  const last = Array.isArray(source) ? (source.at(-1) as Operation | undefined) : undefined;
  return last?.operation === "filter"
    ? (last.args as { include?: string[]; exclude?: string[] })
    : undefined;
}

/**
 * Every copy of a directory into the container is content-hashed: a `Directory.filter` result
 * (which the engine hashes by content), never `withDirectory`'s own include/exclude (which it
 * does not), so an unrelated edit or a new commit leaves the layer cached.
 */
export function contentHashProblems(ops: Operation[]): string[] {
  return ops
    .filter((op) => op.operation === "withDirectory")
    .flatMap((op) => {
      const problems: string[] = [];
      if (op.args.include !== undefined || op.args.exclude !== undefined) {
        problems.push(
          `withDirectory ${op.args.path} filters with its own include/exclude, which the engine does not hash by content; copy a Directory.filter result`,
        );
      } else if (!filterOf(op)) {
        problems.push(
          `withDirectory ${op.args.path} copies an unfiltered directory (with .git): every commit busts its cache`,
        );
      }
      return problems;
    });
}

/**
 * The install runs with a frozen lockfile after copying only manifests and lockfile, and the
 * sources are copied after it (so editing a source keeps the install layer cached).
 */
export function installOrderProblems(ops: Operation[], installCommand: string[]): string[] {
  const installAt = ops.findIndex(
    (op) => op.operation === "withExec" && sameArgv(op.args.args, installCommand),
  );
  if (installAt === -1) {
    return [`no install (${installCommand.join(" ")}) in the container`];
  }
  const problems: string[] = [];
  if (!installCommand.includes("--frozen-lockfile")) {
    problems.push(`the install (${installCommand.join(" ")}) does not use --frozen-lockfile`);
  }
  const copies = ops
    .map((op, index) => ({ op, index }))
    .filter(({ op }) => op.operation === "withDirectory");
  for (const { op } of copies.filter(({ index }) => index < installAt)) {
    const include = filterOf(op)?.include;
    if (!include?.every((pattern) => MANIFEST_PATTERN.test(pattern))) {
      problems.push(
        `a directory copied before the install is not limited to manifests and lockfile (include: ${JSON.stringify(include ?? "everything")})`,
      );
    }
  }
  if (!copies.some(({ op, index }) => index > installAt && filterOf(op)?.include === undefined)) {
    problems.push("the sources are not copied in after the install");
  }
  return problems;
}

/**
 * Each step container is the install layer plus that step's own sources and only that step's
 * command: it holds no other step's command and no Locked cache mount, so no step waits for
 * another and the engine runs them side by side.
 */
export function independenceProblems(
  installed: Operation[],
  byStep: { id: string; command: string[]; ops: Operation[] }[],
): string[] {
  const shared = JSON.stringify(installed);
  return byStep.flatMap(({ id, command, ops }) => {
    const problems: string[] = [];
    const added = ops.slice(installed.length);
    if (JSON.stringify(ops.slice(0, installed.length)) !== shared) {
      problems.push(`${id} is not built on the shared install layer`);
    } else if (
      added.length !== 2 ||
      added[0]?.operation !== "withDirectory" ||
      !sameArgv(added[1]?.args.args, command)
    ) {
      problems.push(
        `${id} adds ${added.length} calls to the install layer, not only its sources and its own command`,
      );
    }
    for (const path of lockedMountsAtEnd(ops)) {
      problems.push(
        `${id} runs with the Locked cache at ${path} mounted: parallel steps would queue on it`,
      );
    }
    for (const other of byStep.filter((candidate) => candidate.id !== id)) {
      if (execsOf(ops).some((argv) => sameArgv(argv, other.command))) {
        problems.push(
          `${id} runs after ${other.id} (its container contains ${other.id}'s command)`,
        );
      }
    }
    return problems;
  });
}

/** Cache mounts with Locked sharing still in place at the end of the chain. */
function lockedMountsAtEnd(ops: Operation[]): string[] {
  const mounted = new Set<string>();
  for (const op of ops) {
    if (op.operation === "withMountedCache" && op.args.sharing === "LOCKED") {
      mounted.add(String(op.args.path));
    } else if (op.operation === "withoutMount") {
      mounted.delete(String(op.args.path));
    }
  }
  return [...mounted];
}

const SECRET_NAME = /(token|secret|passw(or)?d|api[_-]?key|private[_-]?key|credential|auth)/i;
const SECRET_VALUE = /(bearer\s|-----BEGIN)/i;

/**
 * Secrets go through withSecretVariable / Secret arguments only: no secret-looking variable name
 * or value in withEnvVariable, no secret-looking flag or value in any argv, nested calls included.
 */
export function secretProblems(ops: Operation[]): string[] {
  return ops.flatMap((op) => {
    const problems: string[] = [];
    if (op.operation === "withEnvVariable") {
      const { name, value } = op.args as { name: string; value: string };
      if (SECRET_NAME.test(name) || SECRET_VALUE.test(value)) {
        problems.push(`withEnvVariable ${name} looks like a secret; use withSecretVariable`);
      }
    }
    if (op.operation === "withExec") {
      for (const arg of op.args.args as string[]) {
        const secretFlag = arg.startsWith("-") && SECRET_NAME.test(arg);
        const secretAssignment =
          /^[A-Za-z_]+=/.test(arg) && SECRET_NAME.test(arg.split("=")[0] ?? "");
        if (secretFlag || secretAssignment || SECRET_VALUE.test(arg)) {
          problems.push(
            `argv of ${(op.args.args as string[]).join(" ")} carries a secret-looking "${arg}"`,
          );
        }
      }
    }
    for (const value of Object.values(op.args)) {
      if (
        Array.isArray(value) &&
        value.every((item) => typeof item === "object" && item !== null && "operation" in item)
      ) {
        problems.push(...secretProblems(value as Operation[]));
      }
    }
    return problems;
  });
}
