// Wire formats and start-up settings (no database needed).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

import { loadConfig } from '../src/config.js';
import { decodeCursor, encodeCursor, timestamp } from '../src/format.js';

const SERVER = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', 'src', 'server.js');

test('timestamps are UTC with microseconds, no fraction when it is zero', () => {
  assert.equal(timestamp(new Date('2026-01-02T03:04:05.123Z')), '2026-01-02T03:04:05.123000Z');
  assert.equal(timestamp(new Date('2026-01-02T03:04:05.000Z')), '2026-01-02T03:04:05Z');
});

test('cursors round-trip; anything we did not issue is refused', () => {
  const id = '65f0c0ffee0000000000beef';
  assert.equal(encodeCursor(id), 'eyJ2IjoxLCJhZnRlciI6IjY1ZjBjMGZmZWUwMDAwMDAwMDAwYmVlZiJ9');
  assert.equal(decodeCursor(encodeCursor(id)), id);
  for (const bad of ['', 'e30', 'x'.repeat(201), 'eyJ2IjoyLCJhZnRlciI6IjY1ZjBjMGZmZWUwMDAwMDAwMDAwYmVlZiJ9', '!!!', 'eyJ2IjoxLCJhZnRlciI6Im5vIn0']) {
    assert.equal(decodeCursor(bad), null, bad);
  }
});

test('a missing setting stops the server with one line and exit 2', () => {
  assert.throws(() => loadConfig({ JWKS_FILE: 'x', JWT_ISSUER: 'i', JWT_CLIENT_ID: 'c' }), /MONGODB_URI is not set/);
  assert.throws(() => loadConfig({ PORT: 'eighty' }), /PORT must be a port number/);
  const result = spawnSync(process.execPath, [SERVER], { env: { PATH: process.env.PATH }, encoding: 'utf8' });
  assert.equal(result.status, 2);
  assert.equal(result.stderr, 'legacy: set JWKS_FILE or JWKS_URL\n');
});
