// The MCP conformance suite's authorization-server scenarios (`conformance authorization`) against
// the accounts service: RFC 8414 metadata, and the authorization code grant with PKCE and a
// resource indicator, the suite acting as the client. The suite needs Node >= 22, so this runs in
// CI's Node 26 pass (e2e/node26/run.sh); under older Node it is skipped, saying why.
// The suite prints the authorization URL and waits for its callback on 127.0.0.1:<port>; the test
// plays the person: opens the URL, signs up with the code mailed to them, consents, and follows the
// redirect to the suite's callback. The suite then redeems the code and checks the token response.
import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Browser, bootAccounts, codeFromMail, formOn, GATEWAY_RESOURCE, type Stack } from './helpers.js';

/** The 0.2.x line, as the server conformance run in e2e/node26/conformance.mjs. */
const CONFORMANCE = '@modelcontextprotocol/conformance@0.2.0-alpha.12';
const nodeMajor = Number(process.versions.node.split('.')[0]);
const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

describe.skipIf(nodeMajor < 22)(`conformance authorization (${CONFORMANCE}) against the accounts service`, () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await bootAccounts('accounts_conformance');
  }, 60_000);
  afterAll(async () => {
    await stack?.close();
  });

  it('passes authorization-server-metadata-endpoint and authorization-code-grant', async () => {
    const issuer = stack.svc.issuer;
    const meta = (await (await fetch(`${issuer}/.well-known/oauth-authorization-server`)).json()) as Record<string, string>;
    const port = await freePort();
    const callback = `http://127.0.0.1:${port}/callback`;
    // The suite's client is a public one (PKCE, no secret), registered as any app registers (RFC 7591).
    const reg = (await (
      await fetch(meta.registration_endpoint, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ client_name: 'MCP conformance suite', redirect_uris: [callback], token_endpoint_auth_method: 'none', grant_types: ['authorization_code', 'refresh_token'], response_types: ['code'] }),
      })
    ).json()) as { client_id: string };
    expect(reg.client_id).toBeTruthy();

    const suite = spawn(
      'npx',
      ['-y', CONFORMANCE, 'authorization', '--url', issuer, '--client-id', reg.client_id, '--resource', GATEWAY_RESOURCE, '--port', String(port), '-o', path.join(repoRoot, 'artifacts', 'conformance', 'authorization')],
      { cwd: repoRoot, env: process.env, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let output = '';
    const exited = new Promise<number>((resolve) => suite.once('exit', (code) => resolve(code ?? 1)));
    const authorizationUrl = new Promise<string>((resolve, reject) => {
      const onData = (chunk: Buffer) => {
        output += chunk.toString();
        const line = output.split('\n').find((l) => l.startsWith(`${meta.authorization_endpoint}?`));
        if (line) resolve(line.trim());
      };
      suite.stdout.on('data', onData);
      suite.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
      void exited.then((code) => reject(new Error(`the suite exited (${code}) before asking for authorization:\n${output}`)));
    });

    try {
      const url = await authorizationUrl;
      expect(new URL(url).searchParams.get('code_challenge_method')).toBe('S256');
      // The person: sign up inside the interaction with the mailed code, then allow the app.
      const email = 'conformance@example.com';
      const browser = new Browser(issuer);
      const start = await browser.go(url);
      const signup = await browser.go(`${new URL(start.url).pathname}/signup`);
      const request = formOn(signup.html, '/code-request');
      const codePage = await browser.go(request.action, { form: { ...request.fields, name: 'Conformance Suite', email } });
      const confirm = formOn(codePage.html, '/code');
      const consent = await browser.go(confirm.action, { form: { ...confirm.fields, code: codeFromMail(stack.mailDir, email) } });
      const allow = formOn(consent.html, '/consent');
      const back = await browser.go(allow.action, { form: allow.fields });
      expect(back.leftTo?.origin, back.html.slice(0, 500)).toBe(`http://127.0.0.1:${port}`);
      // The browser lands on the suite's callback, which redeems the code.
      await fetch(back.leftTo!);
      const code = await exited;
      expect(code, output).toBe(0);
      expect(output).toMatch(/✓ authorization-server-metadata-endpoint: \d+ passed, 0 failed/);
      expect(output).toMatch(/✓ authorization-code-grant: 1 passed, 0 failed/);
    } finally {
      suite.kill();
    }
  }, 240_000);
});
