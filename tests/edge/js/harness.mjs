// Runs CloudFront Function code under Node.
//
// Fakes, because CloudFront's runtime does not run here: `cloudfront` (KeyValueStore reads and
// origin selection) is a small in-memory stand-in; `crypto` and `Buffer` are Node's, which
// implement the same createHash/digest and base64 calls the function uses. The loader
// (tools/local/edge/cloudfront.mjs) is the one the local edge runs the function with.
import crypto from 'node:crypto';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

import { importsOf, loadHandler } from '../../../tools/local/edge/cloudfront.mjs';

export { importsOf, loadHandler };

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
export const CUTOVER_JS = path.join(ROOT, 'lambda_src', 'edge', 'cutover.js');
export const SPA_FALLBACK_JS = path.join(ROOT, 'lambda_src', 'edge', 'spa_fallback.js');

/** In-memory stand-in for the `cloudfront` module: KeyValueStore plus origin selection. */
export class FakeCloudFront {
  constructor(values = {}) {
    this.values = new Map(Object.entries(values));
    this.selections = [];
    this.failReads = false;
    this.failSelection = false;
  }

  set(key, value) {
    this.values.set(key, value);
  }

  delete(key) {
    this.values.delete(key);
  }

  kvs() {
    // The handle is taken once at load time, like the real function does; reads see later
    // changes to the store.
    return {
      get: async (key) => {
        if (this.failReads) throw new Error('KeyValueStore unavailable');
        if (!this.values.has(key)) throw new Error(`key not found: ${key}`);
        return this.values.get(key);
      },
      exists: async (key) => {
        if (this.failReads) throw new Error('KeyValueStore unavailable');
        return this.values.has(key);
      },
    };
  }

  selectRequestOriginById(id) {
    if (this.failSelection) throw new Error('origin not found');
    this.selections.push(id);
  }

  takeSelections() {
    const taken = this.selections;
    this.selections = [];
    return taken;
  }
}

export function loadCutover(values) {
  const cf = new FakeCloudFront(values);
  const handler = loadHandler(CUTOVER_JS, { cloudfront: cf, crypto });
  return { cf, handler };
}

function base64url(value) {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}

/** An unsigned JWT-shaped bearer token (the function never verifies signatures). */
export function bearer(claims) {
  return `Bearer ${base64url({ alg: 'RS256', kid: 'test' })}.${base64url(claims)}.c2lnbmF0dXJl`;
}

export function viewerRequest({ ip = '198.51.100.10', cookie, authorization, extraHeaders = {} } = {}) {
  const headers = { host: { value: 'd111111abcdef8.cloudfront.net' } };
  if (authorization !== undefined) headers.authorization = { value: authorization };
  for (const [name, value] of Object.entries(extraHeaders)) headers[name] = { value };
  const cookies = cookie === undefined ? {} : { '__Host-taskly-cutover': { value: cookie } };
  return {
    version: '1.0',
    context: { eventType: 'viewer-request', distributionId: 'EDFDVBD6EXAMPLE' },
    viewer: { ip },
    request: { method: 'GET', uri: '/api/tasks', querystring: {}, headers, cookies },
  };
}

export function viewerResponse(request, { status = 200, cookies = {} } = {}) {
  return {
    ...request,
    context: { ...request.context, eventType: 'viewer-response' },
    response: { statusCode: status, statusDescription: 'OK', headers: {}, cookies },
  };
}

/** Route one request; returns 'new' or 'legacy'. */
export async function route(loaded, event) {
  const returned = await loaded.handler(event);
  if (returned !== event.request) throw new Error('viewer-request must return the request');
  const selections = loaded.cf.takeSelections();
  if (selections.length > 1) throw new Error(`selected ${selections.length} origins`);
  return selections.length === 1 && selections[0] === 'http-api' ? 'new' : 'legacy';
}

/** The i-th of `count` distinct viewer IPs (TEST-NET and private ranges). */
export function ipNumber(i) {
  return `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`;
}

/** Share of `count` distinct viewers sent to the new origin, keyed by IP or by token subject. */
export async function measureShare(loaded, count, keyKind) {
  let toNew = 0;
  for (let i = 0; i < count; i += 1) {
    const event =
      keyKind === 'ip'
        ? viewerRequest({ ip: ipNumber(i) })
        : viewerRequest({ ip: '192.0.2.1', authorization: bearer({ sub: `user-${i}` }) });
    if ((await route(loaded, event)) === 'new') toNew += 1;
  }
  return toNew / count;
}
