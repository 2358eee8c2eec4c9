-- Up Migration
-- Every reservation, commit and release moves a variant's reserved or stock, and the variants
-- trigger then rewrites the product row (available, available_keys) and its search copy. Such a
-- rewrite can stay a heap-only (HOT) update, with no new entry in any of the product's twelve
-- indexes (five of them GIN), only when no indexed column changes and the page has room. The
-- related-products indexes named `available` in their predicate, which made every stock change a
-- full update; they now cover the active products and the query filters on stock as it walks
-- them. The write-hot tables keep a fifth of each page free for the new versions.
drop index products_category_rating_idx;
drop index products_brand_rating_idx;
create index products_category_rating_idx on products (category_id, rating desc, review_count desc, id) where active;
create index products_brand_rating_idx on products (brand_lc, rating desc, review_count desc, id) where active;
alter table products set (fillfactor = 80);
alter table product_search set (fillfactor = 80);
alter table variants set (fillfactor = 80);

-- Down Migration
alter table variants reset (fillfactor);
alter table product_search reset (fillfactor);
alter table products reset (fillfactor);
drop index products_brand_rating_idx;
drop index products_category_rating_idx;
create index products_category_rating_idx on products (category_id, rating desc, review_count desc, id) where active and available > 0;
create index products_brand_rating_idx on products (brand_lc, rating desc, review_count desc, id) where active and available > 0;
