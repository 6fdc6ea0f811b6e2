// Real identity providers for the service's browser tests (crates/service/tests/e2e/peers.rs, GATEHOUSE_INTEROP=1).
//
//   node idp.mjs oidc --port P --client-id ID --client-secret S --redirect-uri URI --post-logout-redirect-uri URI
//                     --account '{"login":..,"password":..,"claims":{..}}'
//     node `oidc-provider` (OpenID-certified) as the OP at http://127.0.0.1:P, one confidential client
//     (client_secret_basic, PKCE required), one account. Its login and consent pages are plain HTML forms
//     (devInteractions is off: no external fonts, nothing a closed network cannot serve). Scope claims (email,
//     profile) go to userinfo only, the ID token carries `sub` (oidc-provider's conformIdTokenClaims default).
//     Every request is logged as "REQUEST <method> <path> ua=<user-agent>".
//     POST /peer/rotate replaces the signing key by a new one and retires the old (the JWKS then holds only the
//     new key); it answers {"retired": kid, "current": kid}.
//
//   node idp.mjs saml --port P --acs URL --audience URI --issuer URI --user '{"userName":..,"attributes":{..}}'
//     npm `saml-idp` (a SAML 2.0 IdP on samlp; RSA-SHA256 signatures, SHA-256 digests, response and assertion
//     signed) at http://127.0.0.1:P with the key pair next to this file; metadata at /metadata, SP-initiated SSO
//     at /saml/sso, IdP-initiated sign-in from / . The user's attributes are the SAML attribute statements.
//
// Both print "READY <port>" once listening on 127.0.0.1.
import { createServer } from 'node:http';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { writeFileSync, unlinkSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const [mode, ...rest] = process.argv.slice(2);
const { values: args } = parseArgs({
  args: rest,
  options: {
    port: { type: 'string' },
    'client-id': { type: 'string' },
    'client-secret': { type: 'string' },
    'redirect-uri': { type: 'string' },
    'post-logout-redirect-uri': { type: 'string' },
    account: { type: 'string' },
    acs: { type: 'string' },
    audience: { type: 'string' },
    issuer: { type: 'string' },
    user: { type: 'string' },
  },
});
const need = (name) => {
  if (!args[name]) {
    process.stderr.write(`idp.mjs ${mode}: --${name} is required\n`);
    process.exit(2);
  }
  return args[name];
};
const html = (s) => String(s).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
const page = (title, body) => `<!DOCTYPE html><html><head><meta charset="utf-8"><title>${html(title)}</title></head>`
  + `<body><h1>${html(title)}</h1>${body}</body></html>`;

function readForm(req) {
  return new Promise((resolve, reject) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (chunk) => { body += chunk; });
    req.on('end', () => resolve(Object.fromEntries(new URLSearchParams(body))));
    req.on('error', reject);
  });
}

