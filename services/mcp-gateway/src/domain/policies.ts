import { formatMoney, MAX_PREFERRED_DELIVERY_DAYS, RETURN_WINDOW_DAYS, shippingMethods, shippingRates, TERMS_VERSION, type Policy, type PolicyLinks, type PolicyName, type PolicySection } from '@shop/contracts';

/**
 * The store's policies as data: the pages at /policies/<name> and the get_store_policies tool
 * both render these, so a shopper and the assistant read the same words. Prices and delivery
 * times come from the same constants checkout uses, so the text cannot drift from what is charged.
 */
export interface PolicyDocument {
  name: PolicyName;
  title: string;
  /** The effective date; the terms' version is the one a shopper accepts at checkout (TERMS_VERSION). */
  version: string;
  sections: PolicySection[];
}

/** When the privacy, returns and shipping policies below took effect. */
const POLICIES_EFFECTIVE = '2026-11-01';
const SUPPORT = 'support@shop.example';

const rates = shippingRates;
const money = (cents: number) => formatMoney(cents);
const standard = shippingMethods.standard;
const express = shippingMethods.express;
const days = (m: { minBusinessDays: number; maxBusinessDays: number }) => `${m.minBusinessDays}–${m.maxBusinessDays} business days`;

// The same number orders enforces on refund_order (contracts), so the words and the rule cannot differ.
export { RETURN_WINDOW_DAYS };
const REFUND_DAYS = '5–10 business days';

const terms: PolicyDocument = {
  name: 'terms',
  title: 'Terms of service',
  version: TERMS_VERSION,
  sections: [
    {
      heading: 'Who we are and what these terms cover',
      text: 'Shop is an online store selling physical goods: clothing, shoes and other everyday products. These terms apply to every order placed with us, whether through an assistant such as ChatGPT or on our secure checkout page. By accepting them at checkout you agree to them for that order.',
    },
    {
      heading: 'What we sell',
      text: 'We sell physical goods only. We do not sell digital goods, subscriptions, gift cards or credits, financial products, alcohol, tobacco or nicotine products, adult content, prescription medicines, weapons or explosives, or any other regulated or prohibited item.',
    },
    {
      heading: 'Prices, tax and currency',
      text: `Prices are in US dollars and include no tax. Sales tax of 8.75 % is added to the price of the goods after any discount; shipping is not taxed. The price you pay is the one shown when you confirm your order. If a price or stock level changes before you confirm, we tell you and show the new total, and nothing is charged until you confirm again.`,
    },
    {
      heading: 'Coupons',
      text: 'One coupon can be used per order. A coupon applies only while its conditions (such as a minimum order value or an end date) are met; if a change to your cart means it no longer applies, we remove it and tell you before you pay.',
    },
    {
      heading: 'Placing an order and payment',
      text: 'Your order is placed when you confirm it, and your payment method is charged the order total at that moment. Orders are confirmed once the payment succeeds and the items are reserved for you; if either fails, the order is not placed and any charge is reversed. We never see or store your full card number, security code or expiry date: payments are handled by our payment processor.',
    },
    {
      heading: 'Cancelling an order',
      text: `You can cancel an order at any time before it ships, and we refund the full amount to your original payment method within ${REFUND_DAYS}. Once an order has shipped it can no longer be cancelled, but you can return it under our returns and refunds policy.`,
    },
    {
      heading: 'Shipping, returns and privacy',
      text: 'Delivery options, prices and times are described in our shipping policy, returns and refunds in our returns and refunds policy, and how we handle your information in our privacy policy. Those policies form part of these terms.',
    },
    {
      heading: 'Our responsibility',
      text: 'We describe our products as accurately as we can. If an item arrives damaged, defective or different from what you ordered, we will replace it or refund it in full, including shipping. Nothing in these terms limits any rights you have under the consumer laws that apply to you.',
    },
    {
      heading: 'Changes to these terms',
      text: 'We may update these terms. Each version is dated; the version you accepted at checkout is the one that applies to your order, and we ask you to accept new terms before your next order.',
    },
    {
      heading: 'Contact',
      text: `Questions about an order or these terms: ${SUPPORT}. Please include your order number (ORD-…).`,
    },
  ],
};

