import type { ServiceGraph } from "../graph.js";
import type { ResourceBinding } from "../services/bindings.js";

function resourceText(resource: ResourceBinding): string {
  const target = resource.resource ? `: ${resource.resource}` : "";
  // Only a queue consumer has no binding name: it receives, the code never calls it.
  return resource.binding === undefined
    ? `(${resource.kind} consumer${target})`
    : `${resource.binding} (${resource.kind}${target})`;
}

export function renderGraph(graph: ServiceGraph, waves: string[][]): string {
  const lines = [`service graph (${graph.target}):`];
  for (const service of graph.services) {
    const edges = graph.edges
      .filter((edge) => edge.from === service)
      .map((edge) => `${edge.to} (${edge.kinds.join("+")})`);
    const external = (graph.external[service] ?? []).map((worker) => `${worker} (external)`);
    const targets = [...edges, ...external];
    lines.push(`  ${service} -> ${targets.length > 0 ? targets.join(", ") : "(nothing)"}`);
    const resources = graph.resources[service] ?? [];
    if (resources.length > 0) {
      lines.push(`    bindings: ${resources.map(resourceText).join(", ")}`);
    }
  }
  if (graph.libraries.length > 0) {
    lines.push("libraries:");
    for (const library of graph.libraries) {
      const users = library.usedBy.length > 0 ? library.usedBy.join(", ") : "(no service)";
      lines.push(`  ${library.name} (${library.dir}) <- ${users}`);
    }
  }
  const leftOut = Object.entries(graph.leftOut);
  if (leftOut.length > 0) {
    lines.push(`left out of ${graph.target}:`);
    for (const [service, reason] of leftOut) {
      lines.push(`  ${service}: ${reason}`);
    }
  }
  lines.push("deploy waves:");
  waves.forEach((wave, index) => {
    lines.push(`  ${index + 1}. ${wave.join(", ")}`);
  });
  return lines.join("\n");
}
