// @vitest-environment happy-dom
import { beforeEach, describe, expect, it } from 'vitest';
import { render } from './view';

function versionElement(root: HTMLElement): HTMLElement {
  const element = root.querySelector<HTMLElement>('#version');
  if (element === null) {
    throw new Error('no #version element rendered');
  }
  return element;
}

describe('render', () => {
  let root: HTMLElement;

  beforeEach(() => {
    document.body.innerHTML = '<main id="app"></main>';
    root = document.getElementById('app') as HTMLElement;
  });

  it('shows the app name in every state', () => {
    for (const state of [
      { kind: 'loading' },
      { kind: 'ok', version: '6.10.0rc1' },
      { kind: 'error', message: 'down' },
    ] as const) {
      render(root, state);
      expect(root.querySelectorAll('h1')).toHaveLength(1);
      expect(root.querySelector('h1')?.textContent).toBe('InvokeAI');
    }
  });

  it('renders the loading state', () => {
    render(root, { kind: 'loading' });

    const version = versionElement(root);
    expect(version.dataset['state']).toBe('loading');
    expect(version.textContent).toMatch(/^Loading/);
    expect(root.getAttribute('aria-busy')).toBe('true');
  });

  it('renders the version', () => {
    render(root, { kind: 'ok', version: '6.10.0rc1' });

    const version = versionElement(root);
    expect(version.tagName).toBe('P');
    expect(version.dataset['state']).toBe('ok');
    expect(version.textContent).toBe('Version 6.10.0rc1');
    expect(version.getAttribute('role')).toBe('status');
    expect(root.getAttribute('aria-busy')).toBe('false');
  });

  it('renders the error state', () => {
    render(root, { kind: 'error', message: 'network error: Failed to fetch' });

    const version = versionElement(root);
    expect(version.dataset['state']).toBe('error');
    expect(version.textContent).toBe(
      'Cannot reach the InvokeAI server: network error: Failed to fetch',
    );
    expect(version.getAttribute('role')).toBe('alert');
  });

  it('replaces the previous state instead of appending', () => {
    root.innerHTML = '<noscript>old</noscript>';
    render(root, { kind: 'loading' });
    render(root, { kind: 'ok', version: '1.0.0' });

    expect(root.children).toHaveLength(2);
    expect(root.querySelectorAll('#version')).toHaveLength(1);
    expect(versionElement(root).dataset['state']).toBe('ok');
  });

  it('shows server text as text, not markup', () => {
    render(root, { kind: 'ok', version: '<img src=x onerror=alert(1)>' });

    expect(root.querySelector('img')).toBeNull();
    expect(versionElement(root).textContent).toBe('Version <img src=x onerror=alert(1)>');
  });
});
