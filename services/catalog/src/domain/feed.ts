import { productId, seededRandom, variantId } from './ids.js';

/** One category of the store's hierarchy (root first). */
export interface CategoryDef {
  slug: string;
  name: string;
  parentSlug: string | null;
}

export interface FeedVariant {
  id: string;
  sku: string;
  size: string | null;
  color: string | null;
  price: number;
  stock: number;
}

/** An item as the (invented) supplier feed delivers it, before the loader classifies it. */
export interface FeedItem {
  id: string;
  sku: string;
  name: string;
  brand: string;
  /** Category names from the root, e.g. ["Shoes", "Running"]. */
  category: string[];
  categorySlug: string;
  description: string;
  tags: string[];
  /** Tenths of a star: 43 = 4.3. Kept integral so nothing is a float until it is shown. */
  ratingTenths: number;
  reviewCount: number;
  /** Days before SEED_EPOCH the product was added (for the "newest" sort). */
  ageDays: number;
  variants: FeedVariant[];
}

export const SEED_EPOCH = Date.UTC(2025, 5, 1);

const SHOE_SIZES = ['7', '8', '9', '10', '11', '12', '13'];
const APPAREL_SIZES = ['XS', 'S', 'M', 'L', 'XL'];

type VariantKind = 'shoe' | 'apparel' | 'color' | 'none' | { sizes: string[] };

interface LeafDef {
  slug: string;
  name: string;
  parent: string;
  types: string[];
  models: string[];
  brands: string[];
  /** Price range in cents. */
  price: [number, number];
  variants: VariantKind;
  colors?: string[];
  tags: string[];
  use: string;
  features: string[];
  count: number;
}

const roots: Array<{ slug: string; name: string }> = [
  { slug: 'shoes', name: 'Shoes' },
  { slug: 'apparel', name: 'Apparel' },
  { slug: 'electronics', name: 'Electronics' },
  { slug: 'home', name: 'Home' },
  { slug: 'furniture', name: 'Furniture' },
  { slug: 'outdoor', name: 'Outdoor' },
  { slug: 'beauty', name: 'Beauty' },
  { slug: 'toys', name: 'Toys' },
  { slug: 'sports', name: 'Sports & Fitness' },
];

