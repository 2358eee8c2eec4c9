// The host adapter: one interface over the MCP Apps bridge (`App` from @modelcontextprotocol/ext-apps,
// which ChatGPT, Claude, VS Code, Goose and other hosts speak) and ChatGPT's `window.openai`, so
// widgets never care which host runs them. The bridge comes first. `window.openai` serves only what
// is ChatGPT's own (opening links with its redirect rules, persisted widget state), or everything
// when a ChatGPT frame answers no bridge handshake (builds before MCP Apps).
import { App, applyHostFonts, applyHostStyleVariables, type McpUiHostContext } from '@modelcontextprotocol/ext-apps';

export type Theme = 'light' | 'dark';
export type DisplayMode = 'inline' | 'fullscreen' | 'pip';

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
  /** The display modes the host offers (MCP Apps host context); inline only when it says nothing. */
  availableDisplayModes: string[];
  maxHeight: number | null;
  locale: string;
  /** Set when the host cancelled the tool call this widget was opened for: no result will come. */
  cancelled: string | null;
}

export interface Host {
  /** What carries the conversation right now: the bridge, ChatGPT's globals, or nothing. */
  readonly kind: 'mcp-apps' | 'openai' | 'none';
  getSnapshot(): HostSnapshot;
  subscribe(onChange: () => void): () => void;
  callTool(name: string, args: Record<string, unknown>): Promise<ToolCallResult>;
  setWidgetState(state: unknown): void;
  sendFollowUpMessage(prompt: string): Promise<void>;
  openExternal(href: string): void;
  requestDisplayMode(mode: DisplayMode): void;
  /**
   * Tells the model what the widget shows after a change made in the widget (the tool result's own
   * text and structuredContent), so the assistant's next answer quotes the real cart.
   */
  updateModelContext(result: ToolCallResult): void;
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
  requestDisplayMode?(args: { mode: DisplayMode }): Promise<unknown> | void;
  notifyIntrinsicHeight?(height?: number): void;
}

declare global {
  interface Window {
    openai?: OpenAiGlobals;
  }
}

/** How long a ChatGPT frame waits for the bridge handshake before using `window.openai` alone. */
const BRIDGE_WAIT_MS = 1000;
/** How long a teardown waits for tool calls still running (a quantity change in flight). */
const TEARDOWN_WAIT_MS = 3000;

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

const emptySnapshot = (theme: Theme): HostSnapshot => ({
  toolOutput: null,
  toolInput: null,
  toolResponseMetadata: null,
  widgetState: null,
  theme,
  displayMode: 'inline',
  availableDisplayModes: ['inline'],
  maxHeight: null,
  locale: browserLocale(),
  cancelled: null,
});

function openAiSnapshot(o: OpenAiGlobals, widgetState: unknown): Partial<HostSnapshot> {
  return {
    toolOutput: o.toolOutput ?? null,
    toolInput: o.toolInput ?? null,
    toolResponseMetadata: o.toolResponseMetadata ?? null,
    widgetState: o.widgetState ?? widgetState,
    theme: o.theme === 'dark' ? 'dark' : 'light',
    displayMode: o.displayMode ?? 'inline',
    // ChatGPT's documented modes.
    availableDisplayModes: ['inline', 'fullscreen', 'pip'],
    maxHeight: typeof o.maxHeight === 'number' ? o.maxHeight : null,
    locale: o.locale || browserLocale(),
  };
}

function resultFields(r: ToolCallResult): Partial<HostSnapshot> {
  const meta = (r._meta as Record<string, unknown> | undefined) ?? null;
  if (r.isError) return { toolOutput: { kind: 'error', message: errorText(r) }, toolResponseMetadata: meta, cancelled: null };
  return { toolOutput: (r.structuredContent as Record<string, unknown> | undefined) ?? null, toolResponseMetadata: meta, cancelled: null };
}

class ConversationHost implements Host {
  private mode: 'pending' | 'mcp-apps' | 'openai' = 'pending';
  private snapshot: HostSnapshot;
  private listeners = new Set<() => void>();
  private readonly app = new App({ name: 'shop-widgets', version: '2.0.0' }, { availableDisplayModes: ['inline', 'fullscreen'] }, { autoResize: true });
  private readonly ready: Promise<'mcp-apps' | 'openai'>;
  private readonly inFlight = new Set<Promise<unknown>>();

  constructor(private readonly openai: OpenAiGlobals | undefined) {
    this.snapshot = { ...emptySnapshot('light'), ...(openai ? openAiSnapshot(openai, null) : {}) };
    if (openai) {
      window.addEventListener('openai:set_globals', () => {
        // Once the bridge speaks, it alone describes the conversation (one source, one reset per turn).
        if (this.mode !== 'mcp-apps') this.update(openAiSnapshot(openai, this.snapshot.widgetState));
      });
    }
    this.ready = this.connect();
  }

  get kind(): 'mcp-apps' | 'openai' {
    return this.mode === 'openai' ? 'openai' : 'mcp-apps';
  }

