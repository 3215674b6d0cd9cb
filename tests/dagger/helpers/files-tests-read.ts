import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, resolve, sep } from "node:path";
import picomatch from "picomatch";
import ts from "typescript";
import { isUploaded, SOURCE_IGNORE, type StepSourceFilter } from "#core";
import type { ToolingSuite } from "../../tooling-suites.js";

/**
 * Every file under `root` a run could be given (what SOURCE_IGNORE and `.git` leave), as
 * repository-relative `/` paths.
 */
export function repoFiles(root: string): string[] {
  const ignored = picomatch([...SOURCE_IGNORE, ".git"], { dot: true });
  const walk = (dir: string): string[] =>
    readdirSync(join(root, dir), { withFileTypes: true }).flatMap((entry) => {
      const path = dir === "" ? entry.name : `${dir}/${entry.name}`;
      if (ignored(path)) return [];
      return entry.isDirectory() ? walk(path) : [path];
    });
  return walk("");
}

/** The test files of a suite, by its vitest include and exclude globs. */
export function suiteFiles(suite: ToolingSuite, files: readonly string[]): string[] {
  const included = picomatch(suite.include);
  const excluded = picomatch(suite.exclude ?? []);
  return files.filter((file) => included(file) && !excluded(file));
}

/**
 * The repository files a suite's tests read, found in their text and their helpers' (relative
 * imports under tests/, followed): string literals naming a repository path, the literal
 * arguments of one `join(...)`/`resolve(...)` call joined, and string constants imported from
 * the sources by name (`CONFIG_JSON_SCHEMA_FILE`). A folder stands for every file under it: a
 * fixture workspace is copied whole. Paths built at run time are not seen; the literals are
 * where this repository's tests name what they read.
 */
export function filesTestsRead(
  root: string,
  testFiles: readonly string[],
  files: readonly string[],
): string[] {
  const found = new Set<string>();
  const seen = new Set<string>();
  const queue = [...testFiles];
  for (let file = queue.shift(); file !== undefined; file = queue.shift()) {
    if (seen.has(file)) continue;
    seen.add(file);
    const text = readFileSync(join(root, file), "utf8");
    for (const candidate of pathCandidates(text)) found.add(candidate);
    for (const { path, names } of relativeImports(text)) {
      const target = resolveImport(root, file, path);
      if (target === undefined) continue;
      if (target.startsWith("tests/")) queue.push(target);
      else for (const value of exportedStrings(root, target, names)) found.add(value);
    }
  }
  return [...found]
    .map((candidate) => candidate.replace(/^\.\//, "").replace(/\/+$/, ""))
    .filter((candidate) => candidate !== "" && !candidate.startsWith("..") && candidate !== ".")
    .filter((candidate) => existsSync(join(root, candidate)))
    .flatMap((candidate) =>
      statSync(join(root, candidate)).isDirectory()
        ? files.filter((file) => file.startsWith(`${candidate}/`))
        : files.includes(candidate)
          ? [candidate]
          : [],
    )
    .filter((file, index, all) => all.indexOf(file) === index)
    .sort();
}

/** What a step is given of `read`: the files missing from its upload. */
export function missingFromUpload(upload: StepSourceFilter, read: readonly string[]): string[] {
  return read.filter((file) => !isUploaded(upload, file));
}

const LITERAL = /"([^"\n]+)"|'([^'\n]+)'/g;

function pathCandidates(text: string): string[] {
  const literals = [...text.matchAll(LITERAL)].map((match) => match[1] ?? match[2] ?? "");
  const joined = [...text.matchAll(/\b(?:join|resolve)\(([^()]*)\)/g)].map((call) =>
    [...(call[1] ?? "").matchAll(LITERAL)].map((match) => match[1] ?? match[2]).join("/"),
  );
  return [...literals, ...joined].filter((value) => /^[\w.@-][\w./@-]*$/.test(value));
}

function relativeImports(text: string): { path: string; names: string[] }[] {
  const imports: { path: string; names: string[] }[] = [];
  for (const match of text.matchAll(
    /import\s+(?:type\s+)?(?:\{([^}]*)\}|[\w*\s]+)\s+from\s+"(\.[^"]+)"/g,
  )) {
    const names = (match[1] ?? "")
      .split(",")
      .map((name) =>
        name
          .replace(/^\s*type\s+/, "")
          .split(/\s+as\s+/)[0]
          ?.trim(),
      )
      .filter((name): name is string => Boolean(name));
    imports.push({ path: match[2] ?? "", names });
  }
  return imports;
}

function resolveImport(root: string, from: string, specifier: string): string | undefined {
  const absolute = resolve(root, dirname(from), specifier.replace(/\.js$/, ".ts"));
  const path = relative(root, absolute).split(sep).join("/");
  return existsSync(absolute) && !path.startsWith("..") ? path : undefined;
}

/** `export const NAME = "value"` in `file`, for each imported name that is one. */
function exportedStrings(root: string, file: string, names: readonly string[]): string[] {
  if (names.length === 0) return [];
  const source = ts.createSourceFile(file, readFileSync(join(root, file), "utf8"), 99, true);
  const values: string[] = [];
  source.forEachChild((node) => {
    if (!ts.isVariableStatement(node)) return;
    for (const declaration of node.declarationList.declarations) {
      if (
        ts.isIdentifier(declaration.name) &&
        names.includes(declaration.name.text) &&
        declaration.initializer &&
        ts.isStringLiteral(declaration.initializer)
      ) {
        values.push(declaration.initializer.text);
      }
    }
  });
  return values;
}