const privacy: PolicyDocument = {
  name: 'privacy',
  title: 'Privacy policy',
  version: POLICIES_EFFECTIVE,
  sections: [
    {
      heading: 'What we collect',
      text: 'To run your cart and deliver your order we keep: the anonymised conversation and user identifiers the assistant sends us (never your name or account details with the assistant), the contents of your cart, the shipping and billing addresses and phone number you give us, your delivery preferences and instructions, and your order history. For payments we keep only the payment method reference, its brand and its last four digits.',
    },
    {
      heading: 'What we never collect',
      text: 'We never ask for, accept or store a full card number, security code (CVC) or expiry date. If a message to us contains card details, we refuse it and do not record it.',
    },
    {
      heading: 'How we use your information',
      text: 'We use it only to show you your cart, take payment, deliver your order, handle cancellations, returns and refunds, prevent fraud and abuse, and meet our legal obligations such as keeping tax records. We do not sell your information and do not use it for advertising.',
    },
    {
      heading: 'Saved payment methods',
      text: 'When you ask us to save a payment method for next time, we keep its reference, brand and last four digits linked to your anonymised user identifier, so you can choose it in later conversations. We only save a method when the assistant identifies you as a signed-in user; otherwise nothing is saved. To remove a saved method, contact us.',
    },
    {
      heading: 'Who we share it with',
      text: 'Our payment processor receives what it needs to charge your payment method, and our delivery carriers receive your name, shipping address, phone number and delivery instructions. They may use it only to provide their service to us.',
    },
    {
      heading: 'How long we keep it',
      text: 'Carts that are not changed for a day expire and are no longer used. Orders and payment records are kept for as long as the law requires us to keep sales records, and no longer than needed.',
    },
    {
      heading: 'Your choices and rights',
      text: `You can ask us for a copy of the information we hold about you, to correct it, or to delete what we are not required to keep, by writing to ${SUPPORT}. We answer within 30 days.`,
    },
  ],
};

const returns: PolicyDocument = {
  name: 'returns',
  title: 'Returns and refunds',
  version: POLICIES_EFFECTIVE,
  sections: [
    {
      heading: `${RETURN_WINDOW_DAYS}-day returns`,
      text: `You can return any item within ${RETURN_WINDOW_DAYS} days of delivery, for any reason, as long as it is unworn, unwashed and unused, with its original tags and packaging.`,
    },
    {
      heading: 'How to return an item',
      text: `Write to ${SUPPORT} with your order number (ORD-…) and the items you want to return. We reply with a return label and instructions. Pack the items securely and drop the parcel off with the carrier within ${RETURN_WINDOW_DAYS} days of delivery.`,
    },
    {
      heading: 'Refunds',
      text: `Once we receive and check your return, we refund the price of the returned items and their share of the tax to your original payment method. Refunds reach your account within ${REFUND_DAYS}, depending on your bank. We refund to the original payment method only; we do not issue cash or store credit instead.`,
    },
    {
      heading: 'Shipping costs on returns',
      text: 'Return shipping is free when an item is damaged, defective or not what you ordered, and in that case we also refund the original shipping charge. For other returns, the cost of the return label is deducted from your refund and the original shipping charge is not refunded.',
    },
    {
      heading: 'Cancelled orders',
      text: `An order cancelled before it ships is refunded in full, shipping included, to your original payment method within ${REFUND_DAYS}. If your payment did not go through, nothing was charged and there is nothing to refund.`,
    },
    {
      heading: 'Items we cannot take back',
      text: 'Items that have been worn, washed, used or damaged after delivery, or returned without their tags, cannot be refunded; we send them back to you. This does not affect items that arrived faulty.',
    },
    {
      heading: 'Exchanges',
      text: 'To exchange an item for another size or colour, return it for a refund and place a new order for the item you want, so you get it as quickly as possible.',
    },
  ],
};

