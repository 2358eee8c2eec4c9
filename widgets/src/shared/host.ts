// The host adapter: one interface over ChatGPT's `window.openai` and the MCP Apps bridge
// (`App` from @modelcontextprotocol/ext-apps), so widgets never care which host runs them.

export type Theme = 'light' | 'dark';

export interface ToolCallResult {
  structuredContent?: Record<string, unknown> | null;
  content?: Array<{ type: string; text?: string }>;
  isError?: boolean;
  _meta?: Record<string, unknown>;
}

export interface HostSnapshot {
  /** The structuredContent of the tool result this widget was rendered for. */
  toolOutput: Record<string, unknown> | null;
  toolInput: Record<string, unknown> | null;
  toolResponseMetadata: Record<string, unknown> | null;
  widgetState: unknown;
  theme: Theme;
  displayMode: string;
  maxHeight: number | null;
  locale: string;
}

export interface Host {
  readonly kind: 'openai' | 'mcp-apps' | 'none';
  getSnapshot(): HostSnapshot;
  subscribe(onChange: () => void): () => void;
  callTool(name: string, args: Record<string, unknown>): Promise<ToolCallResult>;
  setWidgetState(state: unknown): void;
  sendFollowUpMessage(prompt: string): Promise<void>;
  openExternal(href: string): void;
}

/** The subset of ChatGPT's `window.openai` the widgets use. */
interface OpenAiGlobals {
  toolOutput?: Record<string, unknown> | null;
  toolInput?: Record<string, unknown> | null;
  toolResponseMetadata?: Record<string, unknown> | null;
  widgetState?: unknown;
  theme?: Theme;
  displayMode?: string;
  maxHeight?: number;
  locale?: string;
  callTool(name: string, args: Record<string, unknown>): Promise<unknown>;
  setWidgetState?(state: unknown): Promise<void> | void;
  sendFollowUpMessage?(args: { prompt: string }): Promise<void>;
  openExternal?(args: { href: string }): void;
  notifyIntrinsicHeight?(height?: number): void;
}

declare global {
  interface Window {
    openai?: OpenAiGlobals;
  }
}

const browserLocale = () => (typeof navigator !== 'undefined' && navigator.language) || 'en-US';

/** A tool result as either host hands it back; a thrown error becomes an isError result. */
export function normaliseResult(raw: unknown): ToolCallResult {
  if (!raw || typeof raw !== 'object') return { isError: true, content: [{ type: 'text', text: 'The tool returned nothing.' }] };
  const r = raw as ToolCallResult & { result?: unknown };
  if (r.structuredContent !== undefined || r.content !== undefined || r.isError !== undefined) return r;
  // Older ChatGPT builds wrap the payload as { result: "<json>" }.
  if (typeof r.result === 'string') {
    try {
      return normaliseResult(JSON.parse(r.result));
    } catch {
      return { content: [{ type: 'text', text: r.result }] };
    }
  }
  return { structuredContent: r as Record<string, unknown> };
}

export function errorText(result: ToolCallResult): string {
  const text = (result.content ?? []).map((c) => c.text ?? '').filter(Boolean).join('\n');
  return text || 'Something went wrong. Please try again.';
}

function thrownToResult(e: unknown): ToolCallResult {
  const message = e instanceof Error && e.message ? e.message : 'The request failed. Please try again.';
  return { isError: true, content: [{ type: 'text', text: message }] };
}

class OpenAiHost implements Host {
  readonly kind = 'openai' as const;
  private snapshot: HostSnapshot;
  private listeners = new Set<() => void>();

  constructor(private readonly openai: OpenAiGlobals) {
    this.snapshot = this.read();
    window.addEventListener('openai:set_globals', () => {
      this.snapshot = this.read();
      for (const l of this.listeners) l();
    });
    // ChatGPT sizes the frame from the intrinsic height we report whenever the content changes
    // size; the body's own height, since the document's never drops below the frame's.
    new ResizeObserver(() => this.openai.notifyIntrinsicHeight?.(Math.ceil(document.body.getBoundingClientRect().height))).observe(document.body);
  }

  private read(): HostSnapshot {
    const o = this.openai;
    return {
      toolOutput: o.toolOutput ?? null,
      toolInput: o.toolInput ?? null,
      toolResponseMetadata: o.toolResponseMetadata ?? null,
      widgetState: o.widgetState ?? null,
      theme: o.theme === 'dark' ? 'dark' : 'light',
      displayMode: o.displayMode ?? 'inline',
      maxHeight: typeof o.maxHeight === 'number' ? o.maxHeight : null,
      locale: o.locale || browserLocale(),
    };
  }