const leaves: LeafDef[] = [
  { slug: 'running-shoes', name: 'Running', parent: 'shoes', types: ['Road Running Shoe', 'Cushioned Running Shoe', 'Stability Running Shoe', 'Racing Flat'], models: ['Velocity', 'Aerotrack', 'Swiftline', 'Cadence', 'Horizon', 'Featherlite', 'Tempo'], brands: ['Stridewell', 'Fleetfoot', 'Northpace'], price: [5_999, 17_999], variants: 'shoe', colors: ['Black', 'Blue', 'White', 'Grey', 'Red'], tags: ['running', 'shoes', 'sneakers', 'road'], use: 'daily miles and race day', features: ['A responsive foam midsole returns energy with every stride.', 'The engineered mesh upper breathes on hot runs.', 'A durable rubber outsole grips wet pavement.'], count: 24 },
  { slug: 'trail-shoes', name: 'Trail', parent: 'shoes', types: ['Trail Shoe', 'Trail Runner', 'All-Terrain Trail Shoe'], models: ['Ridgeback', 'Scree', 'Switchback', 'Talus', 'Boulder'], brands: ['Stridewell', 'Summitcraft', 'Northpace'], price: [7_999, 16_999], variants: 'shoe', colors: ['Forest Green', 'Black', 'Orange', 'Grey'], tags: ['trail', 'running', 'shoes', 'off-road'], use: 'rocky trails and muddy climbs', features: ['Deep lugs bite into loose ground.', 'A rock plate protects against sharp stones.', 'A gusseted tongue keeps debris out.'], count: 10 },
  { slug: 'casual-shoes', name: 'Casual', parent: 'shoes', types: ['Canvas Sneaker', 'Leather Sneaker', 'Slip-On Shoe', 'Court Sneaker'], models: ['Harbor', 'Metro', 'Lowline', 'Weekend', 'Classic'], brands: ['Kestrel & Co', 'Urbanfield', 'Fleetfoot'], price: [3_999, 12_999], variants: 'shoe', colors: ['White', 'Black', 'Navy', 'Tan'], tags: ['sneakers', 'shoes', 'casual', 'everyday'], use: 'everyday wear', features: ['A cushioned insole keeps you comfortable all day.', 'Stitched toe caps stand up to daily wear.'], count: 12 },
  { slug: 'hiking-boots', name: 'Hiking Boots', parent: 'shoes', types: ['Hiking Boot', 'Waterproof Hiking Boot', 'Mid Hiker'], models: ['Summit', 'Alpine', 'Timberline', 'Granite'], brands: ['Summitcraft', 'Ironpeak'], price: [9_999, 24_999], variants: 'shoe', colors: ['Brown', 'Black', 'Grey'], tags: ['hiking', 'boots', 'waterproof', 'shoes'], use: 'long days on the trail', features: ['A waterproof membrane keeps feet dry.', 'Ankle support steadies you on uneven ground.'], count: 9 },
  { slug: 'tops', name: 'Tops', parent: 'apparel', types: ['Running Tee', 'Merino T-Shirt', 'Pullover Hoodie', 'Long Sleeve Top'], models: ['Everyday', 'Breeze', 'Core', 'Drift', 'Lumen'], brands: ['Threadline', 'Northpace', 'Urbanfield'], price: [1_999, 8_999], variants: 'apparel', colors: ['Black', 'White', 'Heather Grey', 'Navy', 'Sage'], tags: ['apparel', 'clothing', 'top', 'shirt'], use: 'training and lounging', features: ['Soft, breathable fabric wicks sweat.', 'Flatlock seams prevent chafing.'], count: 16 },
  { slug: 'jackets', name: 'Jackets', parent: 'apparel', types: ['Rain Jacket', 'Puffer Jacket', 'Fleece Jacket', 'Windbreaker'], models: ['Stormline', 'Cirrus', 'Polar', 'Gust'], brands: ['Ironpeak', 'Threadline', 'Summitcraft'], price: [4_999, 29_999], variants: 'apparel', colors: ['Black', 'Olive', 'Red', 'Navy'], tags: ['apparel', 'jacket', 'outerwear', 'clothing'], use: 'cold and wet weather', features: ['Taped seams keep the rain out.', 'Zipped hand pockets keep essentials safe.'], count: 12 },
  { slug: 'pants', name: 'Pants & Shorts', parent: 'apparel', types: ['Jogger', 'Chino Pant', 'Running Short', 'Hiking Pant'], models: ['Flex', 'Urban', 'Stride', 'Trek'], brands: ['Threadline', 'Urbanfield', 'Northpace'], price: [2_499, 11_999], variants: 'apparel', colors: ['Black', 'Khaki', 'Charcoal', 'Navy'], tags: ['apparel', 'pants', 'shorts', 'clothing'], use: 'work, travel and weekends', features: ['Four-way stretch moves with you.', 'A gusseted crotch adds freedom of movement.'], count: 12 },
  { slug: 'headphones', name: 'Headphones', parent: 'electronics', types: ['Wireless Headphones', 'Noise Cancelling Headphones', 'True Wireless Earbuds', 'Sport Earbuds'], models: ['Sonance', 'Quietwave', 'Pulse', 'Aria', 'Echo'], brands: ['Voltaic', 'Auralis', 'Brightwire'], price: [2_999, 39_999], variants: 'color', colors: ['Black', 'Silver', 'Midnight Blue'], tags: ['electronics', 'audio', 'headphones', 'bluetooth', 'wireless'], use: 'music, calls and commutes', features: ['Up to 30 hours of battery life.', 'Active noise cancellation hushes the commute.', 'Multipoint Bluetooth pairs with two devices.'], count: 14 },
  { slug: 'speakers', name: 'Speakers', parent: 'electronics', types: ['Bluetooth Speaker', 'Smart Speaker', 'Soundbar', 'Bookshelf Speakers'], models: ['Boom', 'Resonant', 'Vibe', 'Studio'], brands: ['Voltaic', 'Auralis'], price: [3_999, 59_999], variants: 'color', colors: ['Black', 'White', 'Slate'], tags: ['electronics', 'audio', 'speaker', 'bluetooth'], use: 'filling a room with sound', features: ['Room-filling sound with deep bass.', 'Splash resistant for the kitchen or the patio.'], count: 10 },
  { slug: 'tv-computers', name: 'TVs & Computers', parent: 'electronics', types: ['4K OLED TV', 'QLED Smart TV', 'Ultrabook Laptop', 'Gaming Monitor'], models: ['Vista', 'Clarity', 'Nova', 'Apex'], brands: ['Brightwire', 'Lumatek'], price: [29_999, 199_900], variants: 'none', tags: ['electronics', 'screen', 'display'], use: 'movies, games and work', features: ['A vivid, high-contrast panel.', 'Thin bezels and a sturdy stand.'], count: 10 },
  { slug: 'accessories', name: 'Accessories', parent: 'electronics', types: ['USB-C Charger', 'Power Bank', 'Phone Case', 'Wireless Charging Pad', 'Fitness Tracker'], models: ['Volt', 'Charge', 'Guard', 'Flux'], brands: ['Brightwire', 'Voltaic', 'Lumatek'], price: [999, 14_999], variants: 'color', colors: ['Black', 'White', 'Blue'], tags: ['electronics', 'accessories', 'charging'], use: 'keeping your devices going', features: ['Fast charging over USB-C.', 'A compact design that fits any bag.'], count: 14 },
  { slug: 'kitchen', name: 'Kitchen', parent: 'home', types: ['French Press', 'Cast Iron Skillet', "Chef's Knife", 'Crystal Wine Glass Set', 'Pour-Over Kettle', 'Stoneware Bowl Set'], models: ['Hearth', 'Copperline', 'Artisan', 'Maple'], brands: ['Hearthstone Home', 'Copper & Clay', 'Oakhaven'], price: [1_499, 19_999], variants: 'none', tags: ['home', 'kitchen', 'cookware', 'dining'], use: 'cooking and serving at home', features: ['Built to last for years of daily use.', 'Dishwasher safe for easy clean-up.', 'Balanced and comfortable in the hand.'], count: 18 },
  { slug: 'decor', name: 'Decor', parent: 'home', types: ['Table Lamp', 'Throw Pillow', 'Wall Clock', 'Ceramic Vase', 'Scented Candle'], models: ['Lumen', 'Nordic', 'Terra', 'Linen'], brands: ['Oakhaven', 'Hearthstone Home', 'Willow Lane'], price: [1_299, 14_999], variants: 'color', colors: ['Ivory', 'Charcoal', 'Terracotta', 'Sage'], tags: ['home', 'decor', 'living'], use: 'a warmer, calmer room', features: ['Hand-finished details.', 'Pairs with any interior style.'], count: 14 },
  { slug: 'bedding', name: 'Bedding', parent: 'home', types: ['Duvet Cover', 'Percale Sheet Set', 'Down Alternative Pillow', 'Weighted Blanket'], models: ['Cloud', 'Serene', 'Dreamweave'], brands: ['Willow Lane', 'Oakhaven'], price: [2_999, 24_999], variants: { sizes: ['Twin', 'Queen', 'King'] }, colors: ['White', 'Grey', 'Blush'], tags: ['home', 'bedding', 'bedroom', 'sleep'], use: 'a better night of sleep', features: ['Long-staple cotton softens with every wash.', 'Breathable for hot sleepers.'], count: 10 },
  { slug: 'living-room', name: 'Living Room', parent: 'furniture', types: ['Sectional Sofa', 'Velvet Armchair', 'Oak Coffee Table', 'Media Console'], models: ['Haven', 'Monroe', 'Oslo', 'Brooklyn'], brands: ['Oakhaven', 'Crestwood Furniture'], price: [19_999, 199_900], variants: 'color', colors: ['Oatmeal', 'Charcoal', 'Forest Green'], tags: ['furniture', 'living room', 'sofa', 'home'], use: 'gathering with family and friends', features: ['A solid hardwood frame.', 'Deep seats with high-resilience foam.'], count: 12 },
  { slug: 'office', name: 'Office', parent: 'furniture', types: ['Ergonomic Office Chair', 'Standing Desk', 'Bookshelf', 'Filing Cabinet'], models: ['Focus', 'Ascend', 'Ledger', 'Atlas'], brands: ['Crestwood Furniture', 'Workwell'], price: [9_999, 89_999], variants: 'color', colors: ['Black', 'White', 'Walnut'], tags: ['furniture', 'office', 'desk', 'work from home'], use: 'long days at the desk', features: ['Adjustable to fit your posture.', 'Tool-free assembly in minutes.'], count: 12 },
  { slug: 'camping', name: 'Camping', parent: 'outdoor', types: ['2-Person Tent', 'Sleeping Bag', 'Camping Stove', 'Rechargeable Headlamp', 'Insulated Water Bottle'], models: ['Basecamp', 'Trailhead', 'Evergreen', 'Ridge'], brands: ['Summitcraft', 'Ironpeak', 'Wildgrove'], price: [1_499, 49_999], variants: 'color', colors: ['Green', 'Orange', 'Grey'], tags: ['outdoor', 'camping', 'hiking', 'gear'], use: 'nights under the stars', features: ['Packs small and light.', 'Sets up in under five minutes.'], count: 14 },
  { slug: 'garden', name: 'Garden', parent: 'outdoor', types: ['Expandable Garden Hose', 'Ceramic Planter', 'Pruning Shears', 'Raised Garden Bed'], models: ['Bloom', 'Greenleaf', 'Terrace'], brands: ['Wildgrove', 'Willow Lane'], price: [999, 29_999], variants: 'none', tags: ['outdoor', 'garden', 'plants'], use: 'a thriving garden', features: ['Weather resistant materials.', 'Rust-proof hardware.'], count: 10 },
  { slug: 'cycling', name: 'Cycling', parent: 'outdoor', types: ['Bike Helmet', 'Bike Light Set', 'Cycling Gloves'], models: ['Velo', 'Sprint', 'Commuter'], brands: ['Ironpeak', 'Fleetfoot'], price: [1_999, 14_999], variants: { sizes: ['S', 'M', 'L'] }, colors: ['Black', 'White', 'Hi-Vis Yellow'], tags: ['outdoor', 'cycling', 'bike'], use: 'safer rides', features: ['Certified impact protection.', 'Bright and visible in traffic.'], count: 9 },
  { slug: 'skincare', name: 'Skincare', parent: 'beauty', types: ['Hydrating Face Cream', 'Gentle Cleanser', 'Mineral Sunscreen SPF 50', 'Vitamin C Serum', 'Lip Balm'], models: ['Dew', 'Pure', 'Glow', 'Calm'], brands: ['Lumiere Botanics', 'Petal & Pine'], price: [599, 6_999], variants: 'none', tags: ['beauty', 'skincare', 'face'], use: 'a simple daily routine', features: ['Fragrance free and gentle on sensitive skin.', 'Dermatologist tested.'], count: 15 },
  { slug: 'hair', name: 'Hair Care', parent: 'beauty', types: ['Repair Shampoo', 'Conditioner', 'Ionic Hair Dryer', 'Styling Cream'], models: ['Silk', 'Volume', 'Smooth'], brands: ['Petal & Pine', 'Maison Ora'], price: [899, 19_999], variants: 'none', tags: ['beauty', 'hair', 'haircare'], use: 'healthy, shiny hair', features: ['Salon results at home.', 'Sulfate free.'], count: 10 },
  { slug: 'building-toys', name: 'Building & Construction', parent: 'toys', types: ['Building Block Set', 'Magnetic Tile Set', 'Marble Run'], models: ['Castle', 'Rocket', 'City', 'Dino'], brands: ['Brickle', 'Tinker Town'], price: [1_499, 14_999], variants: 'none', tags: ['toys', 'kids', 'building', 'stem'], use: 'hours of creative play', features: ['Compatible with major brick systems.', 'Rounded edges for small hands.'], count: 12 },
  { slug: 'games-puzzles', name: 'Games & Puzzles', parent: 'toys', types: ['1000-Piece Jigsaw Puzzle', 'Family Board Game', 'Card Game', 'Plush Bear'], models: ['Harbor Lights', 'Mountain Lake', 'Galaxy', 'Cozy'], brands: ['Tinker Town', 'Puzzlewood'], price: [999, 5_999], variants: 'none', tags: ['toys', 'games', 'family', 'puzzle'], use: 'family game night', features: ['Thick, snug-fitting pieces.', 'Easy to learn, hard to master.'], count: 12 },
  { slug: 'yoga', name: 'Yoga', parent: 'sports', types: ['Yoga Mat', 'Yoga Block', 'Yoga Strap'], models: ['Balance', 'Lotus', 'Flow'], brands: ['Zenfold', 'Northpace'], price: [999, 12_999], variants: 'color', colors: ['Purple', 'Teal', 'Black', 'Coral'], tags: ['sports', 'fitness', 'yoga'], use: 'a steady practice', features: ['Non-slip surface for every pose.', 'Free of PVC.'], count: 9 },
  { slug: 'strength', name: 'Strength & Recovery', parent: 'sports', types: ['Adjustable Dumbbell Set', 'Cast Iron Kettlebell', 'Massage Gun', 'Foam Roller', 'Resistance Band Set'], models: ['Iron', 'Titan', 'Recover', 'Core'], brands: ['Forgeline', 'Zenfold'], price: [1_999, 59_999], variants: 'none', tags: ['sports', 'fitness', 'strength', 'gym'], use: 'training at home', features: ['Knurled grips that will not slip.', 'Quiet and compact.'], count: 15 },
];

