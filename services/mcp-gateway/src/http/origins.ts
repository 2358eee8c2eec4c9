/**
 * Which browser origins may call /mcp. Server-to-server hosts (ChatGPT, Claude) send no Origin
 * and are allowed; a browser page may call only from the public origin, a configured origin, or,
 * outside production, a loopback origin (the MCP Inspector, the playground on another port).
 * `null` (sandboxed iframes, file://) is never allowed: it names no one.
 */
export interface OriginPolicy {
  allows(origin: string | undefined): boolean;
}

const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]']);

export function originPolicy(opts: { publicUrl: string; allowedOrigins: string[]; allowLoopback: boolean }): OriginPolicy {
  const exact = new Set([new URL(opts.publicUrl).origin, ...opts.allowedOrigins.map((o) => new URL(o).origin)]);
  return {
    allows(origin) {
      if (origin === undefined) return true;
      let url: URL;
      try {
        url = new URL(origin);
      } catch {
        return false;
      }
      // new URL('null') throws; anything else must round-trip to the same origin string.
      if (url.origin !== origin) return false;
      if (exact.has(url.origin)) return true;
      return opts.allowLoopback && (url.protocol === 'http:' || url.protocol === 'https:') && LOOPBACK_HOSTS.has(url.hostname);
    },
  };
}
