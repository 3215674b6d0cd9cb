/**
 * The only place that touches @dagger.io/dagger internals (0.21.8): the module introspector and
 * the lazy query tree of API objects. If the SDK changes shape, this file breaks and nothing else.
 */
import { copyFile, mkdtemp, rm } from "node:fs/promises";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { pathToFileURL } from "node:url";

const sdkSrc = dirname(createRequire(import.meta.url).resolve("@dagger.io/dagger"));

// ---------------------------------------------------------------------------------------------
// The introspector: what `dagger functions` / `dagger call --help` would show.

export interface ArgumentSurface {
  type: string;
  optional: boolean;
  default?: unknown;
  defaultPath?: string;
  ignore?: string[];
}

export interface FunctionSurface {
  returns: string;
  check: boolean;
  cache?: string;
  args: Record<string, ArgumentSurface>;
}

export interface ObjectSurface {
  constructorArgs: Record<string, ArgumentSurface>;
  functions: Record<string, FunctionSurface>;
}

export interface ModuleSurface {
  objects: Record<string, ObjectSurface>;
  /** Enum name -> member name -> value. */
  enums: Record<string, Record<string, string>>;
}

interface TypeDef {
  kind: string;
  name?: string;
  typeDef?: TypeDef;
}
interface ScannedArgument {
  description?: string;
  type?: TypeDef;
  isOptional: boolean;
  defaultValue?: unknown;
  defaultPath?: string;
  ignore?: string[];
}
interface ScannedFunction {
  description?: string;
  returnType?: TypeDef;
  isCheck: boolean;
  cache?: string;
  arguments: Record<string, ScannedArgument>;
}
interface ScannedModule {
  objects: Record<
    string,
    {
      _constructor?: { description?: string; arguments: Record<string, ScannedArgument> };
      methods: Record<string, ScannedFunction>;
    }
  >;
  enums: Record<string, { values: Record<string, { name: string; value: string }> }>;
}

/**
 * What `dagger call <function> --help` prints for each function and argument, keyed
 * `Object.function` and `Object.function --argument` (the constructor's function is `constructor`).
 */
export type ModuleHelp = Record<string, string>;

/**
 * Scans module sources the way the engine does (`scan` from the introspector). It needs the
 * generated client among its inputs, as a non-declaration `client.gen.ts`. The sources are not
 * imported (`loadModule` false): plain Node cannot run parameter decorators, and the surface
 * comes from the AST either way.
 */
