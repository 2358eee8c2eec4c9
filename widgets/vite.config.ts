import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';
import tailwindcss from '@tailwindcss/vite';
import { viteSingleFile } from 'vite-plugin-singlefile';
import type { Plugin } from 'vite';

/**
 * ext-apps' App takes zod as a namespace value (`import { z } from "zod/v4"`), which keeps all of
 * zod (every locale, the JIT compiler) in the bundle. As a namespace import it tree-shakes.
 */
function shakeZodFromExtApps(): Plugin {
  return {
    name: 'shake-zod-from-ext-apps',
    transform(code, id) {
      if (!id.includes('@modelcontextprotocol/ext-apps')) return null;
      const out = code.replace(/import\{z as (\w+)\}from"zod\/v4"/g, 'import * as $1 from"zod/v4"');
      return out === code ? null : { code: out, map: null };
    },
  };
}

/** One widget per build: WIDGET picks src/<name>/index.html; the output is a single self-contained HTML file. */
export default defineConfig(() => {
  const widget = process.env.WIDGET;
  if (!widget) throw new Error('WIDGET must name the widget to build');
  return {
    root: new URL(`./src/${widget}/`, import.meta.url).pathname,
    plugins: [shakeZodFromExtApps(), react(), tailwindcss(), viteSingleFile({ removeViteModuleLoader: true })],
    build: {
      outDir: new URL(`./.build/${widget}/`, import.meta.url).pathname,
      emptyOutDir: true,
      target: 'es2022',
      reportCompressedSize: false,
      rolldownOptions: {
        // ext-apps 2.x takes Protocol from @modelcontextprotocol/client, whose bundle carries its own
        // copy of the SDK core; without this, its module-level statements keep all of it (~15 KB gzip).
        treeshake: { moduleSideEffects: (id: string) => !/node_modules\/(@modelcontextprotocol\/(client|core)|zod)\//.test(id) },
      },
    },
    logLevel: 'warn',
  };
});
