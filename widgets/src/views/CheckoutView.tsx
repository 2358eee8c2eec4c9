import { useEffect, useId, useRef, useState, type FormEvent } from 'react';
import { useWidget } from '../shared/data';
import { formatDateTime, formatDay, formatDayRange } from '../shared/format';
import { checkoutTools, type CheckoutPatch } from '../shared/tools';
import type { Address, CheckoutResult, ShippingMethod } from '../shared/types';
import { Badge, Button, ErrorBanner, DeliveryPreferenceItems, Notice, PolicyLinks, ProductImage, Spinner, TextField, useMoney } from '../shared/ui';
import { CartTotals } from './CartView';
import { serverFieldErrors, validateAddress, type AddressDraft, type AddressField, type FieldErrors } from '../shared/address';
import { MAX_INSTRUCTIONS, preferredDateError, preferredDateWindow, serverFieldMessage, utcToday } from '../shared/delivery';
import { addressFromInput } from '../shared/toolInput';

type Step = 'shipping' | 'payment' | 'review';
const steps: Array<{ id: Step; label: string }> = [
  { id: 'shipping', label: 'Shipping' },
  { id: 'payment', label: 'Payment' },
  { id: 'review', label: 'Review' },
];

function toDraft(a: Address | null): AddressDraft {
  return {
    name: a?.name ?? '',
    line1: a?.line1 ?? '',
    line2: a?.line2 ?? '',
    city: a?.city ?? '',
    state: a?.state ?? '',
    postal_code: a?.postal_code ?? '',
    country: a?.country ?? 'US',
    phone: a?.phone ?? '',
  };
}

function fromDraft(d: AddressDraft): Address {
  const address: Address = { name: d.name.trim(), line1: d.line1.trim(), city: d.city.trim(), postal_code: d.postal_code.trim(), country: d.country.trim().toUpperCase() };
  if (d.line2.trim()) address.line2 = d.line2.trim();
  if (d.state.trim()) address.state = d.state.trim().toUpperCase();
  if (d.phone.trim()) address.phone = d.phone.trim();
  return address;
}

function initialStep(data: CheckoutResult): Step {
  const c = data.cart.checkout;
  if (!c.shipping_address || !c.shipping_method) return 'shipping';
  // A checkout link pays an order placed from the review: show it there.
  if (!c.payment_method_id && !data.checkout_link) return 'payment';
  return 'review';
}

function StepIndicator({ current, reachable, onGo }: { current: Step; reachable: (s: Step) => boolean; onGo: (s: Step) => void }) {
  return (
    <ol className="flex items-center gap-2 text-sm" aria-label="Checkout steps">
      {steps.map((s, i) => {
        const isCurrent = s.id === current;
        return (
          <li key={s.id} className="flex items-center gap-2">
            {i > 0 && <span aria-hidden="true" className="text-muted">→</span>}
            <button
              type="button"
              aria-current={isCurrent ? 'step' : undefined}
              disabled={!reachable(s.id) || isCurrent}
              onClick={() => onGo(s.id)}
              className={`rounded-full px-2 py-1 ${isCurrent ? 'bg-accent font-semibold text-accent-fg' : 'text-muted disabled:opacity-50'}`}
            >
              {i + 1}. {s.label}
            </button>
          </li>
        );
      })}
    </ol>
  );
}

/** Special delivery instructions: plain text with a character counter. */
function InstructionsField({ value, error, onChange }: { value: string; error?: string | null; onChange: (v: string) => void }) {
  const id = useId();
  return (
    <div className="flex min-w-0 flex-col gap-1">
      <label htmlFor={id} className="text-xs font-medium text-muted">
        Delivery instructions (optional)
      </label>
      <textarea
        id={id}
        name="delivery_instructions"
        rows={3}
        maxLength={MAX_INSTRUCTIONS}
        value={value}
        onChange={(e) => onChange(e.target.value)}
        aria-invalid={error ? true : undefined}
        aria-describedby={`${id}-count${error ? ` ${id}-error` : ''}`}
        placeholder="e.g. Leave it with the concierge"
        className={`w-full min-w-0 resize-y rounded-lg border bg-surface px-3 py-1.5 text-sm text-fg ${error ? 'border-danger' : 'border-line'}`}
      />
      <span className="flex justify-between gap-2 text-xs">
        <span id={`${id}-error`} className="text-danger" data-testid={error ? 'field-error' : undefined}>
          {error}
        </span>
        <span id={`${id}-count`} className={`tabular-nums ${value.length > MAX_INSTRUCTIONS ? 'text-danger' : 'text-muted'}`} data-testid="instructions-count">
          {value.length}/{MAX_INSTRUCTIONS}
        </span>
      </span>
    </div>
  );
}