async function oidc() {
  const { default: Provider } = await import('oidc-provider');
  const port = Number(need('port'));
  const issuer = `http://127.0.0.1:${port}`;
  const account = JSON.parse(need('account'));
  const client = {
    client_id: need('client-id'),
    client_secret: need('client-secret'),
    redirect_uris: [need('redirect-uri')],
    post_logout_redirect_uris: [need('post-logout-redirect-uri')],
    grant_types: ['authorization_code'],
    response_types: ['code'],
    token_endpoint_auth_method: 'client_secret_basic',
  };
  let generation = 0;
  const newKey = () => {
    generation += 1;
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    return {
      ...privateKey.export({ format: 'jwk' }),
      kid: `peer-op-${generation}-${randomBytes(4).toString('hex')}`,
      alg: 'RS256',
      use: 'sig',
    };
  };
  const cookieKey = randomBytes(32).toString('hex');
  const make = (key) => new Provider(issuer, {
    clients: [client],
    jwks: { keys: [key] },
    cookies: { keys: [cookieKey] },
    claims: {
      openid: ['sub'],
      email: ['email', 'email_verified'],
      profile: ['name', 'given_name', 'family_name'],
    },
    features: {
      devInteractions: { enabled: false },
      rpInitiatedLogout: {
        enabled: true,
        async logoutSource(ctx, form) {
          ctx.body = page(`Sign out of ${ctx.host}?`, `${form}`
            + '<button autofocus type="submit" form="op.logoutForm" value="yes" name="logout">Yes, sign me out</button> '
            + '<button type="submit" form="op.logoutForm">No, stay signed in</button>');
        },
        async postLogoutSuccessSource(ctx) {
          ctx.body = page('Signed out', '<p>You are signed out of the identity provider.</p>');
        },
      },
    },
    pkce: { required: () => true },
    async renderError(ctx, out) {
      ctx.type = 'html';
      ctx.body = page('Identity provider error', `<pre>${html(JSON.stringify(out, null, 2))}</pre>`);
    },
    async findAccount(ctx, id) {
      if (id !== account.login) return undefined;
      return { accountId: id, async claims() { return { sub: id, ...account.claims }; } };
    },
  });
  let key = newKey();
  let provider = make(key);
  let handle = provider.callback();

  const loginForm = (uid, note) => page('Sign in to the peer OP', `${note}`
    + `<form method="post" action="/interaction/${html(uid)}/login">`
    + '<p><label>Username <input name="login" autocomplete="username" required></label></p>'
    + '<p><label>Password <input name="password" type="password" autocomplete="current-password" required></label></p>'
    + '<button type="submit">Sign in</button></form>');
  const consentForm = (uid, details) => page('Allow access', `<p>Client <code>${html(details.params.client_id)}</code> `
    + `asks for <code>${html(details.params.scope)}</code>.</p>`
    + `<form method="post" action="/interaction/${html(uid)}/consent"><button type="submit">Allow</button></form>`);
  const send = (res, status, body, type = 'text/html; charset=utf-8') => {
    res.statusCode = status;
    res.setHeader('content-type', type);
    res.end(body);
  };

  async function interaction(req, res) {
    const [, , uid, action] = req.url.split('?')[0].split('/');
    const details = await provider.interactionDetails(req, res);
    if (details.uid !== uid) return send(res, 400, page('Wrong interaction', ''));
    if (req.method === 'GET') {
      return details.prompt.name === 'login'
        ? send(res, 200, loginForm(uid, ''))
        : send(res, 200, consentForm(uid, details));
    }
    if (action === 'login' && details.prompt.name === 'login') {
      const form = await readForm(req);
      if (form.login !== account.login || form.password !== account.password) {
        return send(res, 200, loginForm(uid, '<p>Wrong username or password.</p>'));
      }
      return provider.interactionFinished(req, res, { login: { accountId: account.login } },
        { mergeWithLastSubmission: false });
    }
    if (action === 'consent' && details.prompt.name === 'consent') {
      const grant = details.grantId
        ? await provider.Grant.find(details.grantId)
        : new provider.Grant({ accountId: details.session.accountId, clientId: details.params.client_id });
      grant.addOIDCScope(details.params.scope);
      const grantId = await grant.save();
      return provider.interactionFinished(req, res, { consent: { grantId } }, { mergeWithLastSubmission: true });
    }
    return send(res, 400, page('Unexpected step', `<p>${html(details.prompt.name)}</p>`));
  }

  const server = createServer(async (req, res) => {
    // One line per request, for the test to see who called what (the service, the browser, the test itself).
    process.stdout.write(`REQUEST ${req.method} ${req.url.split('?')[0]} ua=${req.headers['user-agent'] ?? '-'}\n`);
    try {
      if (req.url === '/peer/rotate' && req.method === 'POST') {
        const retired = key.kid;
        key = newKey();
        provider = make(key);
        handle = provider.callback();
        process.stdout.write(`ROTATED ${retired} -> ${key.kid}\n`);
        return send(res, 200, JSON.stringify({ retired, current: key.kid }), 'application/json');
      }
      if (req.url.startsWith('/interaction/')) return await interaction(req, res);
      return handle(req, res);
    } catch (err) {
      process.stderr.write(`${err.stack}\n`);
      return send(res, 500, page('Identity provider error', `<pre>${html(err)}</pre>`));
    }
  });
  server.listen(port, '127.0.0.1', () => process.stdout.write(`READY ${server.address().port}\n`));
}

function saml() {
  const require = createRequire(import.meta.url);
  const { runServer } = require('saml-idp');
  const user = JSON.parse(need('user'));
  const here = (file) => fileURLToPath(new URL(file, import.meta.url));
  const { attributes, ...subject } = user;
  const port = Number(need('port'));
  // The user and attribute list go in a config file: passed inline, yargs would split their keys (attribute
  // names are URIs) at the dots.
  const configFile = join(tmpdir(), `gatehouse-peer-saml-idp-${process.pid}.cjs`);
  writeFileSync(configFile, `module.exports = ${JSON.stringify({
    user: { nameIdFormat: 'urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress', ...subject, ...attributes },
    metadata: Object.keys(attributes).map((id) => ({
      id, optional: false, displayName: id.split('/').pop(), multiValue: false,
    })),
  })};\n`);
  runServer({
    host: '127.0.0.1',
    port,
    cert: here('./saml-idp-cert.pem'),
    key: here('./saml-idp-key.pem'),
    issuer: need('issuer'),
    acsUrl: need('acs'),
    audience: need('audience'),
    configFile,
  });
  // runServer has required the config by now.
  unlinkSync(configFile);
  // saml-idp prints its own banner; say READY once it answers.
  const probe = () => fetch(`http://127.0.0.1:${port}/metadata`).then(
    (r) => (r.ok ? process.stdout.write(`READY ${port}\n`) : setTimeout(probe, 100)),
    () => setTimeout(probe, 100),
  );
  probe();
}

if (mode === 'oidc') {
  await oidc();
} else if (mode === 'saml') {
  saml();
} else {
  process.stderr.write('usage: node idp.mjs oidc|saml --port P ... (see the head of this file)\n');
  process.exit(2);
}
