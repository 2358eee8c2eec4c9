// Small accessible building blocks shared by every widget.
import { useId, type ButtonHTMLAttributes, type InputHTMLAttributes, type ReactNode } from 'react';
import { useWidget } from './data';
import { formatCents, formatDay } from './format';

type ButtonVariant = 'primary' | 'secondary' | 'ghost' | 'danger';
const buttonStyles: Record<ButtonVariant, string> = {
  primary: 'bg-accent text-accent-fg hover:opacity-90',
  secondary: 'border border-line bg-surface text-fg hover:bg-card',
  ghost: 'text-fg hover:bg-card',
  danger: 'text-danger hover:bg-card',
};

export function Button({ variant = 'primary', className = '', ...props }: ButtonHTMLAttributes<HTMLButtonElement> & { variant?: ButtonVariant }) {
  return (
    <button
      type="button"
      {...props}
      className={`inline-flex min-h-9 items-center justify-center gap-1 rounded-full px-4 py-1.5 text-sm font-medium transition disabled:cursor-not-allowed disabled:opacity-50 ${buttonStyles[variant]} ${className}`}
    />
  );
}

export function Badge({ tone = 'neutral', children }: { tone?: 'neutral' | 'success' | 'warn' | 'danger'; children: ReactNode }) {
  const tones = { neutral: 'text-muted border-line', success: 'text-success border-success/40', warn: 'text-warn border-warn/40', danger: 'text-danger border-danger/40' };
  return <span className={`inline-flex w-fit items-center rounded-full border px-2 py-0.5 text-xs font-medium ${tones[tone]}`}>{children}</span>;
}

export function StockBadge({ inStock, available }: { inStock: boolean; available: number }) {
  if (!inStock || available <= 0) return <Badge tone="danger">Out of stock</Badge>;
  if (available <= 5) return <Badge tone="warn">Only {available} left</Badge>;
  return <Badge tone="success">In stock</Badge>;
}

export function Stars({ rating, count }: { rating: number; count: number }) {
  const rounded = Math.round(rating * 2) / 2;
  return (
    <span role="img" className="inline-flex items-center gap-1 text-xs text-muted" aria-label={`Rated ${rating.toFixed(1)} out of 5 from ${count} reviews`}>
      <span aria-hidden="true" className="text-warn">
        {'★'.repeat(Math.floor(rounded))}
        {rounded % 1 ? '½' : ''}
      </span>
      <span aria-hidden="true">
        {rating.toFixed(1)} ({count})
      </span>
    </span>
  );
}

export function Money({ cents, currency = 'USD' }: { cents: number; currency?: string }) {
  const { snapshot } = useWidget();
  return <>{formatCents(cents, currency, snapshot.locale)}</>;
}

export function useMoney() {
  const { snapshot } = useWidget();
  return (cents: number, currency = 'USD') => formatCents(cents, currency, snapshot.locale);
}

export function Spinner({ label }: { label: string }) {
  return (
    <span role="status" className="inline-flex items-center gap-2 text-sm text-muted">
      <span aria-hidden="true" className="size-4 animate-spin rounded-full border-2 border-line border-t-fg" />
      {label}
    </span>
  );
}

export function ErrorBanner({ message, onDismiss }: { message: string; onDismiss?: () => void }) {
  return (
    <div role="alert" data-testid="error" className="flex items-start justify-between gap-3 rounded-xl border border-danger/40 px-3 py-2 text-sm text-danger">
      <span className="min-w-0 break-words">{message}</span>
      {onDismiss && (
        <button type="button" className="shrink-0 rounded px-1 font-medium" onClick={onDismiss} aria-label="Dismiss error">
          ✕
        </button>
      )}
    </div>
  );
}

export function Notice({ children, tone = 'neutral' }: { children: ReactNode; tone?: 'neutral' | 'warn' | 'success' }) {
  const tones = { neutral: 'border-line text-fg', warn: 'border-warn/50 text-warn', success: 'border-success/50 text-success' };
  return (
    <p role="status" className={`rounded-xl border px-3 py-2 text-sm ${tones[tone]}`}>
      {children}
    </p>
  );
}

export function EmptyState({ title, children }: { title: string; children?: ReactNode }) {
  return (
    <div data-testid="empty" className="flex flex-col items-center gap-3 rounded-2xl border border-dashed border-line px-4 py-10 text-center">
      <p className="text-base font-semibold">{title}</p>
      {children}
    </div>
  );
}

export function ProductImage({ src, alt, className = '' }: { src: string; alt: string; className?: string }) {
  return <img src={src} alt={alt} loading="lazy" className={`block aspect-square w-full rounded-xl bg-card object-cover ${className}`} />;
}