function ShippingStep({ data, onDone }: { data: CheckoutResult; onDone: () => void }) {
  const w = useWidget();
  const money = useMoney();
  const tools = checkoutTools(w);
  const c = data.cart.checkout;
  // What the server holds wins; otherwise the address the assistant passed fills the form.
  const prefill = c.shipping_address ? {} : addressFromInput(w.snapshot.toolInput);
  const [draft, setDraft] = useState<AddressDraft>(() => ({ ...toDraft(c.shipping_address), ...prefill }));
  const touched = useRef(new Set<AddressField>());
  const [errors, setErrors] = useState<FieldErrors>({});
  const [method, setMethod] = useState<ShippingMethod>(c.shipping_method ?? 'standard');
  const [date, setDate] = useState(c.preferred_delivery_date ?? '');
  const [instructions, setInstructions] = useState(c.delivery_instructions ?? '');
  const [dateServerError, setDateServerError] = useState<string | null>(null);
  const [instructionsError, setInstructionsError] = useState<string | null>(null);

  // The tool input can arrive after the first render (MCP Apps sends it as a notification): fill
  // only the fields the shopper has not typed in.
  const prefillKey = JSON.stringify(prefill);
  useEffect(() => {
    const late = JSON.parse(prefillKey) as Partial<AddressDraft>;
    const fields = (Object.keys(late) as AddressField[]).filter((f) => !touched.current.has(f));
    if (fields.length) setDraft((d) => ({ ...d, ...Object.fromEntries(fields.map((f) => [f, late[f]])) }));
  }, [prefillKey]);

  const option = data.cart.shipping_options.find((o) => o.method === method);
  const dateWindow = option ? preferredDateWindow(option.estimate.earliest, utcToday()) : null;
  const dateError = dateServerError ?? (dateWindow ? preferredDateError(date, method, dateWindow) : null);

  const field = (name: AddressField, label: string, extra: Record<string, unknown> = {}) => (
    <TextField
      label={label}
      name={name}
      value={draft[name]}
      error={errors[name]}
      onChange={(e) => {
        touched.current.add(name);
        setDraft({ ...draft, [name]: e.target.value });
        if (errors[name]) setErrors({ ...errors, [name]: undefined });
      }}
      {...extra}
    />
  );

  async function submit(e: FormEvent) {
    e.preventDefault();
    const clientErrors = validateAddress(draft);
    setErrors(clientErrors);
    if (Object.keys(clientErrors).length || dateError || instructions.length > MAX_INSTRUCTIONS) return;
    const patch: CheckoutPatch = { shipping_address: fromDraft(draft), shipping_method: method };
    // Delivery preferences go only when they changed, so an unchanged checkout sends what it always did.
    if ((date || null) !== (c.preferred_delivery_date ?? null)) patch.preferred_delivery_date = date || null;
    if ((instructions || null) !== (c.delivery_instructions ?? null)) patch.delivery_instructions = instructions || null;
    const result = await tools.update(data, patch);
    if (result.isError) {
      const fieldErrors = serverFieldErrors(result);
      const onDate = serverFieldMessage(result, 'preferred_delivery_date');
      const onInstructions = serverFieldMessage(result, 'delivery_instructions');
      setDateServerError(onDate);
      setInstructionsError(onInstructions);
      if (Object.keys(fieldErrors).length) setErrors(fieldErrors);
      if (Object.keys(fieldErrors).length || onDate || onInstructions) w.clearError();
      return;
    }
    onDone();
  }

  return (
    <form onSubmit={submit} noValidate className="flex flex-col gap-4" aria-label="Shipping">
      <fieldset className="grid grid-cols-1 gap-3 sm:grid-cols-2">
        <legend className="mb-2 text-sm font-semibold">Shipping address</legend>
        <div className="sm:col-span-2">{field('name', 'Full name', { autoComplete: 'name', required: true })}</div>
        <div className="sm:col-span-2">{field('line1', 'Street address', { autoComplete: 'address-line1', required: true })}</div>
        <div className="sm:col-span-2">{field('line2', 'Apartment, suite (optional)', { autoComplete: 'address-line2' })}</div>
        {field('city', 'City', { autoComplete: 'address-level2', required: true })}
        {field('state', 'State', { autoComplete: 'address-level1', maxLength: 2 })}
        {field('postal_code', 'ZIP / postal code', { autoComplete: 'postal-code', inputMode: 'numeric', required: true })}
        {field('country', 'Country', { autoComplete: 'country', maxLength: 2, required: true })}
        <div className="sm:col-span-2">{field('phone', 'Phone (optional)', { autoComplete: 'tel', type: 'tel' })}</div>
      </fieldset>
      <fieldset className="flex flex-col gap-2">
        <legend className="mb-2 text-sm font-semibold">Shipping method</legend>
        {data.cart.shipping_options.map((o) => (
          <label key={o.method} className={`flex cursor-pointer items-center gap-3 rounded-xl border p-3 text-sm ${method === o.method ? 'border-fg' : 'border-line'}`}>
            <input
              type="radio"
              name="shipping_method"
              value={o.method}
              checked={method === o.method}
              onChange={() => {
                setMethod(o.method);
                setDateServerError(null);
              }}
              className="size-4"
            />
            <span className="flex min-w-0 flex-1 flex-col">
              <span className="font-medium">{o.label}</span>
              <span className="text-xs text-muted">Arrives {formatDayRange(o.estimate.earliest, o.estimate.latest, w.snapshot.locale)}</span>
            </span>
            <span className="font-medium tabular-nums">{o.price === 0 ? 'Free' : money(o.price, data.cart.currency)}</span>
          </label>
        ))}
      </fieldset>
      <fieldset className="grid grid-cols-1 gap-3">
        <legend className="mb-2 text-sm font-semibold">Delivery preferences</legend>
        <div className="sm:max-w-60">
          <TextField
            label="Preferred delivery date (optional)"
            name="preferred_delivery_date"
            type="date"
            value={date}
            min={dateWindow?.min}
            max={dateWindow?.max}
            error={dateError}
            hint={dateWindow ? `Between ${formatDay(dateWindow.min, w.snapshot.locale)} and ${formatDay(dateWindow.max, w.snapshot.locale)}${method === 'standard' ? ', Monday to Friday' : ''}.` : undefined}
            onChange={(e) => {
              setDate(e.target.value);
              setDateServerError(null);
            }}
          />
        </div>
        <InstructionsField
          value={instructions}
          error={instructionsError ?? (instructions.length > MAX_INSTRUCTIONS ? `Keep the instructions to ${MAX_INSTRUCTIONS} characters.` : null)}
          onChange={(v) => {
            setInstructions(v);
            setInstructionsError(null);
          }}
        />
      </fieldset>
      <Button type="submit" disabled={!!w.busy}>
        Continue to payment
      </Button>
    </form>
  );
}

