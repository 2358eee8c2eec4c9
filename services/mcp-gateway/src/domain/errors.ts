import { retryableCodes, toAppError, type AppError } from '@shop/contracts';
import type { CallToolResult } from '@modelcontextprotocol/server';

/**
 * The one mapping from anything a tool throws to an MCP tool result: `isError: true`, the
 * service's shopper-readable message, no stack and no structuredContent (which would have to
 * match the tool's output schema). The code and details go to `_meta` for the widget.
 */
export function toolErrorResult(e: unknown): { result: CallToolResult; error: AppError } {
  const error = toAppError(e);
  const retry = retryableCodes.has(error.code) ? ' You can try again.' : '';
  const result: CallToolResult = {
    isError: true,
    content: [{ type: 'text', text: `${error.message}${retry}` }],
    _meta: { 'shop/error': { code: error.code, ...(error.details ? { details: safeDetails(error.details) } : {}) } },
  };
  return { result, error };
}

/** Only plain JSON leaves the process: anything else (an Error object, a function) is dropped. */
function safeDetails(details: Record<string, unknown>): Record<string, unknown> {
  try {
    return JSON.parse(JSON.stringify(details, (_k, v) => (v instanceof Error ? undefined : v))) as Record<string, unknown>;
  } catch {
    return {};
  }
}
