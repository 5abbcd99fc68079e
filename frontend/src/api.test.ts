import { describe, expect, it, vi } from 'vitest';
import { ApiError, fetchVersion, VERSION_PATH, type FetchLike } from './api';

function jsonResponse(body: unknown, init?: ResponseInit): Response {
  return new Response(JSON.stringify(body), {
    headers: { 'Content-Type': 'application/json' },
    ...init,
  });
}

function fakeFetch(response: Response | Error): FetchLike {
  return vi.fn<FetchLike>(() =>
    response instanceof Error ? Promise.reject(response) : Promise.resolve(response),
  );
}

describe('fetchVersion', () => {
  it('returns the version from a 200 answer', async () => {
    const fetchImpl = fakeFetch(jsonResponse({ version: '6.10.0rc1' }));

    await expect(fetchVersion(fetchImpl)).resolves.toEqual({ version: '6.10.0rc1' });
    expect(fetchImpl).toHaveBeenCalledTimes(1);
    expect(fetchImpl).toHaveBeenCalledWith(VERSION_PATH, expect.anything());
  });

  it('asks the version endpoint of the same origin', () => {
    expect(VERSION_PATH).toBe('/api/v1/app/version');
  });

  it('drops fields other than version', async () => {
    const fetchImpl = fakeFetch(jsonResponse({ version: '6.10.0', extra: true }));

    await expect(fetchVersion(fetchImpl)).resolves.toStrictEqual({ version: '6.10.0' });
  });

  it('uses the global fetch when none is given', async () => {
    const stub = vi.fn<FetchLike>(() => Promise.resolve(jsonResponse({ version: '1.2.3' })));
    vi.stubGlobal('fetch', stub);
    try {
      await expect(fetchVersion()).resolves.toEqual({ version: '1.2.3' });
      expect(stub).toHaveBeenCalledWith(VERSION_PATH, expect.anything());
    } finally {
      vi.unstubAllGlobals();
    }
  });

  it('rejects a non-200 answer with its status', async () => {
    const fetchImpl = fakeFetch(
      jsonResponse({ version: '6.10.0' }, { status: 503, statusText: 'Service Unavailable' }),
    );

    const result = fetchVersion(fetchImpl);
    await expect(result).rejects.toBeInstanceOf(ApiError);
    await expect(result).rejects.toThrow('HTTP 503 Service Unavailable');
  });

  it('rejects a 404 answer', async () => {
    const fetchImpl = fakeFetch(new Response('not found', { status: 404 }));

    await expect(fetchVersion(fetchImpl)).rejects.toThrow('HTTP 404');
  });

  it('rejects a body that is not JSON', async () => {
    const fetchImpl = fakeFetch(new Response('<html>oops</html>', { status: 200 }));

    const result = fetchVersion(fetchImpl);
    await expect(result).rejects.toBeInstanceOf(ApiError);
    await expect(result).rejects.toThrow('did not return valid JSON');
  });

  it.each([
    ['a missing version', {}],
    ['a numeric version', { version: 6 }],
    ['an empty version', { version: '' }],
    ['a blank version', { version: '   ' }],
    ['null', null],
    ['an array', ['6.10.0']],
    ['a bare string', '6.10.0'],
  ])('rejects JSON with %s', async (_label, body) => {
    const fetchImpl = fakeFetch(jsonResponse(body));

    const result = fetchVersion(fetchImpl);
    await expect(result).rejects.toBeInstanceOf(ApiError);
    await expect(result).rejects.toThrow('unexpected body');
  });

  it('rejects when the server cannot be reached', async () => {
    const cause = new TypeError('Failed to fetch');
    const fetchImpl = fakeFetch(cause);

    const result = fetchVersion(fetchImpl);
    await expect(result).rejects.toBeInstanceOf(ApiError);
    await expect(result).rejects.toThrow('network error: Failed to fetch');
    await expect(result).rejects.toHaveProperty('cause', cause);
  });
});
