// The playground: a tool-call console (the SDK v2 client, playground/mcp.ts) over the gateway's live tools/list, and the widget for each
// result rendered the way ChatGPT does (window.openai in the widget frame, from src/host, the
// same host code the browser tests use), so a person can shop end to end without ChatGPT.
import { useCallback, useEffect, useLayoutEffect, useMemo, useRef, useState, type FormEvent } from 'react';
import { createRoot } from 'react-dom/client';
import { globalsForResult, provideOpenAiHost, withOpenAiShim, type OpenAiHost, type Theme } from '../src/host/openai-host';
import shimSource from '../src/host/openai-shim.js?raw';
import { PlaygroundMcp, type CallResult, type Tool } from './mcp';
import { fieldsFor, toArguments, toValues, type Field, type FormValue, type FormValues, type JsonSchema } from './schema-form';
import './styles.css';

const LOCALES = ['en-US', 'en-GB', 'de-DE', 'fr-FR', 'es-ES', 'ja-JP'];
const mcp = new PlaygroundMcp(new URL('/mcp', window.location.href));

function randomId(prefix: string): string {
  const bytes = crypto.getRandomValues(new Uint8Array(8));
  return `${prefix}-${[...bytes].map((b) => b.toString(16).padStart(2, '0')).join('')}`;
}

/** A value kept across reloads, so the cart (keyed by the conversation id) survives a refresh. */
function useStored(key: string, initial: () => string): [string, (v: string) => void] {
  const [value, setValue] = useState(() => localStorage.getItem(key) ?? initial());
  useEffect(() => localStorage.setItem(key, value), [key, value]);
  return [value, setValue];
}

function resourceUriOf(tool: Tool): string | undefined {
  const meta = tool._meta as { ui?: { resourceUri?: unknown }; 'openai/outputTemplate'?: unknown } | undefined;
  const uri = meta?.ui?.resourceUri ?? meta?.['openai/outputTemplate'];
  return typeof uri === 'string' ? uri : undefined;
}

type LogKind = 'call' | 'widget-call' | 'follow-up' | 'open' | 'state' | 'info' | 'error';
const LOG_LABELS: Record<LogKind, string> = {
  call: 'Console → tool',
  'widget-call': 'Widget → tool',
  'follow-up': 'Follow-up message',
  open: 'Open link',
  state: 'Widget state',
  info: 'Info',
  error: 'Error',
};
interface LogEntry {
  id: number;
  kind: LogKind;
  at: Date;
  title: string;
  text?: string;
  detail?: unknown;
  status?: 'pending' | 'ok' | 'error';
}

interface WidgetMount {
  /** Increments per result, so every result gets a fresh frame, like a new message. */
  seq: number;
  uri: string;
  html: string;
  result: CallResult;
  input: Record<string, unknown>;
}

interface LastResult {
  name: string;
  source: 'console' | 'widget';
  result: CallResult;
}

const resultText = (r: CallResult) => (r.content ?? []).map((c) => c.text ?? '').filter(Boolean).join('\n');
const thrown = (e: unknown): CallResult => ({ isError: true, content: [{ type: 'text', text: e instanceof Error ? e.message : String(e) }] });

