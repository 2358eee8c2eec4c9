-- Up Migration
-- Facets from one small integer per match: every distinct (category, brand, sizes, colours) of the
-- catalogue is a row of facet_combos (about a hundred), so a search groups its matches by facet_id
-- (an int hash) and rolls the few groups up into each facet, instead of hashing text and arrays of
-- every match. Exact: each match counts once in its combination's group.
create table facet_combos (
  id serial primary key,
  category_id int not null references categories (id),
  brand text not null,
  sizes text[] not null,
  colors text[] not null,
  unique (category_id, brand, sizes, colors)
);

alter table products add column facet_id int;
insert into facet_combos (category_id, brand, sizes, colors) select distinct category_id, brand, sizes, colors from products;
update products p set facet_id = f.id from facet_combos f
  where (f.category_id, f.brand, f.sizes, f.colors) = (p.category_id, p.brand, p.sizes, p.colors);
alter table products alter column facet_id set not null;

create function catalog_assign_facet() returns trigger language plpgsql as $$
begin
  select id into new.facet_id from facet_combos
    where (category_id, brand, sizes, colors) = (new.category_id, new.brand, new.sizes, new.colors);
  if new.facet_id is null then
    insert into facet_combos (category_id, brand, sizes, colors) values (new.category_id, new.brand, new.sizes, new.colors)
      on conflict do nothing returning id into new.facet_id;
  end if;
  -- Another transaction inserted the same combination first.
  if new.facet_id is null then
    select id into new.facet_id from facet_combos
      where (category_id, brand, sizes, colors) = (new.category_id, new.brand, new.sizes, new.colors);
  end if;
  return new;
end $$;
create trigger products_assign_facet before insert or update of category_id, brand, sizes, colors on products
  for each row execute function catalog_assign_facet();

-- Down Migration
drop trigger products_assign_facet on products;
drop function catalog_assign_facet();
alter table products drop column facet_id;
drop table facet_combos;