export const categories: CategoryDef[] = [
  ...roots.map((r) => ({ slug: r.slug, name: r.name, parentSlug: null })),
  ...leaves.map((l) => ({ slug: l.slug, name: l.name, parentSlug: l.parent })),
];

const rootName = (slug: string) => roots.find((r) => r.slug === slug)!.name;

const slugify = (s: string) =>
  s
    .toUpperCase()
    .replace(/[^A-Z0-9]+/g, '-')
    .replace(/^-|-$/g, '');

function roundPrice(cents: number, min: number): number {
  // Shop-style prices: whole dollars minus a cent (89.99), never below the range floor.
  const p = Math.round(cents / 100) * 100 - 1;
  return Math.max(min, p);
}

function variantSpecs(kind: VariantKind, colors: string[] | undefined, rand: () => number): Array<{ size: string | null; color: string | null }> {
  const pickColors = (n: number) => (colors ?? []).filter((_, i) => i < n || rand() < 0.3).slice(0, Math.max(1, n));
  if (kind === 'none') return [{ size: null, color: null }];
  if (kind === 'color') return pickColors(1 + Math.floor(rand() * 3)).map((color) => ({ size: null, color }));
  const sizes = kind === 'shoe' ? SHOE_SIZES : kind === 'apparel' ? APPAREL_SIZES : kind.sizes;
  const chosen = pickColors(1 + Math.floor(rand() * 2));
  return chosen.flatMap((color) => sizes.map((size) => ({ size, color })));
}

