// Mounts a widget: theme from the host, loading/empty/error states, and a view per result kind.
// A widget can switch views when one of its own tool calls returns another kind
// (e.g. the cart's "Proceed to checkout" returns a checkout), so the flow continues in place.
import { StrictMode, useEffect, type ComponentType } from 'react';
import { createRoot } from 'react-dom/client';
import { useWidgetDataSource, WidgetContext } from './data';
import type { AnyResult } from './types';
import { EmptyState, ErrorBanner, Spinner } from './ui';
import './styles.css';

type Kind = AnyResult['kind'];
export type Views = { [K in Kind]?: ComponentType<{ data: Extract<AnyResult, { kind: K }> }> };

function WidgetRoot({ name, views, emptyTitle }: { name: string; views: Views; emptyTitle: string }) {
  const source = useWidgetDataSource();
  const { snapshot, data, hostError, host } = source;

  useEffect(() => {
    document.documentElement.classList.toggle('dark', snapshot.theme === 'dark');
    document.documentElement.lang = snapshot.locale;
  }, [snapshot.theme, snapshot.locale]);

  const View = data ? (views[data.kind] as ComponentType<{ data: AnyResult }> | undefined) : undefined;
  let body;
  if (View && data) body = <View data={data} />;
  else if (hostError) body = <ErrorBanner message={hostError} />;
  else if (snapshot.cancelled) body = <EmptyState title={snapshot.cancelled} />;
  else if (data) body = <EmptyState title="This result cannot be shown here." />;
  else if (host.kind === 'none') body = <EmptyState title={emptyTitle} />;
  else
    body = (
      <div className="py-8 text-center" data-testid="loading">
        <Spinner label="Loading…" />
      </div>
    );

  return (
    <WidgetContext.Provider value={source}>
      <main data-widget={name} data-kind={data?.kind ?? 'none'} className="mx-auto w-full max-w-5xl p-3 text-fg sm:p-4">
        {body}
      </main>
    </WidgetContext.Provider>
  );
}

export function mountWidget(name: string, views: Views, emptyTitle: string) {
  const el = document.getElementById('root');
  if (!el) throw new Error('missing #root');
  createRoot(el).render(
    <StrictMode>
      <WidgetRoot name={name} views={views} emptyTitle={emptyTitle} />
    </StrictMode>,
  );
}
