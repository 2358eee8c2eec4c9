/** What the classifier reads of a feed item. */
export interface ClassifiableItem {
  name: string;
  category: string[];
  tags: string[];
  description: string;
}

interface Rule {
  reason: string;
  /** Whole words or phrases, matched on word boundaries in lower-cased text. */
  terms: string[];
}

// Physical goods only (see ARCHITECTURE.md "Commerce restrictions"). Terms are chosen so that
// legitimate goods (a chef's knife, a massage gun, a wine glass) are not caught: the rule looks for
// what makes an item prohibited, not for a product family.
const rules: Rule[] = [
  { reason: 'Digital goods are not sold here (downloads, e-books, software licences, subscriptions).', terms: ['ebook', 'e-book', 'digital download', 'software licence', 'software license', 'license key', 'licence key', 'activation key', 'subscription', 'streaming plan', 'in-game currency'] },
  { reason: 'Gift cards and stored-value credits are not sold here.', terms: ['gift card', 'gift certificate', 'prepaid card', 'store credit'] },
  { reason: 'Financial products and crypto-assets are not sold here.', terms: ['crypto', 'cryptocurrency', 'bitcoin', 'ethereum', 'token sale', 'investment plan', 'payday loan', 'loan', 'insurance policy', 'trading signals'] },
  { reason: 'Alcoholic beverages are not sold here.', terms: ['alcohol', 'alcoholic', 'wine bottle', 'red wine', 'white wine', 'whisky', 'whiskey', 'vodka', 'beer', 'rum', 'gin', 'tequila', 'champagne', 'liquor'] },
  { reason: 'Tobacco and nicotine products are not sold here.', terms: ['tobacco', 'cigarette', 'cigarettes', 'cigar', 'cigars', 'nicotine', 'vape', 'vaping', 'e-cigarette', 'e-liquid', 'snus'] },
  { reason: 'Weapons, ammunition and explosives are not sold here.', terms: ['weapon', 'weapons', 'firearm', 'handgun', 'rifle', 'pistol', 'ammunition', 'ammo', 'explosive', 'explosives', 'switchblade', 'combat knife', 'self-defense knife', 'brass knuckles', 'taser', 'pepper spray'] },
  { reason: 'Prescription and regulated medicines are not sold here.', terms: ['prescription', 'rx only', 'opioid', 'controlled substance'] },
  { reason: 'Illegal or regulated substances are not sold here.', terms: ['cannabis', 'thc', 'kratom', 'psilocybin'] },
  { reason: 'Adult content is not sold here.', terms: ['adult content', 'adult only', 'xxx'] },
  { reason: 'Gambling products are not sold here.', terms: ['lottery ticket', 'casino credits', 'betting'] },
  { reason: 'Surveillance devices are not sold here.', terms: ['spy camera', 'hidden camera', 'gps tracker for spying'] },
  { reason: 'Counterfeit goods are not sold here.', terms: ['replica designer', 'counterfeit'] },
];

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const compiled = rules.map((r) => ({
  reason: r.reason,
  // Word boundaries that also treat "-" as part of a word, so "e-book" and "ebook" both match whole.
  pattern: new RegExp(`(?<![a-z0-9-])(?:${r.terms.map(escape).join('|')})(?![a-z0-9-])`, 'i'),
}));

/** Returns why an item may not be sold, or null when it may. Category, tags, name and description all count. */
export function classifyProhibited(item: ClassifiableItem): string | null {
  const text = [item.category.join(' '), item.tags.join(' '), item.name, item.description].join(' \n ').toLowerCase();
  for (const rule of compiled) if (rule.pattern.test(text)) return rule.reason;
  return null;
}
