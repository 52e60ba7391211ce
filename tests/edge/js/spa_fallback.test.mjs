// Behaviour of lambda_src/edge/spa_fallback.js (no modules to fake: it imports nothing).
import { test } from 'node:test';
import assert from 'node:assert/strict';

import { loadHandler, SPA_FALLBACK_JS } from './harness.mjs';

const handler = loadHandler(SPA_FALLBACK_JS, {});

function uriAfter(uri) {
  const request = { method: 'GET', uri, querystring: {}, headers: {}, cookies: {} };
  return handler({ context: { eventType: 'viewer-request' }, viewer: { ip: '192.0.2.1' }, request }).uri;
}

test('client-side routes get the SPA shell', () => {
  for (const uri of ['/', '/tasks', '/tasks/42', '/settings/profile/']) {
    assert.equal(uriAfter(uri), '/index.html', uri);
  }
});

test('files keep their path, so a missing asset is still an error', () => {
  for (const uri of ['/index.html', '/assets/app.3f2a.js', '/favicon.ico', '/assets/missing.css']) {
    assert.equal(uriAfter(uri), uri);
  }
});
