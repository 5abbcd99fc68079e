// @vitest-environment happy-dom
import { describe, expect, it } from 'vitest';
import type { FetchLike } from './api';
import { startApp } from './app';

function state(root: HTMLElement): string | undefined {
  return root.querySelector<HTMLElement>('#version')?.dataset['state'];
}

describe('startApp', () => {
  it('shows loading until the server answers, then the version', async () => {
    const root = document.createElement('main');
    let answer: (response: Response) => void = () => undefined;
    const fetchImpl: FetchLike = () =>
      new Promise<Response>((resolve) => {
        answer = resolve;
      });

    const started = startApp(root, fetchImpl);
    expect(state(root)).toBe('loading');

    answer(new Response(JSON.stringify({ version: '6.10.0rc1' }), { status: 200 }));
    await started;

    expect(state(root)).toBe('ok');
    expect(root.querySelector('#version')?.textContent).toBe('Version 6.10.0rc1');
  });

  it('shows the error when the server is down', async () => {
    const root = document.createElement('main');
    const fetchImpl: FetchLike = () => Promise.reject(new TypeError('Failed to fetch'));

    await startApp(root, fetchImpl);

    expect(state(root)).toBe('error');
    expect(root.querySelector('#version')?.textContent).toBe(
      'Cannot reach the InvokeAI server: network error: Failed to fetch',
    );
  });

  it('shows the error on a non-200 answer', async () => {
    const root = document.createElement('main');
    const fetchImpl: FetchLike = () =>
      Promise.resolve(new Response('boom', { status: 500, statusText: 'Internal Server Error' }));

    await startApp(root, fetchImpl);

    expect(state(root)).toBe('error');
    expect(root.querySelector('#version')?.textContent).toContain('HTTP 500');
  });
});