const shipping: PolicyDocument = {
  name: 'shipping',
  title: 'Shipping policy',
  version: POLICIES_EFFECTIVE,
  sections: [
    {
      heading: 'Shipping methods, prices and delivery times',
      text: `Standard shipping takes ${days(standard)} and costs ${money(rates.standard)}; it is free when your order comes to ${money(rates.freeStandardThreshold)} or more after discounts (before tax). Express shipping takes ${days(express)} and costs ${money(rates.express)}. A free-shipping coupon makes the method you choose free. The price of each method for your cart is shown at checkout before you pay.`,
    },
    {
      heading: 'How delivery times are counted',
      text: 'Delivery times count business days (Monday to Friday, excluding weekends) from the day you place your order. Your order confirmation shows an estimated delivery window. Carrier delays, such as severe weather, can occasionally make a delivery late.',
    },
    {
      heading: 'Preferred delivery date and instructions',
      text: `At checkout you can choose a preferred delivery date up to ${MAX_PREFERRED_DELIVERY_DAYS} days ahead, no earlier than your shipping method allows, and leave instructions for the carrier (for example, where to leave the parcel). We pass them on to the carrier and do our best to meet them.`,
    },
    {
      heading: 'Tracking your order',
      text: 'When your order ships, it gets a tracking number from the carrier. Ask the assistant for your order status at any time to see where it is.',
    },
    {
      heading: 'Where we ship',
      text: 'We ship physical goods only, to the street address you give at checkout. Please check it carefully: you can change the address until you place your order, and after that by writing to us before the order ships, but we cannot redirect a parcel once it has shipped. Deliveries outside the United States may be subject to import duties and taxes charged by the destination country, which are paid by the recipient.',
    },
    {
      heading: 'Lost or damaged parcels',
      text: `If your parcel has not arrived five business days after the end of its estimated delivery window, or arrives damaged, write to ${SUPPORT} with your order number and we will send a replacement or refund you in full, shipping included.`,
    },
  ],
};

export const storePolicies: readonly PolicyDocument[] = [terms, privacy, returns, shipping];
const byName = new Map(storePolicies.map((p) => [p.name, p]));

export function findPolicy(name: string): PolicyDocument | undefined {
  return byName.get(name as PolicyName);
}

export function policyUrl(publicUrl: string, name: PolicyName): string {
  return `${publicUrl}/policies/${name}`;
}

export function policyLinks(publicUrl: string): PolicyLinks {
  return { terms: policyUrl(publicUrl, 'terms'), privacy: policyUrl(publicUrl, 'privacy'), returns: policyUrl(publicUrl, 'returns'), shipping: policyUrl(publicUrl, 'shipping') };
}

/** Topic words that name one policy outright ("refunds" is the returns policy). */
const namedTopics: Record<string, PolicyName> = {
  terms: 'terms',
  privacy: 'privacy',
  returns: 'returns',
  refunds: 'returns',
  shipping: 'shipping',
};

// Words that say nothing about which section is meant.
const STOP_WORDS = new Set(
  (
    'a about all am an and any anything are as at be been by can could did do does for from get has have how i if in is it know long many me much my need no not ' +
    'of on or our please policy shop should so some something store take tell than that the then there this to us want was we what when where which who why will with would you your'
  ).split(' '),
);
/** A free-text topic gets the few sections that answer it best; a policy's name gets the whole policy. */
const MAX_MATCHED_SECTIONS = 3;

function words(text: string): string[] {
  return text
    .toLowerCase()
    .normalize('NFKD')
    .replace(/[^a-z0-9\s-]/g, ' ')
    .split(/[\s-]+/)
    .filter((w) => w.length > 1 && !STOP_WORDS.has(w));
}

/** "returns" matches "return", "shipped" matches "shipping", "cancelling" "cancel": compare on a crude common stem. */
function stem(word: string): string {
  return word.replace(/(ing|ed|es|s)$/, '').replace(/([b-df-hj-np-tv-z])\1$/, '$1');
}

const stems = (text: string) => new Set(words(text).map(stem));
/** Every section's stemmed words, worked out once. */
const sectionIndex = storePolicies.flatMap((policy) =>
  policy.sections.map((section) => ({ policy, section, title: stems(policy.title), heading: stems(section.heading), body: stems(section.text) })),
);

