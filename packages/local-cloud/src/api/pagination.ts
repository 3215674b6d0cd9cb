// Cloudflare's page-number pagination (`?page=&per_page=`), as every list route answers it:
// one page of items plus `result_info`. The official SDK's list iterators ask for page + 1 until
// a page comes back empty, so a list that ignored `page` would never end.
import * as z from "zod";
import { ApiError, type ResultInfo } from "./envelope.js";

/** A route's answer that carries `result_info` beside `result` in the envelope. */
export class PagedResult {
  constructor(
    readonly result: unknown,
    readonly resultInfo: ResultInfo,
  ) {}
}

// Limits where the API documents none for a route: Cloudflare's common default page size, and
// the largest page its generic check accepts ("per_page variable must be a number between 1 and
// 1000", error 6008 with chained error 11000).
const defaultPerPage = 20;
const maxPerPage = 1000;
const invalidParameters = 6008;
const invalidParameter = 11000;

const positiveInteger = z.string().regex(/^\d+$/).transform(Number);

function queryNumber(url: URL, name: string, max?: number): number | undefined {
  const raw = url.searchParams.get(name);
  if (raw === null) return undefined;
  const parsed = positiveInteger
    .pipe(
      z
        .number()
        .min(1)
        .max(max ?? Number.MAX_SAFE_INTEGER),
    )
    .safeParse(raw);
  if (!parsed.success) {
    const range = max === undefined ? "of at least 1" : `between 1 and ${max}`;
    throw new ApiError(400, invalidParameters, "Invalid request parameters", [
      { code: invalidParameter, message: `${name} variable must be a number ${range}` },
    ]);
  }
  return parsed.data;
}

/**
 * The page of `items` that `?page=&per_page=` asks for. A request with neither gets every item
 * on page 1: wrangler lists deployments, scripts and deployable versions without them and must
 * see them all (the API caps those at a default page size, which the control plane does not
 * reproduce). `wrap` shapes the page as the route's result (`{ items }`, `{ deployments }`...).
 */
export function paginate<T>(
  url: URL,
  items: readonly T[],
  wrap: (page: T[]) => unknown = (page) => page,
): PagedResult {
  const page = queryNumber(url, "page");
  const requested = queryNumber(url, "per_page", maxPerPage);
  const perPage =
    requested ?? (page === undefined ? Math.max(items.length, defaultPerPage) : defaultPerPage);
  const current = page ?? 1;
  const slice = items.slice((current - 1) * perPage, current * perPage);
  return new PagedResult(wrap(slice), {
    page: current,
    per_page: perPage,
    count: slice.length,
    total_count: items.length,
    total_pages: Math.ceil(items.length / perPage),
  });
}
