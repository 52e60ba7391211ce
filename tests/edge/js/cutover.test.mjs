// Behaviour of lambda_src/edge/cutover.js under the in-memory CloudFront stand-in (harness.mjs).
import { test } from 'node:test';
import assert from 'node:assert/strict';

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
