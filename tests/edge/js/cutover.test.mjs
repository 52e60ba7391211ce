// Behaviour of lambda_src/edge/cutover.js under the in-memory CloudFront stand-in (harness.mjs).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';

import {
  bearer,
  ipNumber,
  loadCutover,
  measureShare,
  route,
  viewerRequest,
  viewerResponse,
} from './harness.mjs';

const KEYS = 10000;

async function routedToNew(loaded, events) {
  const chosen = new Set();
  for (let i = 0; i < events.length; i += 1) {
    if ((await route(loaded, events[i])) === 'new') chosen.add(i);
  }
  return chosen;
}

function ipEvents(count) {
  return Array.from({ length: count }, (_, i) => viewerRequest({ ip: ipNumber(i) }));
}

test('weight 0 keeps every viewer on legacy', async () => {
  const loaded = loadCutover({ weight: '0', kill_switch: 'off' });
  assert.equal(await measureShare(loaded, KEYS, 'ip'), 0);
});

test('weight 100 sends every viewer to the new origin', async () => {
  const loaded = loadCutover({ weight: '100', kill_switch: 'off' });
  assert.equal(await measureShare(loaded, KEYS, 'ip'), 1);
  assert.equal(await measureShare(loaded, KEYS, 'sub'), 1);
});

test('weight 30 sends 30% +- 2% of 10,000 viewers to the new origin', async () => {
  const loaded = loadCutover({ weight: '30', kill_switch: 'off' });
  for (const kind of ['ip', 'sub']) {
    const share = await measureShare(loaded, KEYS, kind);
    assert.ok(Math.abs(share - 0.3) <= 0.02, `${kind}-keyed share ${share} is outside 0.28..0.32`);
  }
});

test('the same key always lands on the same origin', async () => {
  const loaded = loadCutover({ weight: '50', kill_switch: 'off' });
  for (let i = 0; i < 200; i += 1) {
    const first = await route(loaded, viewerRequest({ ip: ipNumber(i) }));
    for (let repeat = 0; repeat < 5; repeat += 1) {
      assert.equal(await route(loaded, viewerRequest({ ip: ipNumber(i) })), first);
    }
    const token = bearer({ sub: `user-${i}` });
    const bySubject = await route(loaded, viewerRequest({ ip: '192.0.2.1', authorization: token }));
    const elsewhere = viewerRequest({ ip: '203.0.113.99', authorization: token });
    assert.equal(await route(loaded, elsewhere), bySubject, 'a new IP must not move a signed-in user');
  }
});

test('raising the weight from 30 to 50 moves nobody from new back to legacy', async () => {
  const loaded = loadCutover({ weight: '30', kill_switch: 'off' });
  const events = ipEvents(KEYS);
  const at30 = await routedToNew(loaded, events);
  loaded.cf.set('weight', '50');
  const at50 = await routedToNew(loaded, events);
  const movedBack = [...at30].filter((i) => !at50.has(i));
  assert.deepEqual(movedBack, []);
  assert.ok(at50.size > at30.size, 'raising the weight must move some viewers to the new origin');
});

for (const malformed of ['', 'abc', '101', '-1', '30%', ' 30', '30 ', '3.5', '030', '1e2', 'NaN']) {
  test(`malformed weight ${JSON.stringify(malformed)} keeps everyone on legacy`, async () => {
    const loaded = loadCutover({ weight: malformed, kill_switch: 'off' });
    assert.equal(await measureShare(loaded, 500, 'ip'), 0);
  });
}

test('a missing weight keeps everyone on legacy', async () => {
  const loaded = loadCutover({ kill_switch: 'off' });
  assert.equal(await measureShare(loaded, 500, 'ip'), 0);
});

test('an unreadable store keeps everyone on legacy and never throws', async () => {
  const loaded = loadCutover({ weight: '100', kill_switch: 'off' });
  loaded.cf.failReads = true;
  assert.equal(await measureShare(loaded, 100, 'ip'), 0);
});

