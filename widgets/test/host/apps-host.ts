// The reference MCP Apps host for the tests, built like ext-apps' examples/basic-host: ext-apps 2.x
// AppBridge on the host page, the widget in the double-iframe sandbox (sandbox.html on another
// origin, CSP from the resource's metadata as a header, the widget HTML handed over with
// ui/notifications/sandbox-resource-ready). tools/call goes to window.__callTool (a real MCP client
// on the Node side in live runs, recorded results in fixture runs).
import { AppBridge, PostMessageTransport, type McpUiHostContext, type McpUiResourceCsp } from '@modelcontextprotocol/ext-apps/app-bridge';

declare global {
  interface Window {
    __callTool(name: string, args: Record<string, unknown>): Promise<Record<string, unknown>>;
    __bridge?: AppBridge;
  }
}

export interface MountOptions {
  widget: string;
  result: { structuredContent?: Record<string, unknown>; content?: Array<{ type: string; text?: string }>; isError?: boolean; _meta?: Record<string, unknown> };
  input?: Record<string, unknown>;
  theme: 'light' | 'dark';
  locale: string;
  /** The host's style variables (MCP Apps host context `styles.variables`). */
  styles?: Record<string, string>;
  /** Instead of a result, the host cancels the tool call with this reason. */
  cancel?: string;
  /** The sandbox proxy page on its own origin. */
  sandboxUrl: string;
  csp?: McpUiResourceCsp;
  makeFrame(widget: string, src: string): HTMLIFrameElement;
  log(kind: string, value: unknown): void;
}

export async function mountAppsHost({ widget, result, input, theme, locale, styles, cancel, sandboxUrl, csp, makeFrame, log }: MountOptions): Promise<void> {
  const html = await (await fetch(`/widget-html/${widget}.html`)).text();
  const bridge = new AppBridge(null, { name: 'widget-reference-host', version: '2.0.0' }, { serverTools: {}, openLinks: {}, message: { text: {} }, updateModelContext: { text: {}, structuredContent: {} }, logging: {} });
  const context: McpUiHostContext = {
    theme,
    locale,
    displayMode: 'inline',
    availableDisplayModes: ['inline', 'fullscreen'],
    containerDimensions: { maxHeight: 2000, width: window.innerWidth },
    ...(styles ? { styles: { variables: styles as never } } : {}),
  };
  bridge.setHostContext(context);
  bridge.oncalltool = async (params) => {
    log('callTool', { name: params.name, args: params.arguments ?? {} });
    return (await window.__callTool(params.name, params.arguments ?? {})) as never;
  };
  bridge.onmessage = async (params) => {
    log('sendFollowUpMessage', params.content.map((c) => ('text' in c ? c.text : '')).join(''));
    return {};
  };
  bridge.onopenlink = async (params) => {
    log('openExternal', params.url);
    return {};
  };
  bridge.onupdatemodelcontext = async (params) => {
    log('updateModelContext', params);
    return {};
  };
  bridge.onrequestdisplaymode = async ({ mode }) => {
    log('requestDisplayMode', mode);
    return { mode };
  };
  let iframe: HTMLIFrameElement | null = null;
  bridge.onsizechange = ({ height }) => {
    if (iframe && height) iframe.style.height = `${Math.ceil(height)}px`;
    log('sizeChanged', height);
  };
  const initialised = new Promise<void>((resolve) => {
    bridge.oninitialized = () => resolve();
  });

  const src = new URL(sandboxUrl);
  if (csp) src.searchParams.set('csp', JSON.stringify(csp));
  iframe = makeFrame(widget, src.href);
  iframe.setAttribute('sandbox', 'allow-scripts allow-same-origin allow-forms');
  await new Promise<void>((resolve) => {
    const onReady = (e: MessageEvent) => {
      if (e.source === iframe!.contentWindow && e.data?.method === 'ui/notifications/sandbox-proxy-ready') {
        window.removeEventListener('message', onReady);
        resolve();
      }
    };
    window.addEventListener('message', onReady);
  });
  // The proxy's window as both target and source: this bridge answers only its own frame.
  await bridge.connect(new PostMessageTransport(iframe.contentWindow!, iframe.contentWindow!));
  window.__bridge = bridge;
  await bridge.sendSandboxResourceReady({ html, csp });
  await initialised;
  await bridge.sendToolInput({ arguments: input ?? {} });
  if (cancel !== undefined) await bridge.sendToolCancelled({ reason: cancel });
  else await bridge.sendToolResult(result as never);
}