  getSnapshot = () => this.snapshot;
  subscribe = (onChange: () => void) => {
    this.listeners.add(onChange);
    return () => this.listeners.delete(onChange);
  };
  async callTool(name: string, args: Record<string, unknown>) {
    try {
      return normaliseResult(await this.openai.callTool(name, args));
    } catch (e) {
      return thrownToResult(e);
    }
  }
  setWidgetState(state: unknown) {
    void this.openai.setWidgetState?.(state);
  }
  async sendFollowUpMessage(prompt: string) {
    await this.openai.sendFollowUpMessage?.({ prompt });
  }
  openExternal(href: string) {
    if (this.openai.openExternal) this.openai.openExternal({ href });
    else window.open(href, '_blank', 'noopener');
  }
}

type McpApp = import('@modelcontextprotocol/ext-apps').App;
type HostContext = NonNullable<ReturnType<McpApp['getHostContext']>>;

class McpAppsHost implements Host {
  readonly kind = 'mcp-apps' as const;
  private snapshot: HostSnapshot = {
    toolOutput: null,
    toolInput: null,
    toolResponseMetadata: null,
    widgetState: null,
    theme: 'light',
    displayMode: 'inline',
    maxHeight: null,
    locale: browserLocale(),
  };
  private listeners = new Set<() => void>();
  private app: McpApp | null = null;
  private readonly ready: Promise<McpApp>;

  constructor() {
    this.ready = this.connect();
  }

  private async connect(): Promise<McpApp> {
    const { App } = await import('@modelcontextprotocol/ext-apps');
    const app = new App({ name: 'shop-widgets', version: '0.1.0' }, {}, { autoResize: true });
    // Handlers go in before connect so the first tool-input/tool-result is not missed.
    app.ontoolinput = (p) => this.update({ toolInput: (p.arguments as Record<string, unknown>) ?? null });
    app.ontoolresult = (p) => {
      if (p.isError) {
        this.update({ toolOutput: { kind: 'error', message: errorText(p as ToolCallResult) }, toolResponseMetadata: (p._meta as Record<string, unknown>) ?? null });
      } else {
        this.update({ toolOutput: (p.structuredContent as Record<string, unknown>) ?? null, toolResponseMetadata: (p._meta as Record<string, unknown>) ?? null });
      }
    };
    app.onhostcontextchanged = (ctx) => this.applyContext(ctx as HostContext);
    await app.connect();
    this.app = app;
    const ctx = app.getHostContext();
    if (ctx) this.applyContext(ctx);
    return app;
  }

  private applyContext(ctx: HostContext) {
    const dims = ctx.containerDimensions as { maxHeight?: number; height?: number } | undefined;
    this.update({
      ...(ctx.theme ? { theme: ctx.theme === 'dark' ? 'dark' : 'light' } : {}),
      ...(ctx.locale ? { locale: ctx.locale } : {}),
      ...(ctx.displayMode ? { displayMode: ctx.displayMode } : {}),
      ...(dims ? { maxHeight: dims.maxHeight ?? dims.height ?? null } : {}),
    });
  }

  private update(patch: Partial<HostSnapshot>) {
    this.snapshot = { ...this.snapshot, ...patch };
    for (const l of this.listeners) l();
  }

  getSnapshot = () => this.snapshot;
  subscribe = (onChange: () => void) => {
    this.listeners.add(onChange);
    return () => this.listeners.delete(onChange);
  };
  async callTool(name: string, args: Record<string, unknown>) {
    try {
      const app = await this.ready;
      return normaliseResult(await app.callServerTool({ name, arguments: args }));
    } catch (e) {
      return thrownToResult(e);
    }
  }
  setWidgetState(state: unknown) {
    // MCP Apps has no widget-state store; keep it for this frame's lifetime.
    this.update({ widgetState: state });
  }
  async sendFollowUpMessage(prompt: string) {
    const app = await this.ready;
    await app.sendMessage({ role: 'user', content: [{ type: 'text', text: prompt }] });
  }
  openExternal(href: string) {
    void this.ready.then((app) => app.openLink({ url: href }));
  }
}

/** Rendered outside any host (opened directly): shows the empty state, calls fail plainly. */
class NoHost implements Host {
  readonly kind = 'none' as const;
  private readonly snapshot: HostSnapshot = {
    toolOutput: null,
    toolInput: null,
    toolResponseMetadata: null,
    widgetState: null,
    theme: typeof matchMedia === 'function' && matchMedia('(prefers-color-scheme: dark)').matches ? 'dark' : 'light',
    displayMode: 'inline',
    maxHeight: null,
    locale: browserLocale(),
  };
  getSnapshot = () => this.snapshot;
  subscribe = () => () => {};
  async callTool() {
    return { isError: true, content: [{ type: 'text', text: 'This widget is not connected to a shopping assistant.' }] };
  }
  setWidgetState() {}
  async sendFollowUpMessage() {}
  openExternal(href: string) {
    window.open(href, '_blank', 'noopener');
  }
}

let host: Host | null = null;
export function getHost(): Host {
  if (!host) host = window.openai ? new OpenAiHost(window.openai) : window.parent !== window ? new McpAppsHost() : new NoHost();
  return host;
}
