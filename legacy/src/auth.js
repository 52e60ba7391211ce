// Bearer tokens from the user pool, checked like the migrated API's JWT authorizer: RS256
// signature against the pool's JWKS, issuer, expiry, an access token for our client, the scope.
import { readFileSync } from 'node:fs';
import { createLocalJWKSet, createRemoteJWKSet, errors, jwtVerify } from 'jose';

import { forbidden, unauthorized } from './errors.js';

export function keySet({ jwksFile, jwksUrl }) {
  if (jwksFile) return createLocalJWKSet(JSON.parse(readFileSync(jwksFile, 'utf8')));
  return createRemoteJWKSet(new URL(jwksUrl));
}

/** Middleware that sets req.user = {id, username, scopes} or answers 401/403. */
export function authenticate({ keys, issuer, clientId, scope }) {
  return async (req, res, next) => {
    const header = req.get('authorization') ?? '';
    const token = header.replace(/^Bearer /, '').trim();
    if (!token) throw unauthorized('no bearer token');
    let payload;
    try {
      ({ payload } = await jwtVerify(token, keys, {
        issuer,
        algorithms: ['RS256'],
        requiredClaims: ['exp', 'iat', 'sub', 'token_use', 'client_id'],
      }));
    } catch (error) {
      if (error instanceof errors.JOSEError) throw unauthorized(error.message);
      throw error;
    }
    if (payload.token_use !== 'access') throw unauthorized('not an access token');
    if (payload.client_id !== clientId) throw unauthorized('token issued to another client');
    if (typeof payload.sub !== 'string' || !payload.sub || payload.sub.length > 128) {
      throw unauthorized('no usable subject');
    }
    const scopes = typeof payload.scope === 'string' ? payload.scope.split(' ') : [];
    if (!scopes.includes(scope)) throw forbidden();
    req.user = { id: payload.sub, username: payload.username ?? payload.sub, scopes };
    next();
  };
}