function PaymentStep({ data, onDone }: { data: CheckoutResult; onDone: () => void }) {
  const w = useWidget();
  const tools = checkoutTools(w);
  const methods = data.payment_methods;
  const c = data.cart.checkout;
  const [selected, setSelected] = useState<string | null>(c.payment_method_id ?? methods.find((m) => m.is_default)?.id ?? methods[0]?.id ?? null);
  const [save, setSave] = useState(c.save_payment_method ?? false);
  // Methods are saved for a signed-in shopper only; a guest is offered signing in instead (or pays as a guest).
  const canSave = data.signed_in;

  return (
    <div className="flex flex-col gap-4">
      <fieldset className="flex flex-col gap-2">
        <legend className="mb-2 text-sm font-semibold">Saved payment methods</legend>
        {methods.length === 0 && <p className="text-sm text-muted">No saved payment methods. After the review you can pay on a secure checkout page.</p>}
        {methods.map((m) => (
          <label key={m.id} className={`flex cursor-pointer items-center gap-3 rounded-xl border p-3 text-sm ${selected === m.id ? 'border-fg' : 'border-line'}`}>
            <input type="radio" name="payment_method" value={m.id} checked={selected === m.id} onChange={() => setSelected(m.id)} className="size-4" />
            <span className="flex flex-1 flex-wrap items-center gap-x-2 gap-y-1">
              <span>
                <span className="font-medium capitalize">{m.brand}</span> •••• {m.last4}
                {m.is_default && <span className="text-xs text-muted"> (default)</span>}
              </span>
              {m.saved && <Badge tone="success">Saved</Badge>}
            </span>
          </label>
        ))}
      </fieldset>
      {!data.signed_in && (
        <div className="flex flex-wrap items-center gap-2 text-sm">
          <span className="text-muted">Have a shop account?</span>
          <Button variant="secondary" disabled={!!w.busy} onClick={() => void tools.signIn(data)}>
            Sign in to use your saved cards
          </Button>
        </div>
      )}
      {canSave && methods.length > 0 && (
        <label className="flex items-start gap-2 text-sm">
          <input type="checkbox" name="save_payment_method" className="mt-0.5 size-4" checked={save} onChange={(e) => setSave(e.target.checked)} />
          <span>Save this payment method for next time</span>
        </label>
      )}
      <Button
        disabled={(!selected && methods.length > 0) || !!w.busy}
        onClick={async () => {
          // Without saved methods the review offers the checkout link only.
          if (!selected) return onDone();
          const patch: CheckoutPatch = { payment_method_id: selected };
          if (canSave && save !== (c.save_payment_method ?? false)) patch.save_payment_method = save;
          const result = await tools.update(data, patch);
          if (!result.isError) onDone();
        }}
      >
        Continue to review
      </Button>
      {methods.length > 0 && <p className="text-xs text-muted">Prefer a secure checkout page? You can choose it at the review, once the terms are accepted.</p>}
    </div>
  );
}

