export interface ImageInput {
  name: string;
  brand: string;
  /** Root category slug: picks the emblem. */
  rootCategory: string;
  /** First variant colour, if any: tints the emblem. */
  color: string | null;
}

const escapeXml = (s: string) => s.replace(/[<>&"']/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&apos;' })[c]!);

// Named colours of the catalogue as swatches; anything else gets a hue from its name.
const swatches: Record<string, string> = {
  black: '#222222', white: '#f4f4f4', blue: '#2f6fdb', navy: '#1f2f5a', grey: '#8a8f98', 'heather grey': '#9ea3a8', red: '#d64541',
  green: '#3c8d4f', 'forest green': '#2e5e3a', orange: '#ef7d22', brown: '#7a5230', tan: '#c9a27a', khaki: '#b9a97a', olive: '#6b6b2f',
  sage: '#9cae8f', charcoal: '#3b3e43', ivory: '#f3ecd9', terracotta: '#c4653f', purple: '#7d4bb3', teal: '#2a9d8f', coral: '#ef6f61',
  silver: '#c0c4c9', slate: '#56606b', walnut: '#5d4130', oatmeal: '#d8cbb3', blush: '#e9b7b0', 'midnight blue': '#1b2440', 'hi-vis yellow': '#d7f205',
};

function hash(s: string): number {
  let h = 2166136261;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 16777619);
  return h >>> 0;
}

// One simple emblem per department, drawn in a 200×200 box centred at (200, 150).
const emblems: Record<string, string> = {
  shoes: '<path d="M110 190 q10-60 50-70 l40 30 q40 10 90 20 q20 5 20 25 v10 H110z"/>',
  apparel: '<path d="M150 90 l35-20 h30 l35 20 l30 40 -30 15 v75 h-100 v-75 l-30-15z"/>',
  electronics: '<rect x="120" y="90" width="160" height="110" rx="12"/><rect x="185" y="200" width="30" height="20"/>',
  home: '<path d="M130 210 v-70 l70-55 70 55 v70z"/>',
  furniture: '<path d="M110 190 v-50 h30 v25 h120 v-25 h30 v50z M140 165 v-45 h120 v45z"/>',
  outdoor: '<path d="M100 220 l100-140 100 140z"/>',
  beauty: '<rect x="170" y="80" width="60" height="40" rx="6"/><rect x="155" y="120" width="90" height="100" rx="16"/>',
  toys: '<rect x="120" y="140" width="70" height="70"/><rect x="210" y="140" width="70" height="70"/><rect x="165" y="70" width="70" height="70"/>',
  sports: '<rect x="100" y="135" width="200" height="30" rx="8"/><rect x="95" y="105" width="30" height="90" rx="6"/><rect x="275" y="105" width="30" height="90" rx="6"/>',
};

/** Wraps a name into at most 2 lines of about 26 characters, ending with an ellipsis when cut. */
export function wrapTitle(text: string, width = 26): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(/\s+/)) {
    if ((line + ' ' + word).trim().length > width && line) {
      lines.push(line);
      line = word;
    } else line = (line + ' ' + word).trim();
  }
  if (line) lines.push(line);
  if (lines.length > 2) return [lines[0], `${lines[1].slice(0, width - 1)}…`];
  return lines;
}

/** A self-contained 400×300 SVG for a product: deterministic, no external references. */
export function productSvg(p: ImageInput): string {
  const h = hash(p.name);
  const hue = h % 360;
  const tint = (p.color && swatches[p.color.toLowerCase()]) ?? `hsl(${(hue + 180) % 360} 45% 40%)`;
  const emblem = emblems[p.rootCategory] ?? '<circle cx="200" cy="150" r="60"/>';
  const title = wrapTitle(p.name)
    .map((line, i) => `<text x="200" y="${252 + i * 20}" text-anchor="middle" font-size="16" font-weight="600">${escapeXml(line)}</text>`)
    .join('');
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" width="400" height="300" viewBox="0 0 400 300" role="img" aria-label="${escapeXml(`${p.brand} ${p.name}`)}">` +
    `<rect width="400" height="300" fill="hsl(${hue} 60% 94%)"/>` +
    `<text x="20" y="32" font-family="Helvetica, Arial, sans-serif" font-size="14" fill="#555">${escapeXml(p.brand)}</text>` +
    `<g fill="${tint}" stroke="#00000022" stroke-width="2" transform="translate(0 -20)">${emblem}</g>` +
    `<g font-family="Helvetica, Arial, sans-serif" fill="#222">${title}</g>` +
    `</svg>`
  );
}