test('a failing origin selection falls back to legacy', async () => {
  const loaded = loadCutover({ weight: '100', kill_switch: 'off' });
  loaded.cf.failSelection = true;
  assert.equal(await route(loaded, viewerRequest()), 'legacy');
});

test('the kill switch overrides the weight; a missing switch is off', async () => {
  const loaded = loadCutover({ weight: '100', kill_switch: 'on' });
  assert.equal(await measureShare(loaded, 200, 'ip'), 0);
  loaded.cf.set('kill_switch', 'off');
  assert.equal(await measureShare(loaded, 200, 'ip'), 1);
  loaded.cf.delete('kill_switch');
  assert.equal(await measureShare(loaded, 200, 'ip'), 1);
  loaded.cf.set('kill_switch', 'maybe');
  assert.equal(await measureShare(loaded, 200, 'ip'), 0, 'an unknown switch value fails safe');
});

test('the cookie set on first sight keeps the viewer on its origin when the IP changes', async () => {
  const loaded = loadCutover({ weight: '40', kill_switch: 'off' });
  for (let i = 0; i < 200; i += 1) {
    const first = viewerRequest({ ip: ipNumber(i) });
    const origin = await route(loaded, first);
    const response = await loaded.handler(viewerResponse(first));
    const cookie = response.cookies['__Host-taskly-cutover'];
    assert.match(cookie.value, /^[0-9a-f]{8}$/);
    assert.equal(cookie.attributes, 'Path=/; Secure; HttpOnly; SameSite=Lax; Max-Age=2592000');
    const later = viewerRequest({ ip: '203.0.113.200', cookie: cookie.value });
    assert.equal(await route(loaded, later), origin);
  }
});

test('a valid cookie wins over the token subject and is not re-issued', async () => {
  const loaded = loadCutover({ weight: '50', kill_switch: 'off' });
  // Bucket 0 is below every weight above 0; bucket 99 is at or above every weight below 100.
  const toNew = viewerRequest({ cookie: '00000000', authorization: bearer({ sub: 'someone' }) });
  const toLegacy = viewerRequest({ cookie: '00000063', authorization: bearer({ sub: 'someone' }) });
  assert.equal(await route(loaded, toNew), 'new');
  assert.equal(await route(loaded, toLegacy), 'legacy');
  const response = await loaded.handler(viewerResponse(toNew));
  assert.deepEqual(response.cookies, {});
});

test('a tampered cookie is ignored and replaced', async () => {
  const loaded = loadCutover({ weight: '50', kill_switch: 'off' });
  const request = viewerRequest({ ip: ipNumber(7), cookie: 'not-a-hash' });
  const expected = await route(loaded, viewerRequest({ ip: ipNumber(7) }));
  assert.equal(await route(loaded, request), expected);
  const response = await loaded.handler(viewerResponse(request));
  assert.match(response.cookies['__Host-taskly-cutover'].value, /^[0-9a-f]{8}$/);
});

test('malformed bearer tokens fall back to the viewer IP without throwing', async () => {
  const loaded = loadCutover({ weight: '50', kill_switch: 'off' });
  const byIp = await route(loaded, viewerRequest({ ip: ipNumber(3) }));
  for (const authorization of ['Bearer', 'Bearer a.b', 'Bearer !!!.@@@.###', 'Basic dXNlcjpw', bearer({ sub: 42 }), bearer({}), 'Bearer e30.bm90IGpzb24.']) {
    assert.equal(await route(loaded, viewerRequest({ ip: ipNumber(3), authorization })), byIp);
  }
});

test('the viewer-response handler never breaks a response', async () => {
  const loaded = loadCutover({ weight: '50', kill_switch: 'off' });
  const event = viewerResponse(viewerRequest());
  delete event.response.cookies;
  const response = await loaded.handler(event);
  assert.equal(response, event.response);
  assert.equal(response.statusCode, 200);
});