function buildItem(input: {
  name: string;
  brand: string;
  leaf: LeafDef;
  description: string;
  tags: string[];
  price: number;
  ratingTenths: number;
  reviewCount: number;
  ageDays: number;
  variants: Array<{ size: string | null; color: string | null; stock: number; price?: number }>;
}): FeedItem {
  const sku = `SKU-${slugify(input.name)}`;
  return {
    id: productId(sku),
    sku,
    name: input.name,
    brand: input.brand,
    category: [rootName(input.leaf.parent), input.leaf.name],
    categorySlug: input.leaf.slug,
    description: input.description,
    tags: input.tags,
    ratingTenths: input.ratingTenths,
    reviewCount: input.reviewCount,
    ageDays: input.ageDays,
    variants: input.variants.map((v) => {
      const vsku = [sku, v.color ? slugify(v.color) : null, v.size ? slugify(v.size) : null].filter(Boolean).join('-');
      return { id: variantId(vsku), sku: vsku, size: v.size, color: v.color, price: v.price ?? input.price, stock: v.stock };
    }),
  };
}

const leaf = (slug: string) => leaves.find((l) => l.slug === slug)!;

/** The named products other services' tests rely on (see README.md). */
function fixtures(): FeedItem[] {
  return [
    buildItem({
      name: 'Pegasus 41 Road Running Shoe',
      brand: 'Stridewell',
      leaf: leaf('running-shoes'),
      description: 'The Pegasus 41 by Stridewell is a neutral road running shoe for daily miles. A responsive foam midsole and a breathable mesh upper make it the everyday trainer runners come back to.',
      tags: ['running', 'shoes', 'sneakers', 'road', 'neutral', 'cushioned'],
      price: 8_999,
      ratingTenths: 47,
      reviewCount: 2_314,
      ageDays: 20,
      variants: ['Black', 'Blue'].flatMap((color) => SHOE_SIZES.map((size, i) => ({ size, color, stock: 60 + i * 5 }))),
    }),
    buildItem({
      name: 'Classic Ceramic Coffee Mug',
      brand: 'Hearthstone Home',
      leaf: leaf('kitchen'),
      description: 'A classic 12 oz ceramic coffee mug with a comfortable handle. Microwave and dishwasher safe.',
      tags: ['home', 'kitchen', 'mug', 'coffee', 'cup', 'ceramic'],
      price: 999,
      ratingTenths: 46,
      reviewCount: 812,
      ageDays: 200,
      variants: [{ size: null, color: null, stock: 500 }],
    }),
    buildItem({
      name: 'Trailblazer Limited Trail Shoe',
      brand: 'Summitcraft',
      leaf: leaf('trail-shoes'),
      description: 'A limited run of the Trailblazer trail shoe with deep lugs and a rock plate for technical terrain.',
      tags: ['trail', 'running', 'shoes', 'limited edition'],
      price: 12_999,
      ratingTenths: 45,
      reviewCount: 96,
      ageDays: 5,
      variants: ['8', '9', '10', '11', '12'].map((size) => ({ size, color: 'Forest Green', stock: size === '10' ? 2 : 25 })),
    }),
    buildItem({
      name: 'Glacier Insulated Water Bottle',
      brand: 'Wildgrove',
      leaf: leaf('camping'),
      description: 'A double-walled stainless steel bottle that keeps drinks cold for 24 hours. Currently sold out in every colour.',
      tags: ['outdoor', 'camping', 'hiking', 'bottle', 'hydration'],
      price: 2_999,
      ratingTenths: 44,
      reviewCount: 530,
      ageDays: 90,
      variants: ['Green', 'Grey'].map((color) => ({ size: null, color, stock: 0 })),
    }),
    buildItem({
      name: 'Lip Balm Trio',
      brand: 'Petal & Pine',
      leaf: leaf('skincare'),
      description: 'Three nourishing lip balms with shea butter: unscented, mint and vanilla.',
      tags: ['beauty', 'skincare', 'lips'],
      price: 500,
      ratingTenths: 42,
      reviewCount: 77,
      ageDays: 300,
      variants: [{ size: null, color: null, stock: 140 }],
    }),
    buildItem({
      name: 'Monroe Grand Modular Sectional Sofa',
      brand: 'Crestwood Furniture',
      leaf: leaf('living-room'),
      description: 'A seven-seat modular sectional sofa in performance velvet, with a solid hardwood frame and deep seats.',
      tags: ['furniture', 'living room', 'sofa', 'sectional', 'home'],
      price: 200_000,
      ratingTenths: 48,
      reviewCount: 41,
      ageDays: 60,
      variants: ['Oatmeal', 'Charcoal'].map((color) => ({ size: null, color, stock: 4 })),
    }),
  ];
}

