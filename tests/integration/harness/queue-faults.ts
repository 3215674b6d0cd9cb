import type { Miniflare, WorkerOptions } from "miniflare";

const WORKER = "queue-faults";
const SCRIPT = new URL("./queue-faults-worker.js", import.meta.url).pathname;

export interface QueueFaults {
  /** The next `count` queue sends fail, wherever they come from. */
  failNextSends(count: number): Promise<void>;
}

/**
 * Puts the queue-faults worker between every queue producer binding and its queue: each binding
 * becomes a service binding to that worker, which holds the real producers and forwards to them.
 * Consumers, retries and dead-letter queues stay exactly as configured.
 */
export function withQueueFaults(workers: WorkerOptions[]): WorkerOptions[] {
  const queues = new Set<string>();
  const rewired = workers.map((worker) => {
    const producers = Object.entries(worker.queueProducers ?? {}) as [
      string,
      { queueName: string },
    ][];
    if (producers.length === 0) return worker;
    const serviceBindings = { ...(worker.serviceBindings as Record<string, unknown>) };
    for (const [binding, { queueName }] of producers) {
      queues.add(queueName);
      serviceBindings[binding] = { name: WORKER, props: { queue: queueName } };
    }
    return { ...worker, queueProducers: {}, serviceBindings } as WorkerOptions;
  });
  const faults: WorkerOptions = {
    name: WORKER,
    modules: true,
    scriptPath: SCRIPT,
    compatibilityDate: "2026-07-30",
    queueProducers: Object.fromEntries([...queues].map((queue) => [queue, { queueName: queue }])),
  };
  return [...rewired, faults];
}

export async function queueFaults(mf: Miniflare): Promise<QueueFaults> {
  return (await mf.getWorker(WORKER)) as unknown as QueueFaults;
}
