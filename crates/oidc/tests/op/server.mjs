// A real OpenID Provider for gatehouse-oidc's interop test (GATEHOUSE_INTEROP=1), built on node `oidc-provider`.
// Usage: node server.mjs <port|0> <keyset a|b>
//   keyset a: signs with rsa-2048-a, publishes a.     keyset b: signs with rsa-2048-b, publishes b and a (rotation).
// Prints "READY <port>" once listening on 127.0.0.1. Logins complete without UI for the account `ada`.
import { createServer } from 'node:http';
import { createPrivateKey } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import Provider from 'oidc-provider';

const [portArg = '0', keyset = 'a'] = process.argv.slice(2);
const dataDir = fileURLToPath(new URL('../data/', import.meta.url));
const jwk = (file, kid) => ({
  ...createPrivateKey(readFileSync(dataDir + file)).export({ format: 'jwk' }),
  kid, alg: 'RS256', use: 'sig',
});
const keyA = jwk('rsa-2048-a.pem', 'interop-a');
const keyB = jwk('rsa-2048-b.pem', 'interop-b');
const keys = keyset === 'b' ? [keyB, keyA] : [keyA];
// The relying party's private_key_jwt key (public half only).
const { d: _d, ...rpKey } = createPrivateKey(readFileSync(dataDir + 'ec-p256.pem')).export({ format: 'jwk' });

const account = {
  accountId: 'ada',
  async claims() {
    return { sub: 'ada', email: 'ada@acme.test', email_verified: true, name: 'Ada Lovelace' };
  },
};

const server = createServer();
server.listen(Number(portArg), '127.0.0.1', () => {
  const { port } = server.address();
  const provider = new Provider(`http://127.0.0.1:${port}`, {
    clients: [{
      client_id: 'gatehouse-rp',
      client_secret: 'interop-secret-0123456789abcdef0123456789abcdef',
      redirect_uris: ['http://127.0.0.1/login/callback'],
      post_logout_redirect_uris: ['http://127.0.0.1/'],
      grant_types: ['authorization_code'],
      response_types: ['code'],
      token_endpoint_auth_method: 'client_secret_basic',
    }, {
      client_id: 'gatehouse-post',
      client_secret: 'interop-secret-0123456789abcdef0123456789abcdef',
      redirect_uris: ['http://127.0.0.1/login/callback'],
      grant_types: ['authorization_code'],
      response_types: ['code'],
      token_endpoint_auth_method: 'client_secret_post',
    }, {
      client_id: 'gatehouse-pkjwt',
      redirect_uris: ['http://127.0.0.1/login/callback'],
      grant_types: ['authorization_code'],
      response_types: ['code'],
      token_endpoint_auth_method: 'private_key_jwt',
      token_endpoint_auth_signing_alg: 'ES256',
      jwks: { keys: [{ ...rpKey, kid: 'rp-key', alg: 'ES256', use: 'sig' }] },
    }],
    jwks: { keys },
    cookies: { keys: ['gatehouse-interop-cookie-key'] },
    claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name'] },
    features: { devInteractions: { enabled: false } },
    pkce: { required: () => true },
    findAccount: async (ctx, id) => (id === 'ada' ? account : undefined),
  });
  const callback = provider.callback();
  server.on('request', async (req, res) => {
    if (req.url.startsWith('/interaction/')) {
      try {
        const details = await provider.interactionDetails(req, res);
        const grant = new provider.Grant({ accountId: 'ada', clientId: details.params.client_id });
        grant.addOIDCScope(details.params.scope);
        const grantId = await grant.save();
        await provider.interactionFinished(
          req, res, { login: { accountId: 'ada' }, consent: { grantId } }, { mergeWithLastSubmission: false },
        );
      } catch (err) {
        res.statusCode = 500;
        res.end(String(err));
      }
      return;
    }
    callback(req, res);
  });
  process.stdout.write(`READY ${port}\n`);
});