/** One generated product of a leaf category; everything random is seeded by its name. */
function generatedItem(l: LeafDef, name: string, type: string): FeedItem {
  const rand = seededRandom(name);
  const brand = l.brands[Math.floor(rand() * l.brands.length)];
  const price = roundPrice(l.price[0] + rand() * (l.price[1] - l.price[0]), l.price[0]);
  const soldOut = rand() < 0.04;
  const specs = variantSpecs(l.variants, l.colors, rand);
  const variants = specs.map((s) => ({ ...s, stock: soldOut || rand() < 0.12 ? 0 : 3 + Math.floor(rand() * 120) }));
  const features = l.features.filter(() => rand() < 0.7);
  return buildItem({
    name,
    brand,
    leaf: l,
    description: `The ${name} by ${brand} is made for ${l.use}. ${(features.length ? features : l.features.slice(0, 1)).join(' ')}`,
    tags: [...l.tags, ...type.toLowerCase().split(/\s+/).filter((w) => w.length > 3 && !l.tags.includes(w))],
    price,
    ratingTenths: 30 + Math.floor(rand() * 21),
    reviewCount: Math.floor(rand() ** 2 * 4_000),
    ageDays: Math.floor(rand() * 720),
    variants,
  });
}

function generated(): FeedItem[] {
  const items: FeedItem[] = [];
  const taken = new Set(fixtures().map((f) => f.name));
  for (const l of leaves) {
    let made = 0;
    for (let i = 0; made < l.count && i < l.models.length * l.types.length * 2; i++) {
      const model = l.models[i % l.models.length];
      const type = l.types[Math.floor(i / l.models.length) % l.types.length];
      const name = i < l.models.length * l.types.length ? `${model} ${type}` : `${model} ${type} II`;
      if (taken.has(name)) continue;
      taken.add(name);
      items.push(generatedItem(l, name, type));
      made++;
    }
  }
  return items;
}

