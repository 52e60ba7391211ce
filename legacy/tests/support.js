// Test support: a real MongoDB-wire server (SecantusDB, TLS + SCRAM, through the repository's
// tools/local/db launcher, stopped by PID), a signing key standing in for the user pool, and
// the app listening on a free port of 127.0.0.1.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';

import { createLocalJWKSet, exportJWK, generateKeyPair, SignJWT } from 'jose';
import { MongoClient } from 'mongodb';

import { createApp } from '../src/app.js';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const ISSUER = 'https://cognito-idp.test.taskly.invalid/test_pool';
export const CLIENT_ID = 'taskly-test-spa';
export const SCOPE = 'taskly/api';
const STARTUP_MS = 60_000;

/** Start the wire server the way `make local` does; resolves to {uri, stop()}. */
export async function startDatabase() {
  const python = process.env.TASKLY_PYTHON ?? path.join(REPO, '.venv', 'bin', 'python');
  const stateDir = mkdtempSync(path.join(tmpdir(), 'taskly-legacy-db-'));
  const child = spawn(python, ['-m', 'tools.local.db', 'serve', '--state-dir', stateDir, '--memory', '--parent-pid', String(process.pid)], {
    cwd: REPO,
    env: { ...process.env, PYTHONPATH: REPO },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (chunk) => {
    stderr += chunk;
  });
  const connectionFile = path.join(stateDir, 'connection.json');
  const deadline = Date.now() + STARTUP_MS;
  while (!existsSync(connectionFile)) {
    if (child.exitCode !== null || Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`the wire server did not start (exit ${child.exitCode}): ${stderr}`);
    }
    await sleep(50);
  }
  const info = JSON.parse(readFileSync(connectionFile, 'utf8'));
  const params = new URLSearchParams({
    tls: 'true',
    tlsCAFile: info.ca_file,
    replicaSet: info.replica_set,
    retryWrites: 'false',
    authSource: info.auth_source,
  });
  const credentials = `${encodeURIComponent(info.username)}:${encodeURIComponent(info.password)}`;
  return {
    uri: `mongodb://${credentials}@${info.host}:${info.port}/?${params}`,
    async stop() {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      process.kill(child.pid, 'SIGTERM');
      await exited;
      rmSync(stateDir, { recursive: true, force: true });
    },
  };
}

export async function signingKey() {
  const { privateKey, publicKey } = await generateKeyPair('RS256');
  const jwk = { ...(await exportJWK(publicKey)), kid: 'test-key', alg: 'RS256', use: 'sig' };
  return { privateKey, keys: createLocalJWKSet({ keys: [jwk] }) };
}

/** A Cognito-shaped access token; `claims` and `header` override the defaults. */
export async function token(privateKey, subject, { claims = {}, header = {}, expiresIn = '1h' } = {}) {
  return new SignJWT({ token_use: 'access', client_id: CLIENT_ID, scope: SCOPE, username: subject, ...claims })
    .setProtectedHeader({ alg: 'RS256', kid: 'test-key', ...header })
    .setSubject(subject)
    .setIssuer(ISSUER)
    .setIssuedAt()
    .setExpirationTime(expiresIn)
    .sign(privateKey);
}

/** The app on a free port against database `name`; resolves to {url, db, close()}. */
export async function startApp({ uri, keys, name, now }) {
  const client = await new MongoClient(uri).connect();
  const db = client.db(name);
  const app = createApp({ db, keys, issuer: ISSUER, clientId: CLIENT_ID, now, log: () => {} });
  const server = await new Promise((resolve) => {
    const listening = app.listen(0, '127.0.0.1', () => resolve(listening));
  });
  return {
    url: `http://127.0.0.1:${server.address().port}`,
    db,
    async close() {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
      await client.close();
    },
  };
}
