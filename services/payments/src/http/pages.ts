import { formatMoney, type Currency } from '@shop/contracts';

const escapes: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => escapes[c]);
}

/** A plain page: no scripts, no external resources. Every dynamic value is escaped by the callers. */
export function page(title: string, body: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
<style>body{font-family:system-ui,sans-serif;max-width:32rem;margin:3rem auto;padding:0 1rem;color:#111}
table{width:100%;border-collapse:collapse}td{padding:.3rem 0}td.r{text-align:right}
.total{font-weight:600;border-top:1px solid #ccc}form{display:inline}button{font-size:1rem;padding:.6rem 1.2rem;margin:1rem .5rem 0 0;cursor:pointer}
.note{color:#555;font-size:.9rem}fieldset{border:1px solid #ccc;padding:.5rem 1rem}.card{margin:.5rem 0}.card input{width:1.2rem;height:1.2rem;vertical-align:middle}
a{color:#0645ad}:focus-visible{outline:3px solid #1a73e8;outline-offset:2px}</style></head>
<body><h1>${escapeHtml(title)}</h1>${body}</body></html>`;
}

export function money(amount: number, currency: string): string {
  return escapeHtml(formatMoney(amount, currency as Currency));
}

export const demoNote = '<p class="note">Demo payment page: no real money moves and no card details are asked for.</p>';
