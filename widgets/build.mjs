// Builds every widget into one self-contained HTML file (dist/<name>.html), prints raw and
// gzipped sizes, and fails when a widget exceeds the gzip budget. Also builds the playground
// page (dist/playground.html, served by the gateway at /playground): not a widget, so it has
// no budget (it carries the MCP client).
import { build } from 'vite';
import { copyFile, mkdir, readFile, rm, rmdir } from 'node:fs/promises';
import { gzipSync } from 'node:zlib';
import { fileURLToPath } from 'node:url';

export const WIDGETS = ['product-list', 'product-detail', 'cart', 'checkout', 'order'];
/** Pages built from widgets/<name>/ (not src/<name>/) and exempt from the widget budget. */
export const PAGES = ['playground'];
const GZIP_BUDGET = 150 * 1024;
const here = (p) => fileURLToPath(new URL(p, import.meta.url));

// Always a production build (React's production bundle), even when started from a test
// runner that sets NODE_ENV=test.
process.env.NODE_ENV = 'production';

const only = process.argv.slice(2);
const all = [...WIDGETS, ...PAGES];
const names = only.length ? all.filter((n) => only.includes(n)) : all;
await mkdir(here('./dist/'), { recursive: true });
let failed = false;
for (const name of names) {
  process.env.WIDGET = name;
  const page = PAGES.includes(name);
  // Inline options win over the config file: a page only moves the root.
  await build({ configFile: here('./vite.config.ts'), mode: 'production', ...(page ? { root: here(`./${name}/`) } : {}) });
  const out = here(`./dist/${name}.html`);
  await copyFile(here(`./.build/${name}/index.html`), out);
  // Only this build's own folder: a concurrent build of another name (tests build on demand) keeps its own.
  await rm(here(`./.build/${name}/`), { recursive: true, force: true });
  const html = await readFile(out);
  const gz = gzipSync(html, { level: 9 }).length;
  const over = !page && gz > GZIP_BUDGET;
  failed ||= over;
  console.log(`${`${name}.html`.padEnd(22)} ${(html.length / 1024).toFixed(1).padStart(7)} KB  gzip ${(gz / 1024).toFixed(1).padStart(6)} KB${over ? '  OVER BUDGET (150 KB gzip)' : page ? '  (page, no widget budget)' : ''}`);
}
await rmdir(here('./.build/')).catch(() => undefined); // left while another build is still running
if (failed) {
  console.error('A widget exceeds the 150 KB gzip budget.');
  process.exit(1);
}
