// Builds every widget into one self-contained HTML file (dist/<name>.html), prints raw and
// gzipped sizes, and fails when a widget exceeds the gzip budget.
import { build } from 'vite';
import { copyFile, mkdir, readFile, rm } from 'node:fs/promises';
import { gzipSync } from 'node:zlib';
import { fileURLToPath } from 'node:url';

export const WIDGETS = ['product-list', 'product-detail', 'cart', 'checkout', 'order'];
const GZIP_BUDGET = 150 * 1024;
const here = (p) => fileURLToPath(new URL(p, import.meta.url));

// Always a production build (React's production bundle), even when started from a test
// runner that sets NODE_ENV=test.
process.env.NODE_ENV = 'production';

const only = process.argv.slice(2);
const names = only.length ? WIDGETS.filter((n) => only.includes(n)) : WIDGETS;
await mkdir(here('./dist/'), { recursive: true });
let failed = false;
for (const name of names) {
  process.env.WIDGET = name;
  await build({ configFile: here('./vite.config.ts'), mode: 'production' });
  const out = here(`./dist/${name}.html`);
  await copyFile(here(`./.build/${name}/index.html`), out);
  const html = await readFile(out);
  const gz = gzipSync(html, { level: 9 }).length;
  const over = gz > GZIP_BUDGET;
  failed ||= over;
  console.log(`${`${name}.html`.padEnd(22)} ${(html.length / 1024).toFixed(1).padStart(7)} KB  gzip ${(gz / 1024).toFixed(1).padStart(6)} KB${over ? '  OVER BUDGET (150 KB gzip)' : ''}`);
}
await rm(here('./.build/'), { recursive: true, force: true });
if (failed) {
  console.error('A widget exceeds the 150 KB gzip budget.');
  process.exit(1);
}
