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