function ReviewStep({ data, onEdit }: { data: CheckoutResult; onEdit: (s: Step) => void }) {
  const w = useWidget();
  const money = useMoney();
  const tools = checkoutTools(w);
  const { cart } = data;
  const c = cart.checkout;
  const address = c.shipping_address;
  const method = data.cart.shipping_options.find((o) => o.method === c.shipping_method);
  const payment = data.payment_methods.find((m) => m.id === c.payment_method_id);
  const link = data.checkout_link;
  // The number of the order the link pays: from this result, or from the link this widget asked for.
  const [askedOrder, setAskedOrder] = useState<string | null>(null);
  const linkOrder = askedOrder ?? link?.order_number ?? null;

  async function payByLink() {
    const result = await tools.checkoutLink(data);
    if (result.isError) return;
    const asked = (result.structuredContent as Partial<CheckoutResult> | null | undefined)?.checkout_link;
    setAskedOrder(asked?.order_number ?? null);
    const url = asked?.url;
    if (url) w.host.openExternal(url);
  }

  return (
    <div className="flex flex-col gap-4">
      <ul className="flex flex-col divide-y divide-line" aria-label="Order items">
        {cart.lines.map((l) => (
          <li key={l.id} className="flex items-center gap-3 py-2 text-sm">
            <div className="w-12 shrink-0">
              <ProductImage src={l.image_url} alt="" />
            </div>
            <span className="min-w-0 flex-1">
              <span className="block truncate font-medium">{l.name}</span>
              <span className="text-xs text-muted">
                {[l.size && `Size ${l.size}`, l.color, `Qty ${l.quantity}`].filter(Boolean).join(' · ')}
              </span>
            </span>
            <span className="tabular-nums">{money(l.line_subtotal, cart.currency)}</span>
          </li>
        ))}
      </ul>
      <dl className="grid grid-cols-1 gap-3 text-sm sm:grid-cols-3">
        <div className="min-w-0">
          <dt className="text-xs font-medium text-muted">Ship to</dt>
          <dd className="break-words">{address ? `${address.name}, ${address.line1}, ${address.city}${address.state ? `, ${address.state}` : ''} ${address.postal_code}` : '—'}</dd>
          <button type="button" className="text-xs underline" onClick={() => onEdit('shipping')}>
            Edit address
          </button>
        </div>
        <div>
          <dt className="text-xs font-medium text-muted">Delivery</dt>
          <dd>{method ? `${method.label} · ${formatDayRange(method.estimate.earliest, method.estimate.latest, w.snapshot.locale)}` : '—'}</dd>
        </div>
        <div>
          <dt className="text-xs font-medium text-muted">Payment</dt>
          <dd>{payment ? <span className="capitalize">{`${payment.brand} •••• ${payment.last4}`}</span> : (c.payment_method_id ?? 'On the secure checkout page')}</dd>
          <button type="button" className="text-xs underline" onClick={() => onEdit('payment')}>
            Change
          </button>
        </div>
        <DeliveryPreferenceItems date={c.preferred_delivery_date} instructions={c.delivery_instructions} instructionsClassName="min-w-0 sm:col-span-2" />
      </dl>
      {c.save_payment_method && data.signed_in && <Notice>Your payment method will be saved for next time once the order is paid.</Notice>}
      <CartTotals cart={cart} />
      <label className="flex items-start gap-2 text-sm">
        <input
          type="checkbox"
          className="mt-0.5 size-4"
          checked={c.terms_accepted}
          disabled={!!w.busy}
          onChange={(e) => {
            const accept = e.target.checked;
            void tools.update(data, { accept_terms: accept }, (d) => ({ ...d, cart: { ...d.cart, checkout: { ...d.cart.checkout, terms_accepted: accept } } }));
          }}
        />
        <span>I accept the terms of sale and the return policy.</span>
      </label>
      <PolicyLinks links={data.policies} show={['terms', 'privacy', 'returns', 'shipping']} />
      <div className="flex flex-col gap-2 sm:flex-row">
        {c.payment_method_id && (
          <Button
            className="sm:flex-1"
            disabled={!c.terms_accepted || !!w.busy}
            onClick={() => void tools.placeOrder(data, c.payment_method_id, `${cart.id}:${cart.version}:${c.payment_method_id}`)}
          >
            {w.busy === 'Placing order…' ? 'Placing order…' : `Place order · ${money(cart.totals.total, cart.currency)}`}
          </Button>
        )}
        {/* A link pays an order placed from this checkout, so it needs the accepted terms too; nothing to pay needs no link. */}
        {!link && cart.totals.total > 0 && (
          <Button className="sm:flex-1" variant={c.payment_method_id ? 'secondary' : 'primary'} disabled={!c.terms_accepted || !!w.busy} onClick={() => void payByLink()}>
            {w.busy === 'Creating checkout link…' ? 'Creating checkout link…' : 'Pay with a secure checkout link'}
          </Button>
        )}
      </div>
      {!c.terms_accepted && <p className="text-xs text-muted">Accept the terms to place the order{cart.totals.total > 0 ? ' or pay with a checkout link' : ''}.</p>}
      {link && (
        <div className="flex min-w-0 flex-col gap-2 rounded-xl border border-line p-3 text-sm" data-testid="checkout-link">
          <p>
            {linkOrder ? (
              <>
                Order <span className="font-semibold" data-testid="link-order-number">{linkOrder}</span> is reserved until it is paid.
              </>
            ) : (
              'Your order is reserved until it is paid.'
            )}{' '}
            Pay on the secure checkout page before {formatDateTime(link.expires_at, w.snapshot.locale)}.
          </p>
          <a
            href={link.url}
            target="_blank"
            rel="noopener noreferrer"
            className="break-all text-xs underline"
            onClick={(e) => {
              e.preventDefault();
              w.host.openExternal(link.url);
            }}
          >
            {link.url}
          </a>
          <Button onClick={() => w.host.openExternal(link.url)}>Open secure checkout</Button>
          {c.payment_method_id && <p className="text-xs text-muted">Placing the order here instead closes the link.</p>}
        </div>
      )}
    </div>
  );
}

