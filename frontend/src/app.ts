/** Wires the API client to the view. */

import { fetchVersion, type FetchLike } from './api';
import { render } from './view';

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Shows the loading state, then the server's version or the error. */
export async function startApp(root: HTMLElement, fetchImpl?: FetchLike): Promise<void> {
  render(root, { kind: 'loading' });
  try {
    const { version } = await fetchVersion(fetchImpl);
    render(root, { kind: 'ok', version });
  } catch (error) {
    render(root, { kind: 'error', message: describe(error) });
  }
}
