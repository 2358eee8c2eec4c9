import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';
import tailwindcss from '@tailwindcss/vite';
import { viteSingleFile } from 'vite-plugin-singlefile';
import type { Plugin } from 'vite';

/**
 * ext-apps' App takes zod as a namespace value (`import { z }` and, for app-registered tools,
 * `await import("zod/v4")`), which keeps all of zod (JIT compiler, JSON-schema converters,
 * every locale) in the bundle: ~105 KB gzip instead of ~42 KB. Widgets register no app tools,
 * so the dynamic import is replaced and the static one becomes a tree-shakable namespace import.
 */
function shakeZodFromExtApps(): Plugin {
  return {
    name: 'shake-zod-from-ext-apps',
    transform(code, id) {
      if (!id.includes('@modelcontextprotocol/ext-apps')) return null;
      const out = code
        .replace(/await import\("zod\/v4"\)/g, '({z:{toJSONSchema(){throw Error("app-registered tools are not supported in these widgets")}}})')
        .replace(/import\{z as (\w+)\}from"zod\/v4"/g, 'import * as $1 from"zod/v4"');
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
    },
    logLevel: 'warn',
  };
});