function App() {
  const [tools, setTools] = useState<Tool[] | null>(null);
  const [loadError, setLoadError] = useState<string | null>(null);
  const [toolName, setToolName] = useState('search_products');
  const [valuesByTool, setValuesByTool] = useState<Record<string, FormValues>>({});
  const [jsonMode, setJsonMode] = useState(false);
  const [jsonText, setJsonText] = useState('{}');
  const [formErrors, setFormErrors] = useState<Record<string, string>>({});
  const [busy, setBusy] = useState(false);
  const [log, setLog] = useState<LogEntry[]>([]);
  const [last, setLast] = useState<LastResult | null>(null);
  const [widget, setWidget] = useState<WidgetMount | null>(null);
  const [theme, setTheme] = useState<Theme>(() => (matchMedia('(prefers-color-scheme: dark)').matches ? 'dark' : 'light'));
  const [locale, setLocale] = useState(() => (LOCALES.includes(navigator.language) ? navigator.language : 'en-US'));
  const [session, setSession] = useStored('shop-playground/session', () => randomId('conv'));
  const [subject, setSubject] = useStored('shop-playground/subject', () => randomId('user'));

  // Widget calls can come long after the frame was mounted: they read the current identity.
  const identity = useRef({ session, subject, locale });
  identity.current = { session, subject, locale };

  const logSeq = useRef(0);
  const addLog = useCallback((entry: Omit<LogEntry, 'id' | 'at'>) => {
    const id = ++logSeq.current;
    setLog((l) => [{ ...entry, id, at: new Date() }, ...l]);
    return id;
  }, []);
  const updateLog = useCallback((id: number, patch: Partial<LogEntry>) => setLog((l) => l.map((e) => (e.id === id ? { ...e, ...patch } : e))), []);

  useEffect(() => {
    mcp.listTools().then(
      async (listed) => {
        setTools(listed);
        const era = await mcp.era();
        addLog({
          kind: 'info',
          title: 'Connected',
          text: era === 'modern' ? 'MCP 2026-07-28: stateless, no MCP session; the conversation travels in each call’s _meta.' : 'MCP 2025 handshake, with an MCP session.',
        });
      },
      (e: unknown) => setLoadError(`Could not list the tools: ${(e as Error).message}`),
    );
  }, [addLog]);
  useEffect(() => {
    document.documentElement.dataset.theme = theme;
  }, [theme]);

  const tool = tools?.find((t) => t.name === toolName) ?? tools?.[0];
  const fields = useMemo(() => (tool ? fieldsFor(tool.inputSchema as JsonSchema) : []), [tool]);
  const values = (tool && valuesByTool[tool.name]) || {};
  const setValues = (next: FormValues) => tool && setValuesByTool((v) => ({ ...v, [tool.name]: next }));

  /** One tools/call with the conversation's _meta, as ChatGPT sends it; logged with its raw result. */
  const call = useCallback(
    async (name: string, args: Record<string, unknown>, source: 'console' | 'widget'): Promise<{ result: CallResult; failed: boolean }> => {
      const { session, subject, locale } = identity.current;
      const meta = { 'openai/session': session, 'openai/subject': subject, 'openai/locale': locale, 'openai/userAgent': navigator.userAgent };
      const id = addLog({ kind: source === 'console' ? 'call' : 'widget-call', title: name, status: 'pending', detail: { request: { name, arguments: args, _meta: meta } } });
      let result: CallResult;
      let failed = false;
      try {
        result = await mcp.callTool(name, args, meta);
      } catch (e) {
        result = thrown(e);
        failed = true;
      }
      updateLog(id, { status: result.isError ? 'error' : 'ok', text: resultText(result), detail: { request: { name, arguments: args, _meta: meta }, result } });
      setLast({ name, source, result });
      return { result, failed };
    },
    [addLog, updateLog],
  );

  async function submit(e: FormEvent) {
    e.preventDefault();
    if (!tool) return;
    let args: Record<string, unknown>;
    if (jsonMode) {
      try {
        const parsed: unknown = JSON.parse(jsonText || '{}');
        if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) throw new Error('the arguments must be a JSON object');
        args = parsed as Record<string, unknown>;
      } catch (err) {
        setFormErrors({ $json: `Arguments: ${(err as Error).message}` });
        return;
      }
    } else {
      const converted = toArguments(fields, values);
      if (Object.keys(converted.errors).length) {
        setFormErrors(converted.errors);
        return;
      }
      args = converted.args;
    }
    setFormErrors({});
    setBusy(true);
    try {
      const { result, failed } = await call(tool.name, args, 'console');
      const uri = resourceUriOf(tool);
      // A tool with a template renders its widget for every answer, errors included (the widgets show them inline).
      if (uri && !failed) {
        try {
          const html = await mcp.widgetHtml(uri);
          setWidget((w) => ({ seq: (w?.seq ?? 0) + 1, uri, html, result, input: args }));
        } catch (err) {
          addLog({ kind: 'error', title: `Could not read ${uri}`, text: (err as Error).message });
        }
      }
    } finally {
      setBusy(false);
    }
  }

  function toggleJson(on: boolean) {
    if (on) setJsonText(JSON.stringify(toArguments(fields, values).args, null, 2));
    else {
      try {
        setValues(toValues(fields, JSON.parse(jsonText || '{}') as Record<string, unknown>));
      } catch {
        // Unparseable JSON: the form keeps its previous values.
      }
    }
    setFormErrors({});
    setJsonMode(on);
  }

  function newConversation() {
    const id = randomId('conv');
    setSession(id);
    setWidget(null);
    addLog({ kind: 'info', title: 'New conversation', text: `openai/session is now ${id}: a new, empty cart.` });
  }

  const widgetHandlers = useMemo<WidgetHandlers>(
    () => ({
      callTool: async (name, args) => (await call(name, args, 'widget')).result,
      sendFollowUpMessage: (prompt) => addLog({ kind: 'follow-up', title: 'The widget asks the model', text: prompt }),
      openExternal: (href) => {
        addLog({ kind: 'open', title: href });
        window.open(href, '_blank', 'noopener');
      },
      setWidgetState: (state) => addLog({ kind: 'state', title: 'setWidgetState', detail: state }),
    }),
    [call, addLog],
  );

  return (
    <div className="app">
      <header className="bar">
        <h1>Shop playground</h1>
        <div className="identity">
          <span>
            Conversation <code data-testid="session-id">{session}</code>
          </span>
          <button type="button" onClick={newConversation}>
            New conversation
          </button>
          <label>
            Subject <input aria-label="Subject" value={subject} onChange={(e) => setSubject(e.target.value)} size={22} />
          </label>
          <label>
            Locale{' '}
            <select aria-label="Locale" value={locale} onChange={(e) => setLocale(e.target.value)}>
              {LOCALES.map((l) => (
                <option key={l}>{l}</option>
              ))}
            </select>
          </label>
          <button type="button" aria-pressed={theme === 'dark'} onClick={() => setTheme(theme === 'dark' ? 'light' : 'dark')}>
            {theme === 'dark' ? 'Light theme' : 'Dark theme'}
          </button>
        </div>
      </header>

      <main className="panes">
        <section className="console" aria-label="Console">
          {loadError && <p className="error" role="alert">{loadError}</p>}
          {!tools && !loadError && <p>Loading tools…</p>}
          {tool && (
            <form aria-label="Tool call" onSubmit={submit} noValidate>
              <label className="tool-pick">
                Tool{' '}
                <select aria-label="Tool" value={tool.name} onChange={(e) => setToolName(e.target.value)}>
                  {tools!.map((t) => (
                    <option key={t.name} value={t.name}>
                      {t.name}
                    </option>
                  ))}
                </select>
              </label>
              <ToolSummary tool={tool} />
              {jsonMode ? (
                <label className="field">
                  <span>Arguments (JSON)</span>
                  <textarea aria-label="Arguments JSON" rows={10} value={jsonText} onChange={(e) => setJsonText(e.target.value)} spellCheck={false} />
                </label>
              ) : fields.length ? (
                <Fields fields={fields} values={values} errors={formErrors} onChange={setValues} />
              ) : (
                <p className="muted">This tool takes no arguments.</p>
              )}
              {formErrors.$json && <p className="error">{formErrors.$json}</p>}
              <div className="actions">
                <label>
                  <input type="checkbox" checked={jsonMode} onChange={(e) => toggleJson(e.target.checked)} /> Edit arguments as JSON
                </label>
                <button type="submit" className="primary" disabled={busy}>
                  {busy ? 'Calling…' : `Call ${tool.name}`}
                </button>
              </div>
            </form>
          )}

          <h2>Result{last && <> of <code>{last.name}</code>{last.source === 'widget' ? ' (from the widget)' : ''}</>}</h2>
          <pre className="raw" data-testid="raw-result" data-error={last?.result.isError ? 'true' : undefined}>
            {last ? JSON.stringify(last.result, null, 2) : 'Call a tool to see its raw result here.'}
          </pre>

          <h2>Log</h2>
          <ol className="log" aria-label="Log">
            {log.map((e) => (
              <li key={e.id} data-testid="log-entry" data-kind={e.kind} data-status={e.status}>
                <div className="log-head">
                  <span className={`badge ${e.kind}`}>{LOG_LABELS[e.kind]}</span> <code>{e.title}</code>
                  {e.status && <span className={`status ${e.status}`}>{e.status === 'pending' ? '…' : e.status === 'ok' ? 'ok' : 'error'}</span>}
                  <time>{e.at.toLocaleTimeString()}</time>
                </div>
                {e.text && <p className="log-text">{e.text}</p>}
                {e.detail !== undefined && (
                  <details>
                    <summary>Details</summary>
                    <pre>{JSON.stringify(e.detail, null, 2)}</pre>
                  </details>
                )}
              </li>
            ))}
          </ol>
        </section>

        <section className="stage" aria-label="Widget">
          {widget ? (
            <>
              <p className="muted">
                <code>{widget.uri}</code>
              </p>
              <WidgetFrame mount={widget} theme={theme} locale={locale} handlers={widgetHandlers} />
            </>
          ) : (
            <p className="muted placeholder">The widget for a tool's result appears here.</p>
          )}
        </section>
      </main>
    </div>
  );
}

