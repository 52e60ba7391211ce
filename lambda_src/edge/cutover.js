// CloudFront Function (cloudfront-js-2.0) on the /api/* behaviour: a weighted, sticky
// choice between the legacy origin and the new HTTP API origin.
//
// viewer-request:  bucket the viewer (0-99) by a stable id; buckets below the weight in the
//                  KeyValueStore go to the new origin, the rest stay on the behaviour's own
//                  origin (legacy). Any error or unreadable value keeps the request on legacy.
// viewer-response: on first sight, pin the viewer's id in a cookie so the choice survives a
//                  changing IP or a later sign-in.
// tester override: `x-taskly-origin: new|legacy` with `x-taskly-override-token: <token>` forces
//                  the origin for that request when the token's SHA-256 matches the hash in the
//                  store (`cutover override-token rotate` writes it); otherwise the request is
//                  routed as if the headers were absent. Neither header reaches an origin.
//
// Raising the weight only adds buckets, so nobody moves from the new origin back to legacy
// while a cut-over advances. The limits test (tests/edge/js) keeps this file inside what
// CloudFront Functions accept: under 10 KB and runtime 2.0 syntax only.
import cf from 'cloudfront';
import crypto from 'crypto';

// Origin id given to the HTTP API origin (cdk_constructs/weighted_cutover.py NEW_ORIGIN_ID).
const NEW_ORIGIN_ID = 'http-api';
// KeyValueStore keys (lambda_src/cutover_rollback/weight_store.py writes them).
const WEIGHT_KEY = 'weight';
const KILL_SWITCH_KEY = 'kill_switch';
const OVERRIDE_HASH_KEY = 'override_token_sha256';
const OVERRIDE_ORIGIN_HEADER = 'x-taskly-origin';
const OVERRIDE_TOKEN_HEADER = 'x-taskly-override-token';
// Tokens are printed by the CLI (43 URL-safe characters); anything else is not worth hashing.
const OVERRIDE_TOKEN = /^[\w-]{20,128}$/;
const SHA256_HEX = /^[0-9a-f]{64}$/;
// __Host- keeps a sibling subdomain from planting the cookie; the value is a hash, never an IP
// or a user id.
const COOKIE_NAME = '__Host-taskly-cutover';
const COOKIE_ATTRIBUTES = 'Path=/; Secure; HttpOnly; SameSite=Lax; Max-Age=2592000';
const BUCKET_ID = /^[0-9a-f]{8}$/;
const WEIGHT = /^(100|[1-9]?[0-9])$/;
const BEARER_JWT = /^Bearer\s+[\w-]+\.([\w-]+)\.[\w-]*$/i;

const kvs = cf.kvs();

function hashId(text) {
  return crypto.createHash('sha256').update(text).digest('hex').slice(0, 8);
}

// The token's subject, read WITHOUT verifying the signature: it only spreads viewers across
// buckets. API Gateway's JWT authorizer is what verifies tokens.
function tokenSubject(headers) {
  const authorization = headers.authorization;
  if (!authorization) {
    return null;
  }
  const match = BEARER_JWT.exec(authorization.value);
  if (!match) {
    return null;
  }
  try {
    const base64 = match[1].replace(/-/g, '+').replace(/_/g, '/');
    const padded = base64 + '==='.slice((base64.length + 3) % 4);
    const claims = JSON.parse(Buffer.from(padded, 'base64').toString('utf8'));
    return typeof claims.sub === 'string' && claims.sub.length > 0 ? claims.sub : null;
  } catch (e) {
    return null;
  }
}

function pinnedId(request) {
  const cookie = request.cookies[COOKIE_NAME];
  return cookie && BUCKET_ID.test(cookie.value) ? cookie.value : null;
}

// The cookie set on first sight, else the token's subject, else the viewer's IP.
function viewerId(event) {
  const pinned = pinnedId(event.request);
  if (pinned !== null) {
    return pinned;
  }
  const subject = tokenSubject(event.request.headers);
  return hashId(subject !== null ? 'sub:' + subject : 'ip:' + event.viewer.ip);
}

// What a tester asks for: {origin, hash} or null. Strips both headers from the request first,
// so the token never reaches an origin (or its logs) whether or not it is valid.
function overrideRequest(headers) {
  const origin = headers[OVERRIDE_ORIGIN_HEADER];
  const token = headers[OVERRIDE_TOKEN_HEADER];
  delete headers[OVERRIDE_ORIGIN_HEADER];
  delete headers[OVERRIDE_TOKEN_HEADER];
  if (!origin || !token || (origin.value !== 'new' && origin.value !== 'legacy')) {
    return null;
  }
  if (!OVERRIDE_TOKEN.test(token.value)) {
    return null;
  }
  // Only the hash is stored; comparing hashes leaks nothing about the token through timing.
  return { origin: origin.value, hash: crypto.createHash('sha256').update(token.value).digest('hex') };
}

function bucketOf(id) {
  return parseInt(id, 16) % 100;
}

function pinViewer(event) {
  const response = event.response;
  try {
    if (pinnedId(event.request) === null) {
      response.cookies[COOKIE_NAME] = { value: viewerId(event), attributes: COOKIE_ATTRIBUTES };
    }
  } catch (e) {
    // Stickiness is best effort; the response itself must never fail because of it.
  }
  return response;
}

async function handler(event) {
  if (event.context.eventType === 'viewer-response') {
    return pinViewer(event);
  }
  const request = event.request;
  try {
    const override = overrideRequest(request.headers);
    // A missing switch was never engaged; any value other than "off" keeps everyone on legacy,
    // testers included: the switch means nobody is served by the new API.
    if ((await kvs.exists(KILL_SWITCH_KEY)) && (await kvs.get(KILL_SWITCH_KEY)) !== 'off') {
      return request;
    }
    if (override !== null && (await kvs.exists(OVERRIDE_HASH_KEY))) {
      const expected = await kvs.get(OVERRIDE_HASH_KEY);
      if (SHA256_HEX.test(expected) && expected === override.hash) {
        if (override.origin === 'new') {
          cf.selectRequestOriginById(NEW_ORIGIN_ID);
        }
        return request;
      }
    }
    const weight = await kvs.get(WEIGHT_KEY);
    if (WEIGHT.test(weight) && bucketOf(viewerId(event)) < parseInt(weight, 10)) {
      cf.selectRequestOriginById(NEW_ORIGIN_ID);
    }
  } catch (e) {
    // Missing weight, unreadable store or a failed selection: the behaviour's origin (legacy).
  }
  return request;
}
