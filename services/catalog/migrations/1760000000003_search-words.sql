-- Up Migration
-- Typo tolerance through a dictionary of the catalogue's words (the classic pg_trgm approach): a
-- misspelt query word is corrected to the nearest known word (a trigram KNN walk over a few hundred
-- words) and the corrected query runs as ordinary full-text search. This replaces word similarity
-- against every product's name, whose common trigrams matched most of the table.
create table search_words (word text primary key);
create index search_words_trgm_idx on search_words using gist (word gist_trgm_ops);

-- Alphabetic words of three letters or more; digits (model numbers) are never typo-corrected.
create function catalog_words(t text) returns setof text
  language sql immutable parallel safe
  as $$ select distinct w from regexp_split_to_table(lower(t), '[^[:alpha:]]+') w where length(w) >= 3 $$;

create function catalog_product_words(name text, brand text, category_text text, tags text[]) returns setof text
  language sql immutable parallel safe
  as $$ select catalog_words(name || ' ' || brand || ' ' || category_text || ' ' || catalog_join_words(tags)) $$;

insert into search_words (word)
select distinct w from products p, catalog_product_words(p.name, p.brand, p.category_text, p.tags) w;

-- Statement-level for inserts (one pass over a bulk load); row-level for the rare text edits,
-- since transition tables cannot be combined with a column list.
create function catalog_add_inserted_words() returns trigger language plpgsql as $$
begin
  insert into search_words (word)
  select distinct w from inserted p, catalog_product_words(p.name, p.brand, p.category_text, p.tags) w
  on conflict do nothing;
  return null;
end $$;
create trigger products_search_words_insert after insert on products
  referencing new table as inserted for each statement execute function catalog_add_inserted_words();

create function catalog_add_updated_words() returns trigger language plpgsql as $$
begin
  insert into search_words (word)
  select w from catalog_product_words(new.name, new.brand, new.category_text, new.tags) w
  on conflict do nothing;
  return null;
end $$;
create trigger products_search_words_update after update of name, brand, category_text, tags on products
  for each row execute function catalog_add_updated_words();

-- Each query word of three letters or more that is neither a known word nor a stop word becomes the
-- nearest known word with trigram similarity >= 0.4 ("pegasas" -> "pegasus" 0.45, "headphnes" ->
-- "headphones" 0.62, but not "mug" -> "mud" 0.33); anything else (operators, quotes, numbers) is kept.
create function catalog_correct_query(q text) returns text
  language sql stable parallel safe
  as $$
  select string_agg(
    case
      when t.w !~ '^[[:alpha:]]{3,}$' or length(to_tsvector('english', t.w)) = 0
        or exists (select 1 from search_words s where s.word = t.w) then t.w
      else coalesce((select s.word from search_words s where similarity(s.word, t.w) >= 0.4 order by s.word <-> t.w, s.word limit 1), t.w)
    end, ' ' order by t.n)
  from regexp_split_to_table(lower(q), '\s+') with ordinality t(w, n)
  $$;

drop index products_name_brand_trgm_idx;
alter table products drop column name_brand;

-- Down Migration
alter table products add column name_brand text generated always as (lower(name || ' ' || brand)) stored;
create index products_name_brand_trgm_idx on products using gin (name_brand gin_trgm_ops);
drop function catalog_correct_query(text);
drop trigger products_search_words_update on products;
drop function catalog_add_updated_words();
drop trigger products_search_words_insert on products;
drop function catalog_add_inserted_words();
drop function catalog_product_words(text, text, text, text[]);
drop function catalog_words(text);
drop table search_words;