  private async connect(): Promise<'mcp-apps' | 'openai'> {
    const app = this.app;
    // Handlers go in before connect so the first tool-input/tool-result is not missed.
    app.ontoolinput = (p) => this.update({ toolInput: (p.arguments as Record<string, unknown>) ?? null });
    app.ontoolresult = (p) => this.update(resultFields(p as ToolCallResult));
    app.ontoolcancelled = (p) => {
      if (!this.snapshot.toolOutput) this.update({ cancelled: p.reason || 'The request was cancelled.' });
    };
    app.onhostcontextchanged = (ctx) => this.applyContext(ctx);
    app.onteardown = async () => {
      // The host is about to remove the frame: let a change still on its way reach the server.
      const pending = Promise.allSettled([...this.inFlight]);
      await Promise.race([pending, new Promise((r) => setTimeout(r, TEARDOWN_WAIT_MS))]);
      return {};
    };
    try {
      await app.connect(undefined, this.openai ? { timeout: BRIDGE_WAIT_MS } : undefined);
    } catch (e) {
      if (!this.openai) throw e;
      void app.close().catch(() => undefined);
      this.mode = 'openai';
      this.watchIntrinsicHeight(this.openai);
      this.update({});
      return 'openai';
    }
    this.mode = 'mcp-apps';
    const ctx = app.getHostContext();
    if (ctx) this.applyContext(ctx);
    else this.update({});
    return 'mcp-apps';
  }

  /** ChatGPT without the bridge sizes the frame from the intrinsic height the widget reports. */
  private watchIntrinsicHeight(openai: OpenAiGlobals) {
    // The body's own height, since the document's never drops below the frame's.
    const report = () => openai.notifyIntrinsicHeight?.(Math.ceil(document.body.getBoundingClientRect().height));
    new ResizeObserver(report).observe(document.body);
    report();
  }

  private applyContext(ctx: McpUiHostContext) {
    // The host's own colours, fonts and radii, under the widgets' variables (styles.css maps them).
    if (ctx.styles?.variables) applyHostStyleVariables(ctx.styles.variables);
    if (ctx.styles?.css?.fonts) applyHostFonts(ctx.styles.css.fonts);
    const dims = ctx.containerDimensions as { maxHeight?: number; height?: number } | undefined;
    this.update({
      ...(ctx.theme ? { theme: ctx.theme === 'dark' ? 'dark' : 'light' } : {}),
      ...(ctx.locale ? { locale: ctx.locale } : {}),
      ...(ctx.displayMode ? { displayMode: ctx.displayMode } : {}),
      ...(ctx.availableDisplayModes ? { availableDisplayModes: [...ctx.availableDisplayModes] } : {}),
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

  /** Where a request goes now: while the handshake is open in ChatGPT, `window.openai` (a click never waits for it). */
  private route(): Promise<'mcp-apps' | 'openai'> {
    return this.mode === 'pending' && this.openai ? Promise.resolve('openai') : this.ready;
  }

  async callTool(name: string, args: Record<string, unknown>) {
    const call = (async () => {
      const mode = await this.route();
      if (mode === 'openai') return normaliseResult(await this.openai!.callTool(name, args));
      return normaliseResult(await this.app.callServerTool({ name, arguments: args }));
    })().catch(thrownToResult);
    this.inFlight.add(call);
    try {
      return await call;
    } finally {
      this.inFlight.delete(call);
    }
  }

  setWidgetState(state: unknown) {
    this.update({ widgetState: state });
    // ChatGPT keeps widget state across re-renders of the turn; MCP Apps has no such store.
    void this.openai?.setWidgetState?.(state);
  }

  async sendFollowUpMessage(prompt: string) {
    const mode = await this.route().catch(() => null);
    if (mode === 'openai') await this.openai!.sendFollowUpMessage?.({ prompt });
    else if (mode === 'mcp-apps') await this.app.sendMessage({ role: 'user', content: [{ type: 'text', text: prompt }] });
  }

  openExternal(href: string) {
    // ChatGPT's own opener knows the resource's redirect_domains (no leave-ChatGPT warning for them).
    if (this.openai?.openExternal) return this.openai.openExternal({ href });
    void this.ready.then(
      async () => {
        const r = await this.app.openLink({ url: href });
        if (r.isError) window.open(href, '_blank', 'noopener');
      },
      () => window.open(href, '_blank', 'noopener'),
    );
  }

  requestDisplayMode(mode: DisplayMode) {
    void this.route().then(async (m) => {
      if (m === 'openai') await this.openai!.requestDisplayMode?.({ mode });
      else {
        const granted = await this.app.requestDisplayMode({ mode });
        this.update({ displayMode: granted.mode });
      }
    }, () => undefined);
  }

  updateModelContext(result: ToolCallResult) {
    const text = (result.content ?? []).filter((c) => c.type === 'text' && c.text).map((c) => ({ type: 'text' as const, text: c.text! }));
    void this.route().then(async (m) => {
      if (m === 'openai') {
        // Without the bridge, ChatGPT shows the model the widget state: the summary rides along there.
        const state = this.snapshot.widgetState && typeof this.snapshot.widgetState === 'object' ? this.snapshot.widgetState : {};
        this.setWidgetState({ ...state, shown_to_shopper: text.map((t) => t.text).join('\n') });
        return;
      }
      if (!this.app.getHostCapabilities()?.updateModelContext) return;
      await this.app.updateModelContext({ content: text, ...(result.structuredContent ? { structuredContent: result.structuredContent } : {}) });
    }).catch(() => undefined); // the model context is a courtesy: the server holds the truth either way
  }
}

/** Rendered outside any host (opened directly): shows the empty state, calls fail plainly. */
class NoHost implements Host {
  readonly kind = 'none' as const;
  private readonly snapshot = emptySnapshot(typeof matchMedia === 'function' && matchMedia('(prefers-color-scheme: dark)').matches ? 'dark' : 'light');
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
  requestDisplayMode() {}
  updateModelContext() {}
}

let host: Host | null = null;
export function getHost(): Host {
  if (!host) host = window.openai || window.parent !== window ? new ConversationHost(window.openai) : new NoHost();
  return host;
}
