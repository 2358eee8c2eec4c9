import { AppError, type ProductVariants, type Variant } from '@shop/contracts';

export interface VariantChoice {
  variant_id?: string;
  size?: string;
  color?: string;
}

/** "Size 10", " 10 " and "10" name the same size; comparisons ignore case. */
export function normaliseOption(value: string): string {
  return value
    .trim()
    .toLowerCase()
    .replace(/^(size|colou?r)\s*[:=]?\s*/, '')
    .replace(/\s+/g, ' ');
}

/** Distinct option values; shoe sizes in numeric order (7, 8, … 13), others in catalog order. */
function distinct(values: Array<string | null>): string[] {
  const unique = [...new Set(values.filter((v): v is string => v !== null))];
  const numeric = unique.every((v) => /^\d+(\.\d+)?$/.test(v));
  return numeric ? unique.sort((a, b) => Number(a) - Number(b)) : unique;
}

function list(values: string[]): string {
  return values.join(', ');
}

/**
 * Picks the variant a shopper means from a product's variants: by id, else by size and/or
 * colour. Refuses an option the product does not have (VARIANT_NOT_FOUND, listing what it has)
 * and asks which one when the choice is ambiguous (INVALID_INPUT naming the missing field).
 */
export function resolveVariant(product: Pick<ProductVariants, 'id' | 'name' | 'variants'>, choice: VariantChoice): Variant {
  const variants = product.variants;
  if (variants.length === 0) throw new AppError('VARIANT_NOT_FOUND', `${product.name} cannot be bought right now.`, { product_id: product.id });
  if (choice.variant_id) {
    const byId = variants.find((v) => v.id === choice.variant_id);
    if (!byId) throw new AppError('VARIANT_NOT_FOUND', `That option of ${product.name} does not exist.`, { product_id: product.id, variant_id: choice.variant_id });
    return byId;
  }
  const sizes = distinct(variants.map((v) => v.size));
  let candidates = variants;
  if (choice.size !== undefined) {
    const wanted = normaliseOption(choice.size);
    candidates = candidates.filter((v) => v.size !== null && normaliseOption(v.size) === wanted);
    if (candidates.length === 0) {
      const message = sizes.length
        ? `${product.name} does not come in size ${choice.size}. Available sizes: ${list(sizes)}.`
        : `${product.name} comes in one size only.`;
      throw new AppError('VARIANT_NOT_FOUND', message, { product_id: product.id, field: 'size', requested: choice.size, sizes });
    }
  }
  if (choice.color !== undefined) {
    const wanted = normaliseOption(choice.color);
    const pool = candidates;
    candidates = pool.filter((v) => v.color !== null && normaliseOption(v.color) === wanted);
    if (candidates.length === 0) {
      const offered = distinct(pool.map((v) => v.color));
      const inSize = choice.size !== undefined && offered.length ? ` in size ${choice.size}` : '';
      const message = offered.length
        ? `${product.name} does not come in ${choice.color}${inSize}. Available colours: ${list(offered)}.`
        : `${product.name} comes in one colour only.`;
      throw new AppError('VARIANT_NOT_FOUND', message, { product_id: product.id, field: 'color', requested: choice.color, colors: offered });
    }
  }
  if (candidates.length === 1) return candidates[0];
  const openSizes = distinct(candidates.map((v) => v.size));
  const openColors = distinct(candidates.map((v) => v.color));
  const asks: string[] = [];
  const issues: Array<{ field: string; rule: string; message: string }> = [];
  if (openSizes.length > 1) {
    asks.push(`size (${list(openSizes)})`);
    issues.push({ field: 'size', rule: 'required', message: `choose a size: ${list(openSizes)}` });
  }
  if (openColors.length > 1) {
    asks.push(`colour (${list(openColors)})`);
    issues.push({ field: 'color', rule: 'required', message: `choose a colour: ${list(openColors)}` });
  }
  if (asks.length === 0) return candidates[0];
  throw new AppError('INVALID_INPUT', `Which ${asks.join(' and which ')} of ${product.name} would you like?`, {
    issues,
    product_id: product.id,
    sizes: openSizes,
    colors: openColors,
  });
}

/** "Pegasus 41 (size 10, Black)": the item as a shopper would name it. */
export function describeItem(name: string, size: string | null, color: string | null): string {
  const options = [size !== null ? `size ${size}` : null, color].filter(Boolean);
  return options.length ? `${name} (${options.join(', ')})` : name;
}

/**
 * Refuses a quantity the catalog cannot supply. `inCart` is what the line already holds, so
 * the check is on the total the shopper would end up with.
 */
export function assertAvailable(item: { name: string; size: string | null; color: string | null; variant_id: string }, available: number, inCart: number, adding: number): void {
  const requested = inCart + adding;
  if (requested <= available) return;
  const where = item.size !== null ? ` in size ${item.size}` : '';
  let message: string;
  if (available === 0) message = `${describeItem(item.name, item.size, item.color)} is out of stock.`;
  else if (where) message = `Only ${available} left${where} of ${item.name}.`;
  else message = `Only ${available} ${available === 1 ? 'unit' : 'units'} available of ${describeItem(item.name, item.size, item.color)}.`;
  if (inCart > 0 && available > 0) message += ` You already have ${inCart} in your cart.`;
  throw new AppError('OUT_OF_STOCK', message, { variant_id: item.variant_id, available, requested, in_cart: inCart });
}