export function CheckoutView({ data }: { data: CheckoutResult }) {
  const w = useWidget();
  const [step, setStep] = useState<Step>(() => initialStep(data));
  const c = data.cart.checkout;
  const reachable = (s: Step) => s === 'shipping' || (s === 'payment' && !!c.shipping_address && !!c.shipping_method) || (s === 'review' && !!c.shipping_address && !!c.shipping_method);

  if (data.cart.lines.length === 0)
    return (
      <div className="flex flex-col gap-3">
        <ErrorBanner message="Your cart is empty, so there is nothing to check out." />
        <Button onClick={() => void w.host.sendFollowUpMessage('Help me find something to buy.')}>Continue shopping</Button>
      </div>
    );

  return (
    <section className="flex flex-col gap-4" aria-labelledby="checkout-heading">
      <h2 id="checkout-heading" className="text-base font-semibold">
        Checkout
      </h2>
      <StepIndicator current={step} reachable={reachable} onGo={setStep} />
      {w.error && <ErrorBanner message={w.error} onDismiss={w.clearError} />}
      {w.busy && <Spinner label={w.busy} />}
      {step === 'shipping' && <ShippingStep data={data} onDone={() => setStep('payment')} />}
      {step === 'payment' && <PaymentStep data={data} onDone={() => setStep('review')} />}
      {step === 'review' && <ReviewStep data={data} onEdit={setStep} />}
    </section>
  );
}
