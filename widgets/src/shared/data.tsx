// Widget data flow: render the tool result the host gave us; mutate through tool calls;
// apply an optimistic guess first and roll it back, with an inline error, when the call fails.
import { createContext, useCallback, useContext, useEffect, useRef, useState, useSyncExternalStore } from 'react';
import { errorText, getHost, type Host, type HostSnapshot, type ToolCallResult } from './host';
import type { AnyResult, ToolArgs } from './types';

export function useHostSnapshot(): HostSnapshot {
  const host = getHost();
  return useSyncExternalStore(host.subscribe, host.getSnapshot);
}

export interface CallOptions<T extends AnyResult> {
  /** The state to show while the call runs; restored to the previous state if it fails. */
  optimistic?: (current: T) => T;
  /** A short label of what is running, for busy indicators. */
  label?: string;
  /** Keep the current view; the caller uses the result itself (e.g. "added to cart" in the grid). */
  keepView?: boolean;
}

export interface WidgetData {
  host: Host;
  snapshot: HostSnapshot;
  data: AnyResult | null;
  /** True while `data` is the host's own tool result (so the host's toolInput describes it), false after a widget call replaced it. */
  fromHost: boolean;
  /** An error result the host handed us as the widget's own tool output. */
  hostError: string | null;
  error: string | null;
  busy: string | null;
  clearError(): void;
  /** Calls a tool with its arguments as the contracts type them; a result whose structuredContent has a `kind` replaces what is shown. */
  call<T extends AnyResult, N extends keyof ToolArgs = keyof ToolArgs>(name: N, args: ToolArgs[N], options?: CallOptions<T>): Promise<ToolCallResult>;
  /** Shows a result without calling anything (e.g. going back to a previous view). */
  show(result: AnyResult): void;
}

function isResult(value: unknown): value is AnyResult {
  return !!value && typeof value === 'object' && typeof (value as { kind?: unknown }).kind === 'string' && (value as { kind: string }).kind !== 'error';
}

export function useWidgetDataSource(): WidgetData {
  const host = getHost();
  const snapshot = useHostSnapshot();
  const [local, setLocal] = useState<AnyResult | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState<string | null>(null);

  // A new tool result from the host (a new turn) supersedes whatever this frame showed.
  useEffect(() => {
    setLocal(null);
    setError(null);
  }, [snapshot.toolOutput]);

  const hostOutput = snapshot.toolOutput;
  const data = local ?? (isResult(hostOutput) ? hostOutput : null);
  const hostError = !local && hostOutput && (hostOutput as { kind?: string }).kind === 'error' ? String((hostOutput as { message?: unknown }).message ?? '') : null;
  const dataRef = useRef(data);
  dataRef.current = data;

  const call = useCallback(
    async <T extends AnyResult, N extends keyof ToolArgs = keyof ToolArgs>(name: N, args: ToolArgs[N], options: CallOptions<T> = {}) => {
      const before = dataRef.current;
      setError(null);
      setBusy(options.label ?? name);
      if (options.optimistic && before) setLocal(options.optimistic(before as T));
      const result = await host.callTool(name, args as Record<string, unknown>);
      setBusy(null);
      if (result.isError) {
        setLocal(before);
        setError(errorText(result));
        return result;
      }
      if (!options.keepView && isResult(result.structuredContent)) setLocal(result.structuredContent);
      else if (options.optimistic) setLocal(before);
      // The model saw the result it asked for, not this change: tell it what the shopper now has.
      host.updateModelContext(result);
      return result;
    },
    [host],
  );

  return {
    host,
    snapshot,
    data,
    fromHost: !local && data !== null,
    hostError,
    error,
    busy,
    clearError: () => setError(null),
    call,
    show: (result) => setLocal(result),
  };
}

export const WidgetContext = createContext<WidgetData | null>(null);

export function useWidget(): WidgetData {
  const ctx = useContext(WidgetContext);
  if (!ctx) throw new Error('useWidget outside a widget root');
  return ctx;
}
