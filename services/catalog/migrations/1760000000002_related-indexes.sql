-- Up Migration
-- Related products: best rated in stock of the same category, then of the same brand; each an index walk.
create index products_category_rating_idx on products (category_id, rating desc, review_count desc, id) where active and available > 0;
create index products_brand_rating_idx on products (brand_lc, rating desc, review_count desc, id) where active and available > 0;

-- Down Migration
drop index products_brand_rating_idx;
drop index products_category_rating_idx;
