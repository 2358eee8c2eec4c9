import type { CallToolResult, ListToolsResult, McpServer, ServerContext } from '@modelcontextprotocol/server';
import { registerAppTool } from '@modelcontextprotocol/ext-apps/server';
import { z } from 'zod';
import { AppError, invalidInput } from '@shop/contracts';
import { metrics, observed, SpanKind } from '@shop/kit';
import { callerFrom, type HostMeta } from '../domain/identity.js';
import { accountOf } from '../auth/tokens.js';
import { missingScopes, scopeChallengeFor, signInAnswer, toolSecurity } from '../app/security.js';
import { toolErrorResult } from '../domain/errors.js';
import { withPolicyLinks } from '../domain/present.js';
import { policyLinks } from '../domain/policies.js';
import { tools } from '../app/index.js';
import type { ToolCall, ToolDefinition, ToolDeps } from '../app/shared.js';

export type { ToolDeps } from '../app/shared.js';

/**
 * The tools/list answer, built once per process. The SDK would convert every input and output
 * schema to JSON Schema on each listing (tens of milliseconds, and stateless mode builds a server
 * per request); this is the same conversion (zod 4, JSON Schema 2020-12 as SDK v2 lists it, input/output io) done once.
 */
export function toolListing(): ListToolsResult {
  return {
    tools: tools.map((t) => ({
      name: t.name,
      title: t.title,
      description: t.description,
      inputSchema: z.toJSONSchema(t.args, { target: 'draft-2020-12', io: 'input' }) as ListToolsResult['tools'][number]['inputSchema'],
      annotations: { title: t.title, ...t.annotations },
      // OpenAI Apps SDK per-tool auth: the field on the tool, and under _meta for hosts that read it there.
      securitySchemes: toolSecurity[t.name].schemes,
      _meta: { ...registeredMeta(t), securitySchemes: toolSecurity[t.name].schemes },
      outputSchema: z.toJSONSchema(t.output, { target: 'draft-2020-12', io: 'output' }) as ListToolsResult['tools'][number]['outputSchema'],
    })),
  };
}

/**
 * The tool `_meta` exactly as registerAppTool hands it to the SDK (it adds the older hosts'
 * `ui/resourceUri` beside `ui.resourceUri`), so the cached listing cannot drift from the helper.
 */
function registeredMeta(t: ToolDefinition): Record<string, unknown> {
  let meta: Record<string, unknown> = {};
  const recorder = {
    registerTool: ((_name: string, config: { _meta?: Record<string, unknown> }) => {
      meta = config._meta ?? {};
      return undefined;
    }) as unknown as McpServer['registerTool'],
  };
  registerAppTool(recorder, t.name, { _meta: t.meta }, () => ({ content: [] }));
  return meta;
}

/**
 * Registers every tool (src/app/*) on a server with the MCP Apps helper; each call is wrapped so
 * every failure is one mapped tool error. tools/call is answered here rather than by the SDK, which
 * would check the arguments itself and answer a bad one with bare text: parsed here with the same
 * schema, a bad argument becomes the contracts' INVALID_INPUT naming the field, and card data
 * CARD_DATA_REFUSED naming the field.
 */
