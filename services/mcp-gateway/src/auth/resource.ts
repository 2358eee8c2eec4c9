import type { NextFunction, Request, RequestHandler, Response } from 'express';
import {
  bearerAuthChallengeResponse,
  getOAuthProtectedResourceMetadataUrl,
  verifyBearerToken,
  type AuthInfo,
  type OAuthProtectedResourceMetadata,
  type OAuthTokenVerifier,
} from '@modelcontextprotocol/server';
import { AppError } from '@shop/contracts';
import type { Logger } from '@shop/kit';
import { SHOP_SCOPES } from './scopes.js';

export interface ResourceServerOptions {
  /** The gateway's public origin; the resource is its /mcp. */
  publicUrl: string;
  /** The accounts server: the one authorization server tokens come from. */
  issuer: string;
  verifier: OAuthTokenVerifier;
  logger: Logger;
}

/** The gateway as an OAuth 2.1 resource server (MCP authorization; RFC 9728, RFC 6750, RFC 8707). */
export interface ResourceServer {
  /** The resource identifier: every token's audience. */
  resource: string;
  /** Where the protected resource metadata is, as every challenge names it (path-suffixed, RFC 9728 §3.1). */
  metadataUrl: string;
  metadata: OAuthProtectedResourceMetadata;
  /** GET /.well-known/oauth-protected-resource[/mcp]. */
  metadataRoute: RequestHandler;
  /**
   * /mcp: no Authorization header, the call is a guest's; a token is verified and its AuthInfo put
   * on `req.auth` (the SDK hands it to handlers), or the request is refused with 401 and the
   * WWW-Authenticate challenge.
   */
  authenticate: RequestHandler;
  /** A WWW-Authenticate value for a tool that needs sign-in (ChatGPT's `_meta["mcp/www_authenticate"]`). */
  challenge: (scopes: readonly string[], description: string) => string;
}

/** An RFC 7230 quoted-string: `\` and `"` escaped, control characters replaced. */
function quoted(value: string): string {
  return `"${value.replaceAll(/[\\"]/g, '\\$&').replaceAll(/[^\u0020-\u007E]/g, ' ')}"`;
}

export function createResourceServer(o: ResourceServerOptions): ResourceServer {
  const resource = `${o.publicUrl}/mcp`;
  const resourceUrl = new URL(resource);
  const metadataUrl = getOAuthProtectedResourceMetadataUrl(resourceUrl);
  const metadata: OAuthProtectedResourceMetadata = {
    resource,
    authorization_servers: [o.issuer],
    scopes_supported: [...SHOP_SCOPES],
    bearer_methods_supported: ['header'],
    resource_name: 'Shop',
    resource_documentation: `${o.publicUrl}/policies`,
  };

  const metadataRoute: RequestHandler = (_req, res) => {
    // Public, and read by browser-based MCP clients on other origins.
    res.set('Access-Control-Allow-Origin', '*').set('Cache-Control', 'public, max-age=300').json(metadata);
  };

  const authenticate = async (req: Request, res: Response, next: NextFunction): Promise<void> => {
    const header = req.header('authorization');
    if (header === undefined) return next();
    try {
      (req as Request & { auth?: AuthInfo }).auth = await verifyBearerToken(header, { verifier: o.verifier, expectedResource: resourceUrl, resourceMetadataUrl: metadataUrl });
      next();
    } catch (e) {
      if (e instanceof AppError) {
        res.status(e.httpStatus).set('Retry-After', '5').json({ error: e.toBody() });
        return;
      }
      o.logger.debug({ err: e }, 'bearer token refused');
      const answer = bearerAuthChallengeResponse(e, { resourceMetadataUrl: metadataUrl });
      answer.headers.forEach((value, name) => res.setHeader(name, value));
      res.status(answer.status).send(await answer.text());
    }
  };

  const challenge = (scopes: readonly string[], description: string) =>
    [`Bearer resource_metadata=${quoted(metadataUrl)}`, `error="insufficient_scope"`, `error_description=${quoted(description)}`, ...(scopes.length ? [`scope=${quoted(scopes.join(' '))}`] : [])].join(', ');

  return { resource, metadataUrl, metadata, metadataRoute, authenticate: (req, res, next) => void authenticate(req, res, next), challenge };
}
