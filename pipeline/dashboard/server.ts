import { createHash } from "node:crypto";
import { type FSWatcher, watch } from "node:fs";
import { mkdir, readFile } from "node:fs/promises";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { type DoraReport, renderDoraHtml, renderStepsRunHtml } from "#core";
import { readChartLibrary } from "../host/chart-library.js";
import {
  listRunIds,
  type RunRecord,
  readRunRecord,
  runsDir,
  shownState,
} from "../host/run-records.js";
import { renderNoDoraPage, renderRunningDeployPage, renderRunsPage } from "./runs-page.js";

export interface Dashboard {
  /** `http://127.0.0.1:<port>/` */
  url: string;
  close(): Promise<void>;
}

const RUN_ID = /^[A-Za-z0-9-]+$/;

/** A live view's version: a page reloads when what it showed has changed since. */
const versionOf = (records: RunRecord[]) =>
  createHash("sha256")
    .update(records.map((record) => `${record.id}@${record.updatedAt}`).join("\n"))
    .digest("hex")
    .slice(0, 16);

interface Subscriber {
  response: ServerResponse;
  /** The run it follows; undefined for the list of runs. */
  runId: string | undefined;
  version: string;
}

/**
 * Serves the runs recorded in `<repoRoot>/.pipeline/runs` on loopback only: the list of runs,
 * each run's report, and the latest DORA report. A page of something still changing (the list,
 * a running run) follows a server-sent events stream and reloads on each `update`, which is sent
 * when a record in the folder changes (an inotify watch, no polling).
 */
export async function startDashboard(repoRoot: string, port: number): Promise<Dashboard> {
  const dir = runsDir(repoRoot);
  await mkdir(dir, { recursive: true });
  const chartLibrary = await readChartLibrary();
  const subscribers = new Set<Subscriber>();

  const records = async (): Promise<RunRecord[]> => {
    const ids = await listRunIds(repoRoot);
    // A corrupt record (a disk that lost it) only drops that run from the list.
    const read = await Promise.all(
      ids.map((id) => readRunRecord(repoRoot, id).catch(() => undefined)),
    );
    return read.filter((record): record is RunRecord => record !== undefined);
  };
  const currentVersion = async (runId: string | undefined): Promise<string> => {
    if (runId === undefined) return versionOf(await records());
    const record = await readRunRecord(repoRoot, runId).catch(() => undefined);
    return record ? versionOf([record]) : "missing";
  };
  const notify = async (subscriber: Subscriber) => {
    const version = await currentVersion(subscriber.runId);
    if (version !== subscriber.version) {
      subscriber.version = version;
      subscriber.response.write(`event: update\ndata: ${version}\n\n`);
    }
  };
  // One write of a record is several events in the folder (temporary file, backup, rename):
  // they are answered once, after the burst.
  let burst: NodeJS.Timeout | undefined;
  const notifyAll = () => {
    burst ??= setTimeout(() => {
      burst = undefined;
      for (const subscriber of subscribers) {
        notify(subscriber).catch(() => subscribers.delete(subscriber));
      }
    }, 50);
  };

  const send = (response: ServerResponse, status: number, html: string) => {
    response.writeHead(status, {
      "content-type": "text/html; charset=utf-8",
      "cache-control": "no-store",
    });
    response.end(html);
  };

  const runPage = async (response: ServerResponse, id: string) => {
    const record = RUN_ID.test(id) ? await readRunRecord(repoRoot, id) : undefined;
    if (record === undefined) {
      send(response, 404, `no run ${id.replace(/[^A-Za-z0-9-]/g, "")} in .pipeline/runs`);
      return;
    }
    const stopped = shownState(record) === "stopped";
    if (record.state === "running" && record.kind === "steps") {
      const html = renderStepsRunHtml(
        {
          title: record.title,
          startedAt: record.startedAt,
          graph: record.graph ?? [],
          progress: record.progress ?? { finished: [], running: [] },
          stopped,
        },
        stopped
          ? { chartLibrary }
          : { chartLibrary, liveEventsUrl: `/runs/${id}/events?since=${versionOf([record])}` },
      );
      send(response, 200, html);
      return;
    }
    if (record.state === "running") {
      const eventsUrl = `/runs/${id}/events?since=${versionOf([record])}`;
      send(response, 200, renderRunningDeployPage(record, eventsUrl));
      return;
    }
    if (record.htmlReport === undefined) {
      send(response, 200, `${record.title}: ${record.state}, no HTML report yet`);
      return;
    }
    send(response, 200, await readFile(record.htmlReport, "utf8"));
  };

  const doraPage = async (response: ServerResponse) => {
    const latest = (await records()).find((record) => record.kind === "dora" && record.report);
    send(
      response,
      200,
      latest ? renderDoraHtml(latest.report as DoraReport, { chartLibrary }) : renderNoDoraPage(),
    );
  };

  const events = (
    request: IncomingMessage,
    response: ServerResponse,
    runId: string | undefined,
  ) => {
    response.writeHead(200, {
      "content-type": "text/event-stream",
      "cache-control": "no-store",
      connection: "keep-alive",
    });
    response.write("retry: 1000\n\n");
    const since = new URL(request.url ?? "/", "http://127.0.0.1").searchParams.get("since") ?? "";
    const subscriber: Subscriber = { response, runId, version: since };
    subscribers.add(subscriber);
    request.on("close", () => subscribers.delete(subscriber));
    // The page may be older than this stream: anything that changed in between reloads it now.
    notify(subscriber).catch(() => subscribers.delete(subscriber));
  };

  const handle = async (request: IncomingMessage, response: ServerResponse) => {
    const path = new URL(request.url ?? "/", "http://127.0.0.1").pathname;
    if (request.method !== "GET") {
      send(response, 405, "the dashboard only answers GET");
      return;
    }
    if (path === "/") {
      const all = await records();
      const page = renderRunsPage(all, `/events?since=${versionOf(all)}`);
      send(response, 200, page);
    } else if (path === "/events") {
      events(request, response, undefined);
    } else if (path === "/dora") {
      await doraPage(response);
    } else {
      const match = /^\/runs\/([^/]+)(\/events)?$/.exec(path);
      if (match?.[1] === undefined) {
        send(response, 404, "not found: the dashboard serves /, /runs/<id> and /dora");
      } else if (match[2]) {
        events(request, response, match[1]);
      } else {
        await runPage(response, decodeURIComponent(match[1]));
      }
    }
  };

  // Imported here, not at the top: importing node:http loads Node's fetch (undici) with it, about
  // 20 ms of every CLI start, and only this command serves HTTP.
  const { createServer } = await import("node:http");
  const server = createServer((request, response) => {
    handle(request, response).catch((error: unknown) => {
      if (!response.headersSent) send(response, 500, String(error));
      else response.end();
    });
  });
  const watcher: FSWatcher = watch(dir, () => notifyAll());
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    // Loopback only: the reports hold logs and version ids, not for the network.
    server.listen(port, "127.0.0.1", () => resolve());
  });
  const { port: bound } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${bound}/`,
    async close() {
      watcher.close();
      clearTimeout(burst);
      for (const subscriber of subscribers) subscriber.response.end();
      subscribers.clear();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