function ToolSummary({ tool }: { tool: Tool }) {
  const a = tool.annotations ?? {};
  return (
    <div className="tool-summary">
      {tool.description && <p>{tool.description}</p>}
      <p className="badges">
        {a.readOnlyHint && <span className="badge">read-only</span>}
        {a.destructiveHint && <span className="badge warn">destructive: a host asks the shopper first</span>}
        {resourceUriOf(tool) ? <span className="badge">widget {resourceUriOf(tool)}</span> : <span className="badge">no widget</span>}
      </p>
    </div>
  );
}

function Fields({ fields, values, errors, onChange }: { fields: Field[]; values: FormValues; errors: Record<string, string>; onChange(v: FormValues): void }) {
  const set = (name: string, v: FormValue) => onChange({ ...values, [name]: v });
  return (
    <>
      {fields.map((f) => (
        <FieldInput key={f.path} field={f} value={values[f.name]} error={errors[f.path]} errors={errors} onChange={(v) => set(f.name, v)} />
      ))}
    </>
  );
}

function FieldInput({ field: f, value, error, errors, onChange }: { field: Field; value: FormValue; error?: string; errors: Record<string, string>; onChange(v: FormValue): void }) {
  const id = `f-${f.path}`;
  const help = f.description ? `${id}-help` : undefined;
  const text = typeof value === 'string' ? value : '';
  const label = (
    <span>
      {f.name}
      {f.required && <abbr title="required"> *</abbr>}
    </span>
  );
  const common = { id, 'aria-label': f.path, 'aria-describedby': help, 'aria-invalid': error ? true : undefined };
  let input;
  switch (f.kind) {
    case 'object':
      return (
        <fieldset className="sub">
          <legend>
            {f.name}
            {f.required ? <abbr title="required"> *</abbr> : <span className="muted"> (left out while empty)</span>}
          </legend>
          <Fields fields={f.fields} values={value && typeof value === 'object' ? value : {}} errors={errors} onChange={onChange} />
        </fieldset>
      );
    case 'checkbox':
      return <TriStateCheckbox field={f} value={typeof value === 'boolean' ? value : undefined} onChange={onChange} />;
    case 'select':
      input = (
        <select {...common} value={text} onChange={(e) => onChange(e.target.value || undefined)}>
          <option value="">{f.required ? 'Choose…' : '(not sent)'}</option>
          {f.options.map((o) => (
            <option key={o}>{o}</option>
          ))}
        </select>
      );
      break;
    case 'number':
      input = <input {...common} type="number" step={f.integer ? 1 : 'any'} min={f.minimum} max={f.maximum} value={text} onChange={(e) => onChange(e.target.value)} />;
      break;
    case 'list':
      input = <input {...common} type="text" placeholder="comma-separated, e.g. a, b" value={text} onChange={(e) => onChange(e.target.value)} />;
      break;
    case 'json':
      input = <textarea {...common} rows={3} placeholder="JSON" value={text} onChange={(e) => onChange(e.target.value)} spellCheck={false} />;
      break;
    case 'text':
      input = <input {...common} type="text" value={text} onChange={(e) => onChange(e.target.value)} />;
      break;
  }
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      {input}
      {f.description && (
        <small id={help} className="muted">
          {f.description}
        </small>
      )}
      {error && <small className="error">{error}</small>}
    </div>
  );
}

