import { describe, expect, it } from 'vitest';
import { PolicyResult, TERMS_VERSION } from '@shop/contracts';
import { matchPolicies, policyIndexPage, policyLinks, policyPage, policyView, storePolicies, type PolicyDocument } from '../src/domain/policies.js';

const PUBLIC = 'https://shop.example';
const text = (name: string) => storePolicies.find((p) => p.name === name)!.sections.map((s) => `${s.heading}. ${s.text}`).join('\n');

describe('store policies', () => {
  it('has the four policies, each versioned with headed sections; the terms carry the checkout terms version', () => {
    expect(storePolicies.map((p) => p.name)).toEqual(['terms', 'privacy', 'returns', 'shipping']);
    for (const p of storePolicies) {
      expect(p.version).toMatch(/^\d{4}-\d{2}-\d{2}$/);
      expect(p.sections.length).toBeGreaterThanOrEqual(5);
      for (const s of p.sections) {
        expect(s.heading.trim().length, p.name).toBeGreaterThan(3);
        expect(s.text.trim().length, `${p.name}: ${s.heading}`).toBeGreaterThan(60);
      }
    }
    expect(storePolicies[0].version).toBe(TERMS_VERSION);
  });

  it('states the shipping prices, free-shipping threshold and delivery times checkout charges', () => {
    const shipping = text('shipping');
    expect(shipping).toContain('Standard shipping takes 5–7 business days and costs $5.99; it is free when your order comes to $50.00 or more after discounts');
    expect(shipping).toContain('Express shipping takes 2–3 business days and costs $12.99');
    expect(shipping).toMatch(/physical goods only/);
  });

  it('states 30-day returns of unworn items and refunds to the original payment method within 5–10 business days', () => {
    const returns = text('returns');
    expect(returns).toContain('within 30 days of delivery');
    expect(returns).toMatch(/unworn/);
    expect(returns).toContain('to your original payment method');
    expect(returns).toContain('within 5–10 business days');
    expect(text('terms')).toMatch(/physical goods only/);
    expect(text('privacy')).toMatch(/never ask for, accept or store a full card number/);
  });

  it('renders each policy as a plain page: escaped text, absolute links, no script', () => {
    const hostile: PolicyDocument = { name: 'terms', title: 'Terms & <b>conditions</b>', version: '2026-11-01', sections: [{ heading: '<script>alert(1)</script>', text: 'Use "quotes" & \'apostrophes\' <img src=x onerror=alert(1)>' }] };
    const html = policyPage(hostile, PUBLIC);
    expect(html).not.toMatch(/<script|<img|<b>/i);
    expect(html).toContain('<h2>&lt;script&gt;alert(1)&lt;/script&gt;</h2>');
    expect(html).toContain('<p>Use &quot;quotes&quot; &amp; &#39;apostrophes&#39; &lt;img src=x onerror=alert(1)&gt;</p>');
    expect(html).toContain('<h1>Terms &amp; &lt;b&gt;conditions&lt;/b&gt;</h1>');

    for (const p of storePolicies) {
      const page = policyPage(p, PUBLIC);
      expect(page).not.toMatch(/<script/i);
      expect(page).toContain(`<p class="version">Version ${p.version}</p>`);
      expect(page.match(/<h2>/g)).toHaveLength(p.sections.length);
      expect(page).toContain(`<a href="${PUBLIC}/policies/returns">Returns and refunds</a>`);
    }
    expect(policyIndexPage(PUBLIC)).toContain(`<a href="${PUBLIC}/policies/privacy">Privacy policy</a> (version`);
  });

  it('links every policy page from the public URL', () => {
    expect(policyLinks(PUBLIC)).toEqual({
      terms: `${PUBLIC}/policies/terms`,
      privacy: `${PUBLIC}/policies/privacy`,
      returns: `${PUBLIC}/policies/returns`,
      shipping: `${PUBLIC}/policies/shipping`,
    });
  });
});

describe('matching a topic', () => {
  const names = (topic?: string) => matchPolicies(topic).policies.map((p) => p.policy.name);
  const headings = (topic: string) => matchPolicies(topic).policies.flatMap((p) => p.sections.map((s) => s.heading));

  it('gives every policy whole without a topic, and one policy whole for its name (refunds is returns)', () => {
    expect(names()).toEqual(['terms', 'privacy', 'returns', 'shipping']);
    expect(names('refunds')).toEqual(['returns']);
    expect(names(' Returns ')).toEqual(['returns']);
    expect(names('terms')).toEqual(['terms']);
    expect(names('privacy')).toEqual(['privacy']);
    const shipping = matchPolicies('shipping').policies[0];
    expect(shipping.sections).toEqual(shipping.policy.sections);
  });

  it('gives the sections sharing the words of a free-text topic, best first', () => {
    expect(headings('express delivery')[0]).toBe('Shipping methods, prices and delivery times');
    expect(names('how do I return something')[0]).toBe('returns');
    expect(headings('how do I return something').slice(0, 2)).toContain('How to return an item');
    expect(headings('saved payment method')).toContain('Saved payment methods');
    expect(headings('cancel my order')[0]).toBe('Cancelling an order');
    for (const p of matchPolicies('exchange a size').policies) expect(p.sections.length).toBeLessThan(p.policy.sections.length);
  });

  it('gives every policy, unmatched, when nothing matches', () => {
    expect(matchPolicies('zebra xylophone')).toMatchObject({ matched: false });
    expect(names('zebra xylophone')).toEqual(['terms', 'privacy', 'returns', 'shipping']);
    expect(matchPolicies('the of and')).toMatchObject({ matched: false });
  });

  it('produces views that match the tool output schema', () => {
    const view = policyView(PUBLIC, storePolicies[2]);
    expect(PolicyResult.parse({ kind: 'policy', topic: null, policies: [view] }).policies[0]).toMatchObject({ name: 'returns', url: `${PUBLIC}/policies/returns` });
  });
});
