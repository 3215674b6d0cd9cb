import { builtinModules } from "node:module";
import { dirname, relative, resolve } from "node:path";
import { satisfies } from "semver";
import ts from "typescript";

/** Provided by the module runtime itself (generated into sdk/), not installed from package.json. */
export const RUNTIME_PROVIDED = ["@dagger.io/dagger"];
/**
 * The TypeScript runtime's `DefaultTypeScriptVersion` (Dagger v0.21.8,
 * sdk/typescript/runtime/tsdistconsts/consts.go). When a module's `typescript` dependency is this
 * exact string, the Node runtime mounts its bundled TypeScript at `node_modules/typescript` and,
 * with any other dependency, then runs `npm install --omit=dev`, which fails with EBUSY trying to
 * replace the mount (sdk/typescript/runtime/runtime_node.go, withInstalledDependencies). Without
 * the dependency, sdk/typescript/runtime/tsutils/package_json_updator.go adds this string back.
 */
export const RUNTIME_DEFAULT_TYPESCRIPT = "5.9.3";

export interface SourceFile {
  path: string;
  text: string;
}

/** `zod/mini` -> zod, `@scope/pkg/sub` -> @scope/pkg. */
export function packageOf(specifier: string): string {
  const parts = specifier.split("/");
  return (specifier.startsWith("@") ? parts.slice(0, 2) : parts.slice(0, 1)).join("/");
}

/**
 * The runtime uploads only dagger/ and imports every .ts file under dagger/src, with nothing
 * installed but package.json's dependencies: no Node built-ins (engine-neutral code), no package
 * outside those dependencies, no relative import leaving the module.
 */
export function importProblems(
  files: SourceFile[],
  moduleDir: string,
  dependencies: readonly string[],
): { problems: string[]; packages: Set<string> } {
  const problems: string[] = [];
  const packages = new Set<string>();
  for (const file of files) {
    const where = relative(moduleDir, file.path);
    for (const { fileName: specifier } of ts.preProcessFile(file.text, true, true).importedFiles) {
      if (specifier.startsWith(".")) {
        const target = relative(moduleDir, resolve(dirname(file.path), specifier));
        if (target.startsWith("..")) {
          problems.push(`${where} imports ${specifier}, outside the uploaded module`);
        }
        continue;
      }
      const name = packageOf(specifier);
      if (specifier.startsWith("node:") || builtinModules.includes(name)) {
        problems.push(`${where} imports the Node built-in ${specifier}`);
      } else if (!dependencies.includes(name) && !RUNTIME_PROVIDED.includes(name)) {
        problems.push(
          `${where} imports ${specifier}, which dagger/package.json does not depend on`,
        );
      } else {
        packages.add(name);
      }
    }
  }
  return { problems, packages };
}

interface PackageJson {
  dependencies?: Record<string, string>;
  devDependencies?: Record<string, string>;
}
interface PackageLock {
  packages: Record<string, { version?: string; dependencies?: Record<string, string> }>;
}

/**
 * Each runtime dependency earns its load time: it is imported by the module (typescript aside,
 * present but never the runtime's exact default string), pinned exactly to the version the host
 * uses, and locked at a version its spec accepts.
 */
export function dependencyProblems(
  modulePackage: PackageJson,
  lock: PackageLock,
  imported: ReadonlySet<string>,
  rootPackage: PackageJson,
): string[] {
  const problems: string[] = [];
  const dependencies = modulePackage.dependencies ?? {};
  if (dependencies.typescript === undefined) {
    problems.push(
      `typescript is missing: the runtime adds "${RUNTIME_DEFAULT_TYPESCRIPT}" back, which breaks loading (EBUSY)`,
    );
  } else if (dependencies.typescript === RUNTIME_DEFAULT_TYPESCRIPT) {
    problems.push(
      `typescript is exactly "${RUNTIME_DEFAULT_TYPESCRIPT}", the runtime's default: it mounts its own TypeScript there and npm install fails with EBUSY; use a range such as ~${RUNTIME_DEFAULT_TYPESCRIPT}`,
    );
  }
  if (modulePackage.devDependencies && Object.keys(modulePackage.devDependencies).length > 0) {
    problems.push("devDependencies in dagger/package.json: tests and typecheck use the root's");
  }
  for (const [name, version] of Object.entries(dependencies)) {
    if (name !== "typescript" && !imported.has(name)) {
      problems.push(`${name} is a runtime dependency nothing under dagger/src imports`);
    }
    const hostVersion = rootPackage.devDependencies?.[name] ?? rootPackage.dependencies?.[name];
    if (name !== "typescript" && hostVersion !== version) {
      problems.push(
        `${name} is ${version} in the module but ${hostVersion ?? "absent"} on the host`,
      );
    }
    const locked = lock.packages[`node_modules/${name}`]?.version;
    if (locked === undefined || !satisfies(locked, version)) {
      problems.push(`dagger/package-lock.json does not lock ${name} at ${version}`);
    }
  }
  if (JSON.stringify(lock.packages[""]?.dependencies ?? {}) !== JSON.stringify(dependencies)) {
    problems.push("dagger/package-lock.json is out of date with dagger/package.json");
  }
  return problems;
}
