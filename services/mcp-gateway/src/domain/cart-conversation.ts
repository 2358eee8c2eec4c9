import { cartConversation, type Caller } from '@shop/contracts';

/**
 * The caller as orders sees it. A client that sends no conversation id (a 2026-07-28 client with
 * none in `_meta`, and no MCP session to stand in) is known by the cart it names: the cart service
 * makes a cart created without a conversation its own conversation (`cart:<id>`), so the orders
 * placed from it are found by that cart id. A caller with a conversation keeps it.
 */
export function orderCaller(caller: Caller, cartId: string | undefined): Caller {
  return caller.conversation || !cartId ? caller : { ...caller, conversation: cartConversation(cartId) };
}