export async function scanModule(
  files: string[],
  moduleName: string,
): Promise<{ surface: ModuleSurface; help: ModuleHelp }> {
  const scratch = await mkdtemp(join(tmpdir(), "dagger-client-gen-"));
  try {
    const clientGen = join(scratch, "client.gen.ts");
    await copyFile(join(sdkSrc, "api", "client.gen.d.ts"), clientGen);
    const introspector = await import(
      pathToFileURL(join(sdkSrc, "module", "introspector", "index.js")).href
    );
    const scanned: ScannedModule = await introspector.scan(
      [...files, clientGen],
      moduleName,
      false,
    );
    return { surface: toSurface(scanned), help: toHelp(scanned) };
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}

export async function scanModuleSurface(
  files: string[],
  moduleName: string,
): Promise<ModuleSurface> {
  return (await scanModule(files, moduleName)).surface;
}

function toHelp(scanned: ScannedModule): ModuleHelp {
  const help: ModuleHelp = {};
  for (const [name, object] of Object.entries(scanned.objects)) {
    const functions: [string, Pick<ScannedFunction, "description" | "arguments">][] =
      Object.entries(object.methods);
    if (object._constructor) functions.unshift(["constructor", object._constructor]);
    for (const [fnName, fn] of functions) {
      if (fn.description) help[`${name}.${fnName}`] = fn.description;
      for (const [argName, arg] of Object.entries(fn.arguments)) {
        if (arg.description) help[`${name}.${fnName} --${argName}`] = arg.description;
      }
    }
  }
  return help;
}

function toSurface(scanned: ScannedModule): ModuleSurface {
  const objects: Record<string, ObjectSurface> = {};
  for (const [name, object] of Object.entries(scanned.objects)) {
    const functions: Record<string, FunctionSurface> = {};
    for (const [fnName, fn] of Object.entries(object.methods)) {
      functions[fnName] = {
        returns: typeName(fn.returnType),
        check: fn.isCheck,
        ...(fn.cache !== undefined ? { cache: fn.cache } : {}),
        args: argumentsSurface(fn.arguments),
      };
    }
    objects[name] = {
      constructorArgs: argumentsSurface(object._constructor?.arguments ?? {}),
      functions,
    };
  }
  const enums: Record<string, Record<string, string>> = {};
  for (const [name, enumDef] of Object.entries(scanned.enums)) {
    enums[name] = Object.fromEntries(
      Object.values(enumDef.values).map((member) => [member.name, member.value]),
    );
  }
  return { objects, enums };
}

function argumentsSurface(args: Record<string, ScannedArgument>): Record<string, ArgumentSurface> {
  return Object.fromEntries(
    Object.entries(args).map(([name, arg]) => [
      name,
      {
        type: typeName(arg.type),
        optional: arg.isOptional,
        ...(arg.defaultValue !== undefined ? { default: arg.defaultValue } : {}),
        ...(arg.defaultPath !== undefined ? { defaultPath: arg.defaultPath } : {}),
        ...(arg.ignore !== undefined ? { ignore: arg.ignore } : {}),
      },
    ]),
  );
}

const SCALAR_NAMES: Record<string, string> = {
  STRING_KIND: "String",
  INTEGER_KIND: "Int",
  FLOAT_KIND: "Float",
  BOOLEAN_KIND: "Boolean",
  VOID_KIND: "Void",
};

function typeName(type: TypeDef | undefined): string {
  if (!type) {
    return "(unresolved)";
  }
  if (type.kind === "LIST_KIND") {
    return `[${typeName(type.typeDef)}]`;
  }
  return type.name ?? SCALAR_NAMES[type.kind] ?? type.kind;
}

// ---------------------------------------------------------------------------------------------
// Lazy API objects: a Container built with the SDK records its calls and runs nothing until a
// leaf (stdout, sync...) is awaited, so the graph a function builds can be read without an engine.

/** One API call; nested API objects among the arguments are replaced by their own calls. */
export interface Operation {
  operation: string;
  args: Record<string, unknown>;
}

interface Lazy {
  _ctx: { _queryTree: { operation: string; args?: Record<string, unknown> }[] };
}

function isLazy(value: unknown): value is Lazy {
  return typeof value === "object" && value !== null && "_ctx" in value;
}

/** The chain of calls that builds `object` (a Container, Directory, CacheVolume...). */
export function operationsOf(object: unknown): Operation[] {
  if (!isLazy(object)) {
    throw new Error("not a lazily built Dagger API object (no _ctx._queryTree)");
  }
  return object._ctx._queryTree.map(({ operation, args = {} }) => ({
    operation,
    args: Object.fromEntries(
      Object.entries(args)
        // Enum bookkeeping of the SDK, not an argument.
        .filter(([name]) => name !== "__metadata")
        .map(([name, value]) => [name, isLazy(value) ? operationsOf(value) : value]),
    ),
  }));
}

// ---------------------------------------------------------------------------------------------
// Queries sent: the SDK's global connection given a GraphQL client that records each query it
// would send to the engine and answers it, so code that awaits leaves runs offline.

interface Connection {
  setGQLClient(client: { request(query: string): Promise<unknown> }): void;
  resetClient(): void;
}

/**
 * Runs `body` with every query the SDK sends recorded, in order, and answered by `answer`
 * (its value is what the leaf returns: an id for `sync`, text for `stdout`). Resets the client
 * after, so nothing else in the process talks to this stand-in.
 */
export async function recordingQueries<T>(
  answer: (query: string) => unknown,
  body: () => Promise<T>,
): Promise<{ result: T; queries: string[] }> {
  const { globalConnection } = (await import(
    pathToFileURL(join(sdkSrc, "common", "graphql", "connection.js")).href
  )) as { globalConnection: Connection };
  const queries: string[] = [];
  globalConnection.setGQLClient({
    async request(query) {
      const text = String(query).replace(/\s+/g, " ").trim();
      queries.push(text);
      // The SDK flattens a one-key-per-level answer to its leaf.
      return { answer: answer(text) };
    },
  });
  try {
    return { result: await body(), queries };
  } finally {
    globalConnection.resetClient();
  }
}
