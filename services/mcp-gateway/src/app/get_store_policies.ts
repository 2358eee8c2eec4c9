import { PolicyResult, toolArgs } from '@shop/contracts';
import { matchPolicies } from '../domain/policies.js';
import { presentPolicies } from '../domain/present.js';
import { defineTool, modelToolMeta, readOnly } from './shared.js';

export const getStorePolicies = defineTool({
  name: 'get_store_policies',
  title: 'Store policies',
  description:
    "Use this when the shopper asks about the store's policies: returns and refunds, shipping methods, prices and delivery times, cancellations, privacy and their data, saved payment methods, or the terms of service. Returns the policy text (or the sections matching the topic) in the store's own words, with a link to each policy page; answer from it rather than from general knowledge.",
  args: toolArgs.get_store_policies,
  output: PolicyResult,
  annotations: readOnly,
  meta: modelToolMeta('Reading the store policies…', 'Store policies ready'),
  run: async (a, call) => ({ presented: presentPolicies(matchPolicies(a.topic), a.topic, call.deps.publicUrl) }),
});
