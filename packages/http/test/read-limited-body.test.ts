import { describe, expect, it } from "vitest";
import { readLimitedBody } from "../src/index";

const LIMIT = 8;
const bytes = (length: number) => new Uint8Array(length).fill(7);

/** A body with no Content-Length, as a chunked upload arrives; records whether it was cancelled. */
function chunkedRequest(chunks: Uint8Array[]): { request: Request; cancelled: () => boolean } {
  let cancelled = false;
  const stream = new ReadableStream<Uint8Array>({
    pull(controller) {
      const next = chunks.shift();
      if (next) controller.enqueue(next);
      else controller.close();
    },
    cancel() {
      cancelled = true;
    },
  });
  return {
    request: new Request("https://worker.test/", { method: "POST", body: stream }),
    cancelled: () => cancelled,
  };
}

describe("readLimitedBody", () => {
  it("returns the whole body up to the limit, chunks joined in order", async () => {
    const { request } = chunkedRequest([
      new Uint8Array([1, 2, 3]),
      new Uint8Array([4, 5, 6, 7, 8]),
    ]);
    expect(await readLimitedBody(request, LIMIT)).toEqual(new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8]));
  });

  it("returns an empty body for a request without one", async () => {
    const request = new Request("https://worker.test/", { method: "POST" });
    expect(await readLimitedBody(request, LIMIT)).toEqual(new Uint8Array(0));
  });

  it("refuses a declared Content-Length over the limit without reading the stream", async () => {
    const { request, cancelled } = chunkedRequest([bytes(1)]);
    const declared = new Request(request, { headers: { "content-length": String(LIMIT + 1) } });
    expect(await readLimitedBody(declared, LIMIT)).toBeNull();
    expect(declared.bodyUsed).toBe(false);
    expect(cancelled()).toBe(false);
  });

  it("stops reading and cancels a chunked body once it grows past the limit", async () => {
    const { request, cancelled } = chunkedRequest([bytes(LIMIT), bytes(1), bytes(LIMIT)]);
    expect(await readLimitedBody(request, LIMIT)).toBeNull();
    expect(cancelled()).toBe(true);
  });
});