/** A flag that can also be left out (the server's default applies): not sent → true → false → not sent. */
function TriStateCheckbox({ field: f, value, onChange }: { field: Field; value: boolean | undefined; onChange(v: boolean | undefined): void }) {
  const ref = useRef<HTMLInputElement>(null);
  useEffect(() => {
    if (ref.current) ref.current.indeterminate = value === undefined;
  }, [value]);
  const id = `f-${f.path}`;
  return (
    <div className="field check">
      <input ref={ref} id={id} aria-label={f.path} type="checkbox" checked={value === true} onChange={() => onChange(value === undefined ? true : value ? false : undefined)} />
      <label htmlFor={id}>
        {f.name}
        {f.required && <abbr title="required"> *</abbr>} <span className="muted">{value === undefined ? '(not sent)' : String(value)}</span>
      </label>
      {f.description && <small className="muted">{f.description}</small>}
    </div>
  );
}

interface WidgetHandlers {
  callTool(name: string, args: Record<string, unknown>): Promise<CallResult>;
  sendFollowUpMessage(prompt: string): void;
  openExternal(href: string): void;
  setWidgetState(state: unknown): void;
}

/** The widget in a same-origin frame with window.openai injected before its script runs, as the test host does. */
function WidgetFrame({ mount, theme, locale, handlers }: { mount: WidgetMount; theme: Theme; locale: string; handlers: WidgetHandlers }) {
  const box = useRef<HTMLDivElement>(null);
  const host = useRef<OpenAiHost | null>(null);
  const current = useRef({ theme, locale, handlers });
  current.current = { theme, locale, handlers };

  useLayoutEffect(() => {
    const iframe = document.createElement('iframe');
    // ui://widget/<name>.v<N>.html (earlier: <name>.html): the frame is titled by the widget's name.
    const name = /([\w-]+?)(?:\.v\d+)?\.html$/.exec(mount.uri)?.[1] ?? 'widget';
    const { theme, locale } = current.current;
    host.current = provideOpenAiHost(globalsForResult(mount.result, mount.input, { theme, locale }), {
      callTool: (toolName, args) => current.current.handlers.callTool(toolName, args),
      log: (kind, value) => {
        // Tool calls are logged with their results by callTool; heights are noise.
        if (kind === 'setWidgetState') current.current.handlers.setWidgetState(value);
      },
      resize: (height) => {
        iframe.style.height = `${Math.ceil(height)}px`;
      },
      openExternal: (href) => current.current.handlers.openExternal(href),
      sendFollowUpMessage: (prompt) => current.current.handlers.sendFollowUpMessage(prompt),
    });
    iframe.title = `${name} widget`;
    iframe.name = 'widget';
    iframe.srcdoc = withOpenAiShim(mount.html, shimSource);
    box.current!.replaceChildren(iframe);
    return () => iframe.remove();
  }, [mount]);

  useEffect(() => {
    if (host.current && host.current.globals.theme !== theme) host.current.setGlobals({ theme });
  }, [theme]);
  useEffect(() => {
    if (host.current && host.current.globals.locale !== locale) host.current.setGlobals({ locale });
  }, [locale]);

  return <div className="frame" ref={box} data-testid="widget-frame" data-widget={mount.uri} data-seq={mount.seq} />;
}

createRoot(document.getElementById('root')!).render(<App />);
