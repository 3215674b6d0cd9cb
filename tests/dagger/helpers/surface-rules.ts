import type { ModuleSurface } from "./sdk-internals.js";

/** `dagger check` runs a check without arguments, so none may be required. */
export function checkArgumentProblems(surface: ModuleSurface): string[] {
  return Object.entries(surface.objects).flatMap(([objectName, object]) =>
    Object.entries(object.functions)
      .filter(([, fn]) => fn.check)
      .flatMap(([fnName, fn]) =>
        Object.entries(fn.args)
          .filter(([, arg]) => !arg.optional && arg.default === undefined)
          .map(([argName]) => `check ${objectName}.${fnName} requires --${argName}`),
      ),
  );
}

const SCALARS = ["String", "Int", "Float", "Boolean", "Void"];
/** The core types a function of this module may take or return. */
const CORE_TYPES = ["Container", "Directory", "File", "Secret", "Service", "Socket", "CacheVolume"];

/**
 * Every argument and result is a scalar, one of the module's own enums or objects, or an expected
 * core type. An enum named like a core type (Env, Check...) shows up here: the introspector drops
 * the enum and types the argument as that core type.
 */
export function typeProblems(surface: ModuleSurface): string[] {
  const known = [
    ...SCALARS,
    ...CORE_TYPES,
    ...Object.keys(surface.enums),
    ...Object.keys(surface.objects),
  ];
  const unknown = (type: string) => !known.includes(type.replace(/^\[(.*)\]$/, "$1"));
  return Object.entries(surface.objects).flatMap(([objectName, object]) => [
    ...Object.entries(object.constructorArgs)
      .filter(([, arg]) => unknown(arg.type))
      .map(([argName, arg]) => `${objectName} --${argName} has unexpected type ${arg.type}`),
    ...Object.entries(object.functions).flatMap(([fnName, fn]) => [
      ...(unknown(fn.returns)
        ? [`${objectName}.${fnName} returns unexpected type ${fn.returns}`]
        : []),
      ...Object.entries(fn.args)
        .filter(([, arg]) => unknown(arg.type))
        .map(
          ([argName, arg]) =>
            `${objectName}.${fnName} --${argName} has unexpected type ${arg.type}`,
        ),
    ]),
  ]);
}

const SECRET_PROVIDERS = /^(env|file|cmd|op|vault|libsecret):\/\//;

/**
 * Each `.env` line names a function and one of its arguments the way Dagger resolves them:
 * `FUNCTION_ARGUMENT`, compared case-insensitively, with the argument part kept whole
 * (underscores are not dropped, so `DEPLOY_ACCOUNT_ID` never fills `accountId`). A Secret's
 * value is a reference to where the secret lives, never the secret.
 */
export function dotEnvProblems(surface: ModuleSurface, text: string): string[] {
  const functions = Object.values(surface.objects).flatMap((object) =>
    Object.entries(object.functions),
  );
  return text.split("\n").flatMap((line) => {
    const match = /^\s*([A-Za-z0-9_]+)\s*=\s*(.*)$/.exec(line);
    if (!match || line.trim().startsWith("#")) {
      return [];
    }
    const [, key = "", value = ""] = match;
    const found = functions.flatMap(([fnName, fn]) => {
      const prefix = `${fnName}_`.toLowerCase();
      if (!key.toLowerCase().startsWith(prefix)) return [];
      const rest = key.slice(prefix.length).toLowerCase();
      return Object.entries(fn.args)
        .filter(([argName]) => argName.toLowerCase() === rest)
        .map(([argName, arg]) => ({ fnName, argName, arg }));
    });
    const [target] = found;
    if (!target) {
      return [
        `${key} fills no function argument (Dagger reads FUNCTION_ARGUMENT, underscores kept)`,
      ];
    }
    if (target.arg.type === "Secret" && !SECRET_PROVIDERS.test(value.trim())) {
      return [
        `${key} sets the Secret ${target.fnName} --${target.argName} to a literal, not a reference such as env://NAME`,
      ];
    }
    return [];
  });
}

/**
 * `dagger call --help` prints each function's and argument's doc comment to users: a note to
 * the module's maintainers (a source file to keep in step, a TODO) belongs in a `//` comment.
 */
export function helpProblems(help: Record<string, string>): string[] {
  const forMaintainers =
    /(?:^|[\s(`])[\w.-]*(?:\/[\w.-]+)*\.(?:ts|js|sh)\b|\b(?:TODO|FIXME|XXX)\b|\bmust list\b|\bin sync\b/;
  return Object.entries(help)
    .filter(([, text]) => forMaintainers.test(text))
    .map(([where, text]) => `${where}: a maintainer's note in --help: ${JSON.stringify(text)}`);
}