// Extra words so a large generated catalogue has a realistic spread of distinct names.
const bulkWords = ['Nova', 'Pulse', 'Atlas', 'Zen', 'Echo', 'Flux', 'Terra', 'Orbit', 'Vista', 'Luma', 'Crest', 'Drift', 'Summit', 'Bolt', 'Haven', 'Prism', 'Ember', 'Frost', 'Sierra', 'Coast'];

/** A deterministic catalogue of n products (no fixtures, no prohibited items), for benchmarks and plan tests. */
export function bulkFeed(n: number, offset = 0): FeedItem[] {
  const items: FeedItem[] = [];
  for (let i = offset; i < offset + n; i++) {
    const l = leaves[i % leaves.length];
    const k = Math.floor(i / leaves.length);
    const model = l.models[k % l.models.length];
    const type = l.types[Math.floor(k / l.models.length) % l.types.length];
    const word = bulkWords[Math.floor(k / (l.models.length * l.types.length)) % bulkWords.length];
    items.push(generatedItem(l, `${word} ${model} ${type} ${i}`, type));
  }
  return items;
}

/** Items of prohibited kinds that the supplier feed also contains; the loader must refuse every one. */
function prohibited(): FeedItem[] {
  const base = (name: string, brand: string, category: string[], tags: string[], description: string, price: number): FeedItem => {
    const sku = `SKU-${slugify(name)}`;
    return { id: productId(sku), sku, name, brand, category, categorySlug: '', description, tags, ratingTenths: 40, reviewCount: 10, ageDays: 10, variants: [{ id: variantId(sku), sku, size: null, color: null, price, stock: 100 }] };
  };
  return [
    base('Midnight Library Digital Edition', 'Pageturn Press', ['Books', 'Digital'], ['ebook', 'reading'], 'The bestselling novel as an instant ebook download.', 1_299),
    base('PhotoPro Studio 12-Month Licence', 'Pixelcraft', ['Software'], ['software licence', 'photo editing'], 'A license key for the full photo editing suite, delivered by email.', 9_999),
    base('Chateau Rouge Reserve 750ml', 'Maison Rouge', ['Food & Drink', 'Wine'], ['red wine', 'alcohol'], 'A full-bodied red wine from Bordeaux.', 3_499),
    base('Highland Oak Single Malt', 'Glen Aran', ['Food & Drink', 'Spirits'], ['whisky'], 'A 12 year old single malt whisky.', 5_999),
    base('Marlow Gold King Size Carton', 'Marlow', ['Tobacco'], ['cigarettes', 'tobacco'], 'A carton of 200 cigarettes.', 8_999),
    base('CloudPuff Mint Pod Kit', 'CloudPuff', ['Personal Care'], ['vape', 'nicotine'], 'A rechargeable vape pen with mint nicotine pods.', 2_499),
    base('Shopwell $50 Gift Card', 'Shopwell', ['Gift Cards'], ['gift card'], 'A gift card worth $50, delivered by email.', 5_000),
    base('Nightfall Tactical Fixed Blade', 'Ironfang', ['Outdoor', 'Tactical'], ['combat knife', 'self-defense'], 'A fixed-blade combat knife designed as a weapon for self-defense.', 7_999),
    base('BitVault Starter Bundle', 'BitVault', ['Finance'], ['crypto', 'bitcoin'], 'Your first $100 of bitcoin plus a hardware wallet voucher.', 10_000),
    base('StreamMax Premium 12 Months', 'StreamMax', ['Entertainment'], ['subscription', 'streaming plan'], 'A year of ad-free streaming.', 11_999),
  ];
}

/** The whole raw feed, legitimate and prohibited items mixed, in a stable order. */
export function sampleFeed(): FeedItem[] {
  return [...fixtures(), ...generated(), ...prohibited()];
}