export interface PolicyMatch {
  policies: Array<{ policy: PolicyDocument; sections: PolicySection[] }>;
  /** False when a free-text topic matched no section, so every policy is given whole. */
  matched: boolean;
}

/**
 * The policies a topic asks for: a policy's name (or "refunds") gives that whole policy; other
 * text gives the (at most three) sections sharing most of its words, best first. No topic, or
 * text that matches nothing, gives every policy whole.
 */
export function matchPolicies(topic: string | undefined): PolicyMatch {
  const whole = (list: readonly PolicyDocument[]) => list.map((policy) => ({ policy, sections: policy.sections }));
  const key = topic?.trim().toLowerCase();
  if (!key) return { policies: whole(storePolicies), matched: true };
  const named = namedTopics[key];
  if (named) return { policies: whole([byName.get(named)!]), matched: true };
  const wanted = stems(key);
  if (wanted.size === 0) return { policies: whole(storePolicies), matched: false };
  const scored = sectionIndex.map(({ policy, section, title, heading, body }) => {
    let covered = 0;
    let hits = 0;
    for (const w of wanted) {
      if (heading.has(w) || body.has(w)) covered += 1;
      hits += (heading.has(w) ? 2 : 0) + (body.has(w) ? 1 : 0) + (title.has(w) ? 1 : 0);
    }
    return { policy, section, covered, hits };
  });
  // Covering more of the topic's words beats repeating one of them; then a heading hit beats a body hit.
  const bestCovered = Math.max(...scored.map((s) => s.covered));
  if (bestCovered === 0) return { policies: whole(storePolicies), matched: false };
  const kept = scored
    .filter((s) => s.covered === bestCovered)
    .sort((a, b) => b.hits - a.hits)
    .slice(0, MAX_MATCHED_SECTIONS);
  const policies: PolicyMatch['policies'] = [];
  for (const s of kept) {
    let entry = policies.find((p) => p.policy === s.policy);
    if (!entry) policies.push((entry = { policy: s.policy, sections: [] }));
    entry.sections.push(s.section);
  }
  return { policies, matched: true };
}

export function policyView(publicUrl: string, policy: PolicyDocument, sections: PolicySection[] = policy.sections): Policy {
  return { name: policy.name, title: policy.title, version: policy.version, url: policyUrl(publicUrl, policy.name), sections };
}

const escapes: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (c) => escapes[c]!);
}

const PAGE_STYLE =
  'body{font:16px/1.55 system-ui,-apple-system,Segoe UI,Roboto,sans-serif;max-width:44rem;margin:2rem auto;padding:0 1rem;color:#1f2328}h1{font-size:1.7rem;margin-bottom:.2rem}h2{font-size:1.15rem;margin-top:1.6rem}nav a{margin-right:1rem}.version{color:#59636e;margin-top:0}';

function page(title: string, body: string, publicUrl: string): string {
  const nav = storePolicies.map((p) => `<a href="${escapeHtml(policyUrl(publicUrl, p.name))}">${escapeHtml(p.title)}</a>`).join('');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)} · Shop</title>
<style>${PAGE_STYLE}</style>
</head>
<body>
<nav>${nav}</nav>
${body}
</body>
</html>
`;
}

/** One policy as a plain page: every string escaped, no script. */
export function policyPage(policy: PolicyDocument, publicUrl: string): string {
  const sections = policy.sections.map((s) => `<section>\n<h2>${escapeHtml(s.heading)}</h2>\n<p>${escapeHtml(s.text)}</p>\n</section>`).join('\n');
  return page(policy.title, `<main>\n<h1>${escapeHtml(policy.title)}</h1>\n<p class="version">Version ${escapeHtml(policy.version)}</p>\n${sections}\n</main>`, publicUrl);
}

/** The list of policies at /policies. */
export function policyIndexPage(publicUrl: string): string {
  const items = storePolicies.map((p) => `<li><a href="${escapeHtml(policyUrl(publicUrl, p.name))}">${escapeHtml(p.title)}</a> (version ${escapeHtml(p.version)})</li>`).join('\n');
  return page('Store policies', `<main>\n<h1>Store policies</h1>\n<ul>\n${items}\n</ul>\n</main>`, publicUrl);
}
