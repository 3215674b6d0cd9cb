import type { HttpClient } from "./ports.js";

/** HTTP over the global fetch, which both Node and the Dagger module runtime provide. */

export const fetchHttpClient: HttpClient = {
  async request({ method, url, headers, body, timeoutMs }) {
    const response = await fetch(url, {
      method,
      headers,
      ...(body === undefined ? {} : { body }),
      signal: AbortSignal.timeout(timeoutMs),
      redirect: "manual",
    });
    return {
      status: response.status,
      headers: Object.fromEntries(response.headers),
      body: await response.text(),
    };
  },
};
