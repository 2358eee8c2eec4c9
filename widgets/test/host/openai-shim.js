// What ChatGPT injects into a widget frame: window.openai with the globals and methods,
// backed by the host page (the parent frame, same origin in the test server).
(() => {
  const host = window.parent !== window ? window.parent.__openaiHost : undefined;
  if (!host) return;
  const openai = {
    ...host.globals,
    callTool: (name, args) => host.callTool(name, args),
    setWidgetState: async (state) => {
      openai.widgetState = state;
      host.log('setWidgetState', state);
    },
    sendFollowUpMessage: async ({ prompt }) => host.log('sendFollowUpMessage', prompt),
    openExternal: ({ href }) => host.log('openExternal', href),
    requestDisplayMode: async ({ mode }) => ({ mode }),
    notifyIntrinsicHeight: (height) => host.resize(height ?? document.body.scrollHeight),
  };
  window.openai = openai;
  host.attach((patch) => {
    Object.assign(openai, patch);
    window.dispatchEvent(new CustomEvent('openai:set_globals', { detail: { globals: patch } }));
  });
})();
