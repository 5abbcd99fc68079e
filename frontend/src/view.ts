/** Renders the page's states into a root element. */

export const APP_NAME = 'InvokeAI';

export type ViewState =
  { kind: 'loading' } | { kind: 'ok'; version: string } | { kind: 'error'; message: string };

function statusText(state: ViewState): string {
  switch (state.kind) {
    case 'loading':
      return 'Loading version…';
    case 'ok':
      return `Version ${state.version}`;
    case 'error':
      return `Cannot reach the ${APP_NAME} server: ${state.message}`;
  }
}

/** Replaces the content of `root` with the app name and the given state. */
export function render(root: HTMLElement, state: ViewState): void {
  const doc = root.ownerDocument;

  const heading = doc.createElement('h1');
  heading.textContent = APP_NAME;

  const status = doc.createElement('p');
  status.id = 'version';
  status.dataset['state'] = state.kind;
  // Errors interrupt; loading and success are announced politely.
  status.setAttribute('role', state.kind === 'error' ? 'alert' : 'status');
  // textContent, never innerHTML: the server's text is shown, not parsed.
  status.textContent = statusText(state);

  root.setAttribute('aria-busy', state.kind === 'loading' ? 'true' : 'false');
  root.replaceChildren(heading, status);
}
