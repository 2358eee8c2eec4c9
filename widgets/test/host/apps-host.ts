// An MCP Apps host for the tests: ext-apps' AppBridge talks to the widget over postMessage;
// tools/call goes to window.__callTool (a real MCP client on the Node side in live runs).
import { AppBridge, PostMessageTransport } from '@modelcontextprotocol/ext-apps/app-bridge';

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
  makeFrame(widget: string): HTMLIFrameElement;
  log(kind: string, value: unknown): void;
}

export async function mountAppsHost({ widget, result, input, theme, locale, makeFrame, log }: MountOptions): Promise<void> {
  const bridge = new AppBridge(null, { name: 'widget-test-host', version: '1.0.0' }, { serverTools: {}, openLinks: {}, message: { text: {} }, logging: {} });
  bridge.setHostContext({ theme, locale, displayMode: 'inline', availableDisplayModes: ['inline'], containerDimensions: { maxHeight: 2000, width: window.innerWidth } });
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
  let iframe: HTMLIFrameElement | null = null;
  bridge.onsizechange = ({ height }) => {
    if (iframe && height) iframe.style.height = `${Math.ceil(height)}px`;
    log('sizeChanged', height);
  };
  const initialised = new Promise<void>((resolve) => {
    bridge.oninitialized = () => resolve();
  });
  iframe = makeFrame(widget);
  await bridge.connect(new PostMessageTransport(iframe.contentWindow!, iframe.contentWindow!));
  window.__bridge = bridge;
  await initialised;
  await bridge.sendToolInput({ arguments: input ?? {} });
  await bridge.sendToolResult(result as never);
}

export async function setAppsTheme(theme: 'light' | 'dark') {
  await window.__bridge?.sendHostContextChange({ theme });
}
