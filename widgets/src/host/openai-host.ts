// The host side of ChatGPT's `window.openai`, shared by the browser tests' host page and the
// playground: it publishes the object that openai-shim.js (injected into the widget frame)
// turns into `window.openai`, and pushes global changes as `openai:set_globals`.

export type Theme = 'light' | 'dark';

export interface ToolResultLike {
  structuredContent?: Record<string, unknown> | null;
  content?: Array<{ type: string; text?: string }>;
  isError?: boolean;
  _meta?: Record<string, unknown>;
}

/** The globals ChatGPT sets on `window.openai` for a widget. */
export interface OpenAiGlobals {
  toolOutput: Record<string, unknown> | null;
  toolResponseMetadata: Record<string, unknown> | null;
  toolInput: Record<string, unknown> | null;
  widgetState: unknown;
  theme: Theme;
  locale: string;
  displayMode: 'inline' | 'fullscreen' | 'pip';
  maxHeight: number;
}

export interface OpenAiHostHandlers {
  /** A widget-initiated tool call; the widget gets back whatever this resolves to. */
  callTool(name: string, args: Record<string, unknown>): Promise<unknown>;
  /** Every widget request, as `{kind, value}` (tests read it; the playground shows it). */
  log(kind: string, value: unknown): void;
  /** The widget reported its content height (notifyIntrinsicHeight). */
  resize(height: number): void;
  openExternal?(href: string): void;
  sendFollowUpMessage?(prompt: string): void;
}

export interface OpenAiHost {
  readonly globals: OpenAiGlobals;
  /** Changes globals for the mounted widget (theme, locale, toolOutput…), as ChatGPT does. */
  setGlobals(patch: Partial<OpenAiGlobals>): void;
}

/** The object openai-shim.js reads from `window.parent.__openaiHost`. */
interface ShimHost {
  globals: OpenAiGlobals;
  callTool(name: string, args: Record<string, unknown>): Promise<unknown>;
  setWidgetState(state: unknown): void;
  sendFollowUpMessage(prompt: string): void;
  openExternal(href: string): void;
  resize(height: number): void;
  attach(onGlobals: (patch: Partial<OpenAiGlobals>) => void): void;
}

declare global {
  interface Window {
    __openaiHost?: ShimHost;
  }
}

/** The globals for a widget rendered for a tool result: what ChatGPT gives the widget. */
export function globalsForResult(result: ToolResultLike, input: Record<string, unknown> | null, view: { theme: Theme; locale: string; maxHeight?: number }): OpenAiGlobals {
  return {
    toolOutput: result.structuredContent ?? null,
    toolResponseMetadata: result._meta ?? null,
    toolInput: input,
    widgetState: null,
    theme: view.theme,
    locale: view.locale,
    displayMode: 'inline',
    maxHeight: view.maxHeight ?? 2000,
  };
}

/**
 * Publishes the host for the next widget frame; call it before the frame loads (the shim reads
 * it when the widget document starts). One widget at a time per page, as the shim looks it up
 * on the parent window.
 */
export function provideOpenAiHost(initial: OpenAiGlobals, handlers: OpenAiHostHandlers): OpenAiHost {
  const globals: OpenAiGlobals = { ...initial };
  let notify: ((patch: Partial<OpenAiGlobals>) => void) | null = null;
  window.__openaiHost = {
    globals,
    callTool: async (name, args) => {
      handlers.log('callTool', { name, args });
      return handlers.callTool(name, args);
    },
    setWidgetState: (state) => {
      // Kept by the host, so a re-mounted frame starts from the widget's last state.
      globals.widgetState = state;
      handlers.log('setWidgetState', state);
    },
    sendFollowUpMessage: (prompt) => {
      handlers.log('sendFollowUpMessage', prompt);
      handlers.sendFollowUpMessage?.(prompt);
    },
    openExternal: (href) => {
      handlers.log('openExternal', href);
      handlers.openExternal?.(href);
    },
    resize: (height) => {
      handlers.resize(height);
      handlers.log('notifyIntrinsicHeight', height);
    },
    attach: (onGlobals) => {
      notify = onGlobals;
    },
  };
  return {
    globals,
    setGlobals(patch) {
      Object.assign(globals, patch);
      notify?.(patch);
    },
  };
}

/** The widget HTML with the shim running first, before the widget's own script. */
export function withOpenAiShim(html: string, shimSource: string): string {
  return html.replace('<head>', () => `<head><script>${shimSource}</script>`);
}
