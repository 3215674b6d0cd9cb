import type { ResourceBinding } from "./services/bindings.js";
import type { DeployTarget, ServiceCatalog } from "./services/catalog.js";
import { requireServices } from "./services/catalog.js";
import { deployTargets, leftOutReason } from "./services/deploy-targets.js";

export type EdgeKind = "workspace" | "binding";

/** `from` depends on `to`: `to` must be deployed (and tested) first. */
export interface ServiceEdge {
  from: string;
  to: string;
  kinds: EdgeKind[];
}

export interface ServiceGraph {
  target: DeployTarget;
  services: string[];
  edges: ServiceEdge[];
  /** Direct dependencies of each service (workspace dependencies and bindings together). */
  dependencies: Record<string, string[]>;
  /** Bound Worker names no package here deploys, per service (only those that have some). */
  external: Record<string, string[]>;
  /** Each service's other bindings (KV, R2, D1, Durable Objects...) in this target. */
  resources: Record<string, ResourceBinding[]>;
  /** Workspace packages without a wrangler config, with the services that use them (transitively). */
  libraries: { name: string; dir: string; usedBy: string[] }[];
  /** Services that cannot deploy this target, each with one line saying why (not in the waves). */
  leftOut: Record<string, string>;
}

export class GraphCycleError extends Error {
  constructor(
    readonly cycle: string[],
    readonly target: DeployTarget,
  ) {
    super(`the ${target} service graph has a cycle: ${cycle.join(" -> ")}`);
    this.name = "GraphCycleError";
  }
}

export function serviceGraph(catalog: ServiceCatalog, target: DeployTarget): ServiceGraph {
  const edges = new Map<string, ServiceEdge>();
  const addEdge = (from: string, to: string, kind: EdgeKind) => {
    const key = `${from}\u0000${to}`;
    const edge = edges.get(key) ?? { from, to, kinds: [] };
    edge.kinds.push(kind);
    edges.set(key, edge);
  };
  const services = new Set(catalog.services.map((service) => service.name));
  for (const service of catalog.services) {
    // Libraries are not deployed, so only services order the waves.
    for (const dependency of service.workspaceDependencies.filter((name) => services.has(name))) {
      addEdge(service.name, dependency, "workspace");
    }
    for (const bound of service.bindings[target] ?? []) {
      addEdge(service.name, bound, "binding");
    }
  }
  const dependencies: Record<string, string[]> = {};
  for (const service of catalog.services) {
    dependencies[service.name] = [];
  }
  for (const edge of edges.values()) {
    dependencies[edge.from]?.push(edge.to);
  }
  const external: Record<string, string[]> = {};
  const resources: Record<string, ResourceBinding[]> = {};
  const leftOut: Record<string, string> = {};
  for (const service of catalog.services) {
    const reason = leftOutReason(service, target);
    if (reason !== undefined) {
      leftOut[service.name] = reason;
    }
    const outside = service.externalBindings[target] ?? [];
    if (outside.length > 0) {
      external[service.name] = outside;
    }
    resources[service.name] = service.resources[target] ?? [];
  }
  return {
    target,
    services: catalog.services.map((service) => service.name),
    edges: [...edges.values()],
    dependencies,
    external,
    resources,
    libraries: catalog.libraries.map((library) => ({
      name: library.name,
      dir: library.dir,
      usedBy: workspaceUsers(catalog, library.name).filter((name) => services.has(name)),
    })),
    leftOut,
  };
}

/**
 * Topological layers: every service comes after everything it depends on, directly or through
 * services that were not chosen. Each service sits at its depth in the full graph (db first,
 * gateway last), then unchosen services are dropped and empty layers removed, so choosing
 * `gateway` and `db` still deploys db first.
 */
export function deployWaves(
  catalog: ServiceCatalog,
  target: DeployTarget,
  only?: readonly string[],
): string[][] {
  const graph = serviceGraph(catalog, target);
  const chosen = new Set(
    only
      ? requireServices(catalog, only).map((s) => s.name)
      : graph.services.filter((name) => graph.leftOut[name] === undefined),
  );
  const depth = serviceDepths(graph);
  const layers: string[][] = [];
  for (const service of graph.services) {
    const level = depth.get(service) ?? 0;
    if (chosen.has(service)) {
      layers[level] ??= [];
      layers[level].push(service);
    }
  }
  return layers.filter((layer) => layer.length > 0).map((layer) => layer.sort());
}

/** Longest dependency chain below each service; throws GraphCycleError on a cycle. */
function serviceDepths(graph: ServiceGraph): Map<string, number> {
  const depth = new Map<string, number>();
  const visiting: string[] = [];
  const visit = (service: string): number => {
    const known = depth.get(service);
    if (known !== undefined) {
      return known;
    }
    const start = visiting.indexOf(service);
    if (start !== -1) {
      throw new GraphCycleError([...visiting.slice(start), service], graph.target);
    }
    visiting.push(service);
    const below = (graph.dependencies[service] ?? []).map(visit);
    visiting.pop();
    const level = below.length === 0 ? 0 : Math.max(...below) + 1;
    depth.set(service, level);
    return level;
  };
  for (const service of graph.services) {
    visit(service);
  }
  return depth;
}

/** Packages that import `name`, directly or through other packages (bindings do not count), sorted. */
function workspaceUsers(catalog: ServiceCatalog, name: string): string[] {
  const packages = [...catalog.services, ...catalog.libraries];
  const users = new Set<string>();
  const queue = [name];
  for (let next = queue.shift(); next !== undefined; next = queue.shift()) {
    for (const pkg of packages) {
      if (pkg.workspaceDependencies.includes(next) && !users.has(pkg.name)) {
        users.add(pkg.name);
        queue.push(pkg.name);
      }
    }
  }
  return [...users].sort();
}

/**
 * Packages (services and libraries) that depend on any of `changed`, directly or transitively:
 * through workspace dependencies, libraries included, and through service bindings in any target.
 */
export function dependentsClosure(
  catalog: ServiceCatalog,
  changed: Iterable<string>,
): Map<string, { via: string; kind: EdgeKind }> {
  const reverse = new Map<string, { from: string; kind: EdgeKind }[]>();
  const addEdge = (from: string, to: string, kind: EdgeKind) => {
    const list = reverse.get(to) ?? [];
    list.push({ from, kind });
    reverse.set(to, list);
  };
  for (const pkg of [...catalog.services, ...catalog.libraries]) {
    for (const dependency of pkg.workspaceDependencies) {
      addEdge(pkg.name, dependency, "workspace");
    }
  }
  for (const target of deployTargets(catalog)) {
    for (const service of catalog.services) {
      for (const bound of service.bindings[target] ?? []) {
        addEdge(service.name, bound, "binding");
      }
    }
  }
  const reached = new Map<string, { via: string; kind: EdgeKind }>();
  const seeds = new Set(changed);
  const queue = [...seeds];
  for (let service = queue.shift(); service !== undefined; service = queue.shift()) {
    for (const { from, kind } of reverse.get(service) ?? []) {
      if (!seeds.has(from) && !reached.has(from)) {
        reached.set(from, { via: service, kind });
        queue.push(from);
      }
    }
  }
  return reached;
}