export function TextField({ label, error, hint, ...props }: InputHTMLAttributes<HTMLInputElement> & { label: string; error?: string | null; hint?: string }) {
  const id = useId();
  const describedBy = error ? `${id}-error` : hint ? `${id}-hint` : undefined;
  return (
    <div className="flex min-w-0 flex-col gap-1">
      <label htmlFor={id} className="text-xs font-medium text-muted">
        {label}
      </label>
      <input
        id={id}
        aria-invalid={error ? true : undefined}
        aria-describedby={describedBy}
        {...props}
        className={`min-h-9 w-full min-w-0 rounded-lg border bg-surface px-3 py-1.5 text-sm text-fg ${error ? 'border-danger' : 'border-line'}`}
      />
      {error ? (
        <span id={`${id}-error`} className="text-xs text-danger" data-testid="field-error">
          {error}
        </span>
      ) : hint ? (
        <span id={`${id}-hint`} className="text-xs text-muted">
          {hint}
        </span>
      ) : null}
    </div>
  );
}

export function QuantityStepper({ value, min = 1, max = 99, onChange, label, disabled }: { value: number; min?: number; max?: number; onChange: (next: number) => void; label: string; disabled?: boolean }) {
  return (
    <div role="group" aria-label={label} className="inline-flex items-center rounded-full border border-line">
      <button type="button" className="size-8 rounded-full text-lg disabled:opacity-40" aria-label={`Decrease ${label}`} disabled={disabled || value <= min} onClick={() => onChange(value - 1)}>
        −
      </button>
      <span aria-live="polite" className="min-w-6 text-center text-sm tabular-nums" data-testid="quantity">
        {value}
      </span>
      <button type="button" className="size-8 rounded-full text-lg disabled:opacity-40" aria-label={`Increase ${label}`} disabled={disabled || value >= max} onClick={() => onChange(value + 1)}>
        +
      </button>
    </div>
  );
}

export function Totals({ rows }: { rows: Array<{ label: string; value: string; strong?: boolean; testId?: string }> }) {
  return (
    <dl className="flex flex-col gap-1 text-sm">
      {rows.map((r) => (
        <div key={r.label} className={`flex justify-between gap-4 ${r.strong ? 'border-t border-line pt-2 text-base font-semibold' : ''}`}>
          <dt className={r.strong ? '' : 'text-muted'}>{r.label}</dt>
          <dd className="tabular-nums" data-testid={r.testId}>
            {r.value}
          </dd>
        </div>
      ))}
    </dl>
  );
}

const policyLabels = { terms: 'Terms of sale', privacy: 'Privacy policy', returns: 'Returns policy', shipping: 'Shipping policy' } as const;
export type PolicyKey = keyof typeof policyLabels;

/** Links to the store's policy pages, opened through the host (a sandboxed frame may not navigate). */
/**
 * The shopper's delivery preferences as <dl> items (review step and order confirmation).
 * Instructions are the shopper's own text: rendered as text, never as markup.
 */
export function DeliveryPreferenceItems({ date, instructions, instructionsClassName }: { date: string | null | undefined; instructions: string | null | undefined; instructionsClassName: string }) {
  const w = useWidget();
  return (
    <>
      {date && (
        <div>
          <dt className="text-xs font-medium text-muted">Preferred delivery date</dt>
          <dd data-testid="preferred-date">{formatDay(date, w.snapshot.locale)}</dd>
        </div>
      )}
      {instructions && (
        <div className={instructionsClassName}>
          <dt className="text-xs font-medium text-muted">Delivery instructions</dt>
          <dd className="whitespace-pre-wrap break-words" data-testid="delivery-instructions">
            {instructions}
          </dd>
        </div>
      )}
    </>
  );
}

export function PolicyLinks({ links, show, label = 'Store policies' }: { links: Partial<Record<PolicyKey, string>> | undefined; show: PolicyKey[]; label?: string }) {
  const { host } = useWidget();
  const items = show.filter((k) => links?.[k]);
  if (!items.length) return null;
  return (
    <nav aria-label={label}>
      <ul className="flex flex-wrap gap-x-3 gap-y-1 text-xs">
        {items.map((k) => (
          <li key={k}>
            <a
              href={links![k]}
              target="_blank"
              rel="noopener noreferrer"
              data-testid={`policy-${k}`}
              className="underline"
              onClick={(e) => {
                e.preventDefault();
                host.openExternal(links![k]!);
              }}
            >
              {policyLabels[k]}
            </a>
          </li>
        ))}
      </ul>
    </nav>
  );
}
