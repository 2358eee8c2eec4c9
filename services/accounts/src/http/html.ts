const escapes: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
export function esc(text: unknown): string {
  return String(text ?? '').replace(/[&<>"']/g, (c) => escapes[c]);
}

/**
 * A plain page: no scripts, no external resources, every dynamic value escaped by the callers.
 * Readable at 375 px (fluid width, no fixed sizes), keyboard-only usable (native controls in
 * document order, a visible focus ring, labels on every field, errors announced with role=alert).
 */
export function page(title: string, body: string, opts: { error?: string; notice?: string } = {}): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(title)}</title>
<style>
*{box-sizing:border-box}
body{font-family:system-ui,sans-serif;max-width:34rem;margin:2rem auto;padding:0 1rem;color:#111;line-height:1.45}
h1{font-size:1.5rem}h2{font-size:1.15rem;margin-top:2rem}
label{display:block;margin:.9rem 0 .25rem;font-weight:600}
input[type=text],input[type=email],input[type=password],input[type=tel],select{width:100%;font-size:1rem;padding:.55rem;border:1px solid #777;border-radius:4px}
button,.button{display:inline-block;font-size:1rem;padding:.6rem 1.1rem;margin:1rem .5rem 0 0;border:1px solid #234;border-radius:4px;background:#234;color:#fff;cursor:pointer;text-decoration:none}
button.secondary,.button.secondary{background:#fff;color:#234}
:focus-visible{outline:3px solid #f5a623;outline-offset:2px}
.error{border-left:4px solid #b00020;background:#fdecee;padding:.6rem .8rem}
.notice{border-left:4px solid #1b6e3a;background:#e9f6ee;padding:.6rem .8rem}
.note{color:#444;font-size:.92rem}
ul.plain{list-style:none;padding:0}ul.plain>li{border-top:1px solid #ddd;padding:.7rem 0}
form.inline{display:inline}
.scopes li{margin:.3rem 0}
nav a{margin-right:1rem}
</style></head>
<body><main>
<h1>${esc(title)}</h1>
${opts.error ? `<p class="error" role="alert">${esc(opts.error)}</p>` : ''}${opts.notice ? `<p class="notice" role="status">${esc(opts.notice)}</p>` : ''}
${body}
</main></body></html>`;
}

export function field(name: string, label: string, opts: { type?: string; value?: string; autocomplete?: string; required?: boolean; hint?: string; inputmode?: string; autofocus?: boolean; idPrefix?: string } = {}): string {
  // Two forms on one page may share a field name (the account's name, an address's name): ids must not.
  const id = `${opts.idPrefix ?? 'f'}-${name}`;
  const hint = opts.hint ? `<span class="note" id="${id}-hint">${esc(opts.hint)}</span>` : '';
  return `<label for="${id}">${esc(label)}</label>${hint}<input id="${id}" name="${esc(name)}" type="${opts.type ?? 'text'}"${opts.value !== undefined ? ` value="${esc(opts.value)}"` : ''}${opts.autocomplete ? ` autocomplete="${opts.autocomplete}"` : ''}${opts.inputmode ? ` inputmode="${opts.inputmode}"` : ''}${opts.required ? ' required' : ''}${opts.autofocus ? ' autofocus' : ''}${opts.hint ? ` aria-describedby="${id}-hint"` : ''}>`;
}
