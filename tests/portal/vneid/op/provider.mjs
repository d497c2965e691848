// The test stand-in for VNeID: panva's certified OpenID Provider (oidc-provider 9), run on
// 127.0.0.1 on a free port by tests/portal/vneid/conftest.py.
//
// Its configuration arrives as JSON in the VNEID_OP_CONFIG environment variable:
//   { "issuer": "http://127.0.0.1:<port of the proxy in front>", "client": {...}, "users": {login: {...}},
//     "jwks": {"keys": [private JWK, ...]} }
// It prints one line `{"port": N, "issuer": "..."}` once it listens.
//
// The sign-in page (/interaction/<uid>) is a plain form: the test user's login (số định danh)
// and password. The level of assurance given is LoA2 when asked for and the user holds it,
// LoA1 otherwise. Consent is granted on sign-in (the portal is a first-party client).
import http from 'node:http';

import Provider from 'oidc-provider';

const config = JSON.parse(process.env.VNEID_OP_CONFIG);
const users = config.users;

function page(res, status, body) {
  res.writeHead(status, { 'content-type': 'text/html; charset=utf-8' });
  res.end(`<!DOCTYPE html><html lang="vi"><head><meta charset="utf-8"><title>VNeID (test)</title></head><body>${body}</body></html>`);
}

function escape(text) {
  return String(text).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

async function readForm(req) {
  const chunks = [];
  for await (const chunk of req) chunks.push(chunk);
  return new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
}

const server = http.createServer();
server.listen(0, '127.0.0.1', () => {
  const { port } = server.address();
  const issuer = config.issuer || `http://127.0.0.1:${port}`;
  const provider = new Provider(issuer, {
    clients: [config.client],
    jwks: config.jwks,
    acrValues: ['LoA1', 'LoA2'],
    scopes: ['openid', 'profile', 'email'],
    claims: {
      openid: ['sub'],
      profile: ['name', 'birthdate', 'gender', 'citizen_id', 'phone_number', 'address'],
      email: ['email', 'email_verified'],
    },
    cookies: { keys: ['test-only-cookie-key-vneid-op'] },
    pkce: { required: () => true },
    features: {
      devInteractions: { enabled: false },
      rpInitiatedLogout: {
        enabled: true,
        // Sign the user out at once (the test provider asks nothing): the form posts itself.
        logoutSource: async (ctx, form) => {
          ctx.body = `<!DOCTYPE html><html><head><meta charset="utf-8"><title>Sign out</title></head><body>${form}<button type="submit" form="op.logoutForm" name="logout" value="yes" id="op-logout">Đăng xuất</button></body></html>`;
        },
      },
    },
    interactions: { url: (ctx, interaction) => `/interaction/${interaction.uid}` },
    findAccount: async (ctx, sub) => {
      const user = Object.values(users).find((candidate) => candidate.sub === sub);
      if (!user) return undefined;
      return {
        accountId: sub,
        claims: async () => ({ sub, ...user.claims }),
      };
    },
  });
  provider.proxy = false;
  const callback = provider.callback();

  server.on('request', async (req, res) => {
    const url = new URL(req.url, issuer);
    const match = url.pathname.match(/^\/interaction\/([^/]+)(\/login)?$/);
    if (!match) {
      callback(req, res);
      return;
    }
    try {
      const details = await provider.interactionDetails(req, res);
      if (req.method === 'GET') {
        page(res, 200, `<h1>Đăng nhập VNeID (máy chủ thử nghiệm)</h1>
          <form method="post" action="/interaction/${escape(details.uid)}/login">
            <label>Số định danh <input name="login" id="op-login" autocomplete="off"></label>
            <label>Mật khẩu <input name="password" id="op-password" type="password"></label>
            <button type="submit" id="op-submit">Đăng nhập</button>
          </form>`);
        return;
      }
      const form = await readForm(req);
      const user = users[form.get('login')];
      if (!user || user.password !== form.get('password')) {
        page(res, 401, '<p id="op-error">Sai số định danh hoặc mật khẩu.</p>');
        return;
      }
      const requested = String(details.params.acr_values || '').split(' ');
      const acr = requested.includes('LoA2') && user.loa === 'LoA2' ? 'LoA2' : 'LoA1';
      const grant = new provider.Grant({ accountId: user.sub, clientId: details.params.client_id });
      grant.addOIDCScope(String(details.params.scope));
      const grantId = await grant.save();
      await provider.interactionFinished(
        req,
        res,
        { login: { accountId: user.sub, acr, amr: ['pwd'] }, consent: { grantId } },
        { mergeWithLastSubmission: false },
      );
    } catch (error) {
      page(res, 400, `<p id="op-error">${escape(error.message)}</p>`);
    }
  });
  process.stdout.write(`${JSON.stringify({ port, issuer })}\n`);
});