export function registerTools(server: McpServer, deps: ToolDeps, listing?: ListToolsResult): void {
  const links = policyLinks(deps.publicUrl);
  const now = deps.now ?? (() => new Date());
  // A span per call, the root of its trace (the NATS hops and queries hang below it), and the
  // call's latency by tool and outcome (ok, or the error code the shopper was given).
  const callTool = (t: ToolDefinition, rawArgs: unknown, extra: ServerContext): Promise<CallToolResult> =>
    observed('mcp-gateway', `tool ${t.name}`, { kind: SpanKind.SERVER, attributes: { 'mcp.tool.name': t.name }, hist: metrics.tool, labels: [t.name], outcomeOf: toolOutcome }, () => runTool(t, rawArgs, extra));
  const runTool = async (t: ToolDefinition, rawArgs: unknown, extra: ServerContext): Promise<CallToolResult> => {
    // 2026-07-28 requests have no session: the conversation comes from the host's _meta or the cart handle.
    const meta = extra.mcpReq._meta as HostMeta | undefined;
    // The account comes from the verified access token alone (auth/resource.ts put it on the request).
    const account = accountOf(extra.http?.authInfo);
    const call: ToolCall = { deps, meta, mcpSessionId: extra.sessionId, account, caller: callerFrom(meta, extra.sessionId, account), now };
    try {
      const args = t.args.safeParse(rawArgs ?? {});
      if (!args.success) throw invalidInput(args.error);
      const presented = withPolicyLinks((await t.run(args.data, call)).presented, links);
      // Parsing strips anything the output schema does not declare, so hosts validating it strictly accept it.
      const structured = t.output.safeParse(presented.structured);
      if (!structured.success) {
        deps.logger.error({ tool: t.name, issues: structured.error.issues.slice(0, 5) }, 'tool result does not match its output schema');
        throw new AppError('INTERNAL', 'Something went wrong on our side. Please try again.');
      }
      return {
        structuredContent: structured.data as Record<string, unknown>,
        // No `openai/widgetSessionId`: that key is the host's to set; the cart id travels in structuredContent.cart_id.
        content: [{ type: 'text', text: presented.text }],
      };
    } catch (e) {
      const { result, error } = toolErrorResult(e);
      const signIn = account ? undefined : signInAnswer(t.name, error.code, error.message);
      if (signIn) {
        // ChatGPT's per-tool sign-in (and other hosts that read it): the challenge a 401 would carry.
        result.content = [{ type: 'text', text: signIn.message }];
        result._meta = { ...result._meta, 'mcp/www_authenticate': [deps.signInChallenge(signIn.scopes, 'Sign in to your shop account to continue.')] };
      }
      const stepUp = account ? missingScopes(error.code, account.scopes) : [];
      if (stepUp.length > 0) {
        result._meta = { ...result._meta, 'mcp/www_authenticate': [deps.signInChallenge(stepUp, 'Allow this app to use your saved payment methods.')] };
      }
      if (error.code === 'INTERNAL') deps.logger.error({ tool: t.name, err: e }, 'tool failed');
      else deps.logger.debug({ tool: t.name, code: error.code, field: error.details?.field }, 'tool refused');
      return result;
    }
  };
  for (const t of tools) {
    registerAppTool(
      server,
      t.name,
      {
        title: t.title,
        description: t.description,
        inputSchema: t.args,
        // The handler below already parses every result with the output schema; registered with the
        // SDK as well, it would validate the same result a second time. The cached listing advertises it.
        ...(listing ? {} : { outputSchema: t.output as z.ZodObject }),
        annotations: { title: t.title, ...t.annotations },
        _meta: { ...t.meta, securitySchemes: toolSecurity[t.name].schemes },
        // A signed-in call without the tool's scopes is answered 403 insufficient_scope by the SDK (step-up).
        ...(scopeChallengeFor(t.name) ? { scopeChallenge: scopeChallengeFor(t.name) } : {}),
      },
      (args: unknown, extra: ServerContext) => callTool(t, args, extra),
    );
  }
  const byName = new Map(tools.map((t) => [t.name as string, t]));
  server.server.setRequestHandler('tools/call', (request, extra) => {
    const t = byName.get(request.params.name);
    if (!t) return toolErrorResult(new AppError('NOT_FOUND', `Tool ${request.params.name} not found`)).result;
    return callTool(t, request.params.arguments, extra);
  });
  if (listing) server.server.setRequestHandler('tools/list', () => listing);
}

function toolOutcome(result: CallToolResult): string {
  if (!result.isError) return 'ok';
  const code = (result._meta?.['shop/error'] as { code?: unknown } | undefined)?.code;
  return typeof code === 'string' ? code : 'error';
}
