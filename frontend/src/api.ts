/** Client for the InvokeAI server's HTTP API. */

import type { components, paths } from './generated/openapi';

/**
 * Body of `GET /api/v1/app/version`, as the app's OpenAPI document declares it
 * (regenerate the types with `cargo xtask frontend typegen --mode write`).
 */
export type AppVersion = components['schemas']['AppVersion'];

/** The part of `fetch` this module uses; tests pass a fake. */
export type FetchLike = (input: string, init?: RequestInit) => Promise<Response>;

export const VERSION_PATH = '/api/v1/app/version' satisfies keyof paths;

/** Any failure to get a usable answer from the server. */
export class ApiError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'ApiError';
  }
}

function isAppVersion(value: unknown): value is AppVersion {
  if (typeof value !== 'object' || value === null) {
    return false;
  }
  const version: unknown = (value as Record<string, unknown>)['version'];
  return typeof version === 'string' && version.trim() !== '';
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Calls the global `fetch` at call time, so it is looked up when used, not when imported. */
const globalFetch: FetchLike = (input, init) => fetch(input, init);

/**
 * Fetches the running server's version.
 *
 * Rejects with an {@link ApiError} when the server cannot be reached, answers
 * with a non-2xx status, or sends a body that is not `{"version": "<non-empty string>"}`.
 */
export async function fetchVersion(fetchImpl: FetchLike = globalFetch): Promise<AppVersion> {
  let response: Response;
  try {
    response = await fetchImpl(VERSION_PATH, { headers: { Accept: 'application/json' } });
  } catch (error) {
    throw new ApiError(`network error: ${describe(error)}`, { cause: error });
  }

  if (!response.ok) {
    const status = `${response.status} ${response.statusText}`.trim();
    throw new ApiError(`GET ${VERSION_PATH} answered HTTP ${status}`);
  }

  let body: unknown;
  try {
    body = await response.json();
  } catch (error) {
    throw new ApiError(`GET ${VERSION_PATH} did not return valid JSON`, { cause: error });
  }

  if (!isAppVersion(body)) {
    throw new ApiError(`GET ${VERSION_PATH} returned an unexpected body: ${JSON.stringify(body)}`);
  }
  return { version: body.version };
}