// --- tester override ---------------------------------------------------------------------

const TOKEN = 'k9J3t2bQ_x7LmP0vR4sW8yZ1aC5dE6fG7hI9jK2lM3n';
const TOKEN_HASH = crypto.createHash('sha256').update(TOKEN).digest('hex');

function overrideEvent(origin, token, options = {}) {
  const extraHeaders = { 'x-taskly-origin': origin };
  if (token !== undefined) extraHeaders['x-taskly-override-token'] = token;
  return viewerRequest({ ...options, extraHeaders });
}

test('a valid override token forces the new origin at weight 0 and legacy at weight 100', async () => {
  const loaded = loadCutover({ weight: '0', kill_switch: 'off', override_token_sha256: TOKEN_HASH });
  for (let i = 0; i < 50; i += 1) {
    assert.equal(await route(loaded, overrideEvent('new', TOKEN, { ip: ipNumber(i) })), 'new');
  }
  loaded.cf.set('weight', '100');
  for (let i = 0; i < 50; i += 1) {
    assert.equal(await route(loaded, overrideEvent('legacy', TOKEN, { ip: ipNumber(i) })), 'legacy');
  }
});

test('a wrong, missing or malformed token routes as if the override were absent', async () => {
  for (const weight of ['0', '100', '50']) {
    const loaded = loadCutover({ weight, kill_switch: 'off', override_token_sha256: TOKEN_HASH });
    for (let i = 0; i < 100; i += 1) {
      const plain = await route(loaded, viewerRequest({ ip: ipNumber(i) }));
      const forced = plain === 'new' ? 'legacy' : 'new';
      for (const token of [undefined, '', 'x'.repeat(43), TOKEN.slice(0, -1), TOKEN + 'a', TOKEN_HASH, 'bad token!']) {
        assert.equal(await route(loaded, overrideEvent(forced, token, { ip: ipNumber(i) })), plain);
      }
    }
  }
});

test('an unknown origin value or a missing stored hash leaves routing to the weight', async () => {
  const loaded = loadCutover({ weight: '0', kill_switch: 'off', override_token_sha256: TOKEN_HASH });
  for (const origin of ['NEW', 'http-api', '', 'new ']) {
    assert.equal(await route(loaded, overrideEvent(origin, TOKEN)), 'legacy');
  }
  loaded.cf.delete('override_token_sha256');
  assert.equal(await route(loaded, overrideEvent('new', TOKEN)), 'legacy');
  loaded.cf.set('override_token_sha256', 'not-a-hash');
  assert.equal(await route(loaded, overrideEvent('new', TOKEN)), 'legacy');
});

test('the kill switch beats the override: nobody reaches the new origin', async () => {
  const loaded = loadCutover({ weight: '100', kill_switch: 'on', override_token_sha256: TOKEN_HASH });
  assert.equal(await route(loaded, overrideEvent('new', TOKEN)), 'legacy');
});

test('neither override header is forwarded to an origin, valid token or not', async () => {
  const loaded = loadCutover({ weight: '50', kill_switch: 'off', override_token_sha256: TOKEN_HASH });
  for (const token of [TOKEN, 'wrong-token-wrong-token-wrong']) {
    const event = overrideEvent('new', token);
    const forwarded = await loaded.handler(event);
    loaded.cf.takeSelections();
    assert.equal(forwarded.headers['x-taskly-override-token'], undefined);
    assert.equal(forwarded.headers['x-taskly-origin'], undefined);
    assert.equal(forwarded.headers.host.value, 'd111111abcdef8.cloudfront.net');
  }
  loaded.cf.failReads = true;
  const event = overrideEvent('new', TOKEN);
  const forwarded = await loaded.handler(event);
  assert.equal(forwarded.headers['x-taskly-override-token'], undefined, 'even when the store fails');
});
