// What ChatGPT injects into a widget frame: window.openai with the globals and methods, backed
// by the host page (the parent frame, same origin). Plain script, injected before the widget's
// own script runs; the host side is openai-host.ts (provideOpenAiHost).
(() => {
  const host = window.parent !== window ? window.parent.__openaiHost : undefined;
  if (!host) return;
  const openai = {
    ...host.globals,
    callTool: (name, args) => host.callTool(name, args ?? {}),
    setWidgetState: async (state) => {
      openai.widgetState = state;
      host.setWidgetState(state);
    },
    sendFollowUpMessage: async ({ prompt }) => host.sendFollowUpMessage(prompt),
    openExternal: ({ href }) => host.openExternal(href),
    requestDisplayMode: async ({ mode }) => ({ mode }),
    notifyIntrinsicHeight: (height) => host.resize(height ?? document.body.scrollHeight),
  };
  window.openai = openai;
  host.attach((patch) => {
    Object.assign(openai, patch);
    window.dispatchEvent(new CustomEvent('openai:set_globals', { detail: { globals: patch } }));
  });
})();
