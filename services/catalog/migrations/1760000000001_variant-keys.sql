-- Up Migration
-- Size/colour filters as one GIN lookup on the product row instead of a per-product probe of
-- variants: keys 's:<size>', 'c:<colour>' and 's:<size>|c:<colour>' (lower case) for every variant,
-- and the same for the variants that are available now (stock > reserved).
create function catalog_variant_keys(size text, color text) returns text[]
  language sql immutable parallel safe
  as $$ select array_remove(array[
    case when size is not null then 's:' || lower(size) end,
    case when color is not null then 'c:' || lower(color) end,
    case when size is not null and color is not null then 's:' || lower(size) || '|c:' || lower(color) end
  ], null) $$;

alter table products
  add column variant_keys text[] not null default '{}',
  add column available_keys text[] not null default '{}';

update products p set
  variant_keys = coalesce((select array_agg(distinct k order by k) from variants v, unnest(catalog_variant_keys(v.size, v.color)) k where v.product_id = p.id), '{}'),
  available_keys = coalesce((select array_agg(distinct k order by k) from variants v, unnest(catalog_variant_keys(v.size, v.color)) k where v.product_id = p.id and v.stock > v.reserved), '{}');

create index products_variant_keys_idx on products using gin (variant_keys);
create index products_available_keys_idx on products using gin (available_keys);
drop index products_sizes_idx;
drop index products_colors_idx;
alter table products drop column sizes_lc, drop column colors_lc;

create or replace function catalog_refresh_product() returns trigger language plpgsql as $$
begin
  update products p set
    price = agg.min_price,
    price_max = agg.max_price,
    available = agg.available,
    available_keys = agg.available_keys,
    updated_at = now()
  from (
    select min(price) min_price, max(price) max_price, sum(greatest(stock - reserved, 0))::int available,
           coalesce((select array_agg(distinct k order by k) from variants a, unnest(catalog_variant_keys(a.size, a.color)) k
                     where a.product_id = new.product_id and a.stock > a.reserved), '{}') available_keys
    from variants where product_id = new.product_id
  ) agg
  where p.id = new.product_id;
  return null;
end $$;

-- Down Migration
create or replace function catalog_refresh_product() returns trigger language plpgsql as $$
begin
  update products p set price = agg.min_price, price_max = agg.max_price, available = agg.available, updated_at = now()
  from (select min(price) min_price, max(price) max_price, sum(greatest(stock - reserved, 0))::int available from variants where product_id = new.product_id) agg
  where p.id = new.product_id;
  return null;
end $$;
alter table products add column sizes_lc text[] not null default '{}', add column colors_lc text[] not null default '{}';
update products set sizes_lc = lower(sizes::text)::text[], colors_lc = lower(colors::text)::text[];
create index products_sizes_idx on products using gin (sizes_lc);
create index products_colors_idx on products using gin (colors_lc);
drop index products_available_keys_idx;
drop index products_variant_keys_idx;
alter table products drop column available_keys, drop column variant_keys;
drop function catalog_variant_keys(text, text);
