import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, relative } from 'node:path';
import type { Plugin } from 'vite';

/** The environment variable that names where the graph is written. */
export const BUNDLE_GRAPH_ENV = 'INVOKEAI_BUNDLE_GRAPH';

/** Modules whose code a CSS file can carry. */
const STYLE = /\.(css|less|sass|scss|styl|stylus|pcss|postcss|sss)(\?|$)/;

/** One output file of the build and the modules whose code it carries. */
interface Output {
  file: string;
  modules: string[];
}

/**
 * Records which modules went into which output file of the production build.
 * `cargo xtask frontend build` sets INVOKEAI_BUNDLE_GRAPH and turns the record
 * into the SBOM of the npm packages the UI bundles; without the variable this
 * plugin does nothing.
 *
 * Module ids are written relative to `root` with `/` separators; a virtual
 * module (one the bundler made up, id starting with NUL) keeps its id.
 */
export function bundleGraph(root: string): Plugin {
  const name = (id: string): string =>
    id.startsWith('\0') ? id : relative(root, id).split('\\').join('/');
  return {
    name: 'invokeai-bundle-graph',
    apply: 'build',
    generateBundle(_options, bundle) {
      const target = process.env[BUNDLE_GRAPH_ENV];
      if (target === undefined || target === '') {
        return;
      }
      const outputs: Output[] = [];
      for (const item of Object.values(bundle)) {
        if (item.type !== 'chunk') {
          continue;
        }
        // Modules tree-shaken down to nothing left no code in the chunk.
        const kept = item.moduleIds.filter((id) => (item.modules[id]?.renderedLength ?? 0) > 0);
        outputs.push({ file: item.fileName, modules: kept.map(name).sort() });
        // A chunk's CSS is split into asset files, made of its style modules.
        const styles = item.moduleIds
          .filter((id) => STYLE.test(id))
          .map(name)
          .sort();
        for (const css of item.viteMetadata?.importedCss ?? []) {
          outputs.push({ file: css, modules: styles });
        }
      }
      outputs.sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : 0));
      mkdirSync(dirname(target), { recursive: true });
      writeFileSync(target, JSON.stringify({ version: 1, outputs }, null, 2) + '\n');
    },
  };
}
