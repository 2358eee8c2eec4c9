-- Up Migration
create extension if not exists pg_trgm;

-- Typo tolerance: "pegasas" is 0.625 word-similar to "pegasus"; the default 0.6 is too strict
-- for two-letter typos in short words. Set per database so every pooled session gets it.
do $$ begin
  execute format('alter database %I set pg_trgm.word_similarity_threshold = 0.5', current_database());
end $$;

-- array_to_string is only STABLE; generated columns need an IMMUTABLE expression.
create function catalog_join_words(words text[]) returns text
  language sql immutable parallel safe
  as $$ select coalesce(array_to_string(words, ' '), '') $$;

create table categories (
  id serial primary key,
  slug text not null unique,
  name text not null,
  parent_id int references categories (id),
  -- Names from the root down, e.g. {Shoes,Running}, and the slugs of the category and its ancestors.
  path text[] not null,
  slugs text[] not null
);

create table products (
  id uuid primary key,
  sku text not null unique,
  name text not null,
  brand text not null,
  brand_lc text generated always as (lower(brand)) stored,
  description text not null,
  tags text[] not null default '{}',
  category_id int not null references categories (id),
  -- Denormalised from categories so one GIN lookup filters a category and all its subcategories.
  category_slugs text[] not null,
  category_text text not null,
  -- Lowest and highest variant price (cents); kept by the variants trigger.
  price int not null check (price >= 0),
  price_max int not null check (price_max >= price),
  rating numeric(2, 1) not null default 0 check (rating between 0 and 5),
  review_count int not null default 0 check (review_count >= 0),
  sizes text[] not null default '{}',
  colors text[] not null default '{}',
  sizes_lc text[] not null default '{}',
  colors_lc text[] not null default '{}',
  -- Σ max(stock − reserved, 0) over the variants; kept by the variants trigger.
  available int not null default 0,
  active boolean not null default true,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  name_brand text generated always as (lower(name || ' ' || brand)) stored,
  search tsvector generated always as (
    setweight(to_tsvector('english'::regconfig, name), 'A') ||
    setweight(to_tsvector('english'::regconfig, brand || ' ' || category_text), 'B') ||
    setweight(to_tsvector('english'::regconfig, catalog_join_words(tags)), 'C') ||
    setweight(to_tsvector('english'::regconfig, description), 'D')
  ) stored
);
create index products_search_idx on products using gin (search);
create index products_name_brand_trgm_idx on products using gin (name_brand gin_trgm_ops);
create index products_category_slugs_idx on products using gin (category_slugs);
create index products_sizes_idx on products using gin (sizes_lc);
create index products_colors_idx on products using gin (colors_lc);
create index products_brand_idx on products (brand_lc);
create index products_price_idx on products (price);
create index products_rating_idx on products (rating desc, review_count desc);
create index products_created_idx on products (created_at desc);

create table variants (
  id uuid primary key,
  product_id uuid not null references products (id),
  sku text not null unique,
  size text,
  color text,
  price int not null check (price >= 0),
  stock int not null check (stock >= 0),
  -- Units held by active reservations; available = stock − reserved.
  reserved int not null default 0 check (reserved >= 0),
  updated_at timestamptz not null default now()
);
create index variants_product_idx on variants (product_id);

-- Keeps the product's price range and availability in step with its variants, in the same transaction.
create function catalog_refresh_product() returns trigger language plpgsql as $$
begin
  update products p set
    price = agg.min_price,
    price_max = agg.max_price,
    available = agg.available,
    updated_at = now()
  from (
    select min(price) min_price, max(price) max_price, sum(greatest(stock - reserved, 0))::int available
    from variants where product_id = new.product_id
  ) agg
  where p.id = new.product_id;
  return null;
end $$;
create trigger variants_refresh_product after update of price, stock, reserved on variants
  for each row execute function catalog_refresh_product();

-- Feed items refused by the loader (prohibited kinds), kept so operators can see why.
create table refused_items (
  id uuid primary key,
  sku text not null unique,
  name text not null,
  reason text not null,
  refused_at timestamptz not null default now()
);

create table reservations (
  order_id uuid primary key,
  status text not null check (status in ('active', 'committed', 'released', 'expired', 'restocked')),
  expires_at timestamptz not null,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);
create index reservations_active_expiry_idx on reservations (expires_at) where status = 'active';

create table reservation_lines (
  order_id uuid not null references reservations (order_id),
  variant_id uuid not null references variants (id),
  quantity int not null check (quantity > 0),
  primary key (order_id, variant_id)
);

-- Down Migration
drop table reservation_lines;
drop table reservations;
drop table refused_items;
drop trigger variants_refresh_product on variants;
drop function catalog_refresh_product();
drop table variants;
drop table products;
drop table categories;
drop function catalog_join_words(text[]);

