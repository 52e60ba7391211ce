// The local edge: what CloudFront's /api/* behaviour does, on one port of 127.0.0.1.
//
//   node tools/local/edge/edge.mjs --port 8080 --store .local/edge/kvs.json \
//        --new-origin http://127.0.0.1:3000 --legacy-origin http://127.0.0.1:3002
//
// Every /api/* request runs the real lambda_src/edge/cutover.js as a viewer-request function:
// the function reads `weight`, `kill_switch` and the override hash from the KeyValueStore kept
// in --store (re-read on every request, so `cutover set N --local` applies at once) and may
// call cf.selectRequestOriginById('http-api'); otherwise the request goes to the behaviour's
// own origin, legacy. The request the function returns (headers it removed stay removed) is
// forwarded without Host, as the behaviour's ALL_VIEWER_EXCEPT_HOST_HEADER policy does, and the
// function runs again on the response (viewer-response: the stickiness cookie).
//
// Not CloudFront: no TLS, no caching (the behaviour disables it anyway), no edge locations, no
// origin failover or custom error pages. The new origin here is the local API's port that adds
// x-origin-verify, standing in for the distribution's origin custom header. Which origin
// answered shows in the origins' own headers, which CloudFront passes through: legacy sends
// x-taskly-backend, API Gateway sends apigw-requestid (both, when the new API proxied a route
// that is not migrated to legacy).
import { AsyncLocalStorage } from 'node:async_hooks';
import crypto from 'node:crypto';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

import { loadHandler } from './cloudfront.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const CUTOVER_JS = path.join(ROOT, 'lambda_src', 'edge', 'cutover.js');
// cdk_constructs/weighted_cutover.py NEW_ORIGIN_ID; any other id is an error at the edge.
const NEW_ORIGIN_ID = 'http-api';
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'transfer-encoding', 'upgrade', 'proxy-connection', 'te', 'trailer']);

/** The `cloudfront` module: the KeyValueStore in a JSON file, origin selection per request. */
function cloudFrontModule(storeFile, selections) {
  const values = () => JSON.parse(readFileSync(storeFile, 'utf8')).values;
  return {
    kvs: () => ({
      get: async (key) => {
        const current = values();
        if (!Object.hasOwn(current, key)) throw new Error(`key not found: ${key}`);
        return current[key];
      },
      exists: async (key) => Object.hasOwn(values(), key),
    }),
    selectRequestOriginById: (id) => {
      if (id !== NEW_ORIGIN_ID) throw new Error(`no origin with id ${id}`);
      selections.getStore().origin = 'new';
    },
  };
}

function parseCookies(header) {
  const cookies = {};
  for (const part of (header ?? '').split(';')) {
    const at = part.indexOf('=');
    if (at > 0) cookies[part.slice(0, at).trim()] = { value: part.slice(at + 1).trim() };
  }
  return cookies;
}

function viewerRequest(req, url) {
  const headers = {};
  for (const [name, value] of Object.entries(req.headers)) {
    if (name !== 'cookie') headers[name] = { value: Array.isArray(value) ? value.join(',') : value };
  }
  const querystring = {};
  for (const [name, value] of url.searchParams) querystring[name] = { value };
  return {
    version: '1.0',
    context: { eventType: 'viewer-request', distributionId: 'LOCALEDGE', requestId: crypto.randomUUID() },
    viewer: { ip: req.socket.remoteAddress.replace(/^::ffff:/, '') },
    request: { method: req.method, uri: url.pathname, querystring, headers, cookies: parseCookies(req.headers.cookie) },
  };
}

function originHeaders(request, viewerIp) {
  const headers = {};
  for (const [name, { value }] of Object.entries(request.headers)) {
    if (name !== 'host' && !HOP_BY_HOP.has(name)) headers[name] = value;
  }
  const cookies = Object.entries(request.cookies).map(([name, { value }]) => `${name}=${value}`);
  if (cookies.length > 0) headers.cookie = cookies.join('; ');
  headers['x-forwarded-for'] = viewerIp;
  headers.via = '1.1 local-edge (CloudFront stand-in)';
  return headers;
}

function send(res, status, message) {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify({ message }));
}

export function createEdge({ storeFile, newOrigin, legacyOrigin }) {
  const selections = new AsyncLocalStorage();
  const handler = loadHandler(CUTOVER_JS, { cloudfront: cloudFrontModule(storeFile, selections), crypto });
  const origins = { new: new URL(newOrigin), legacy: new URL(legacyOrigin) };

  async function serve(req, res) {
    const url = new URL(req.url, 'http://edge.invalid');
    if (!url.pathname.startsWith('/api/')) {
      send(res, 404, 'the local edge serves /api/* only (the SPA is not served locally)');
      return;
    }
    const event = viewerRequest(req, url);
    const selected = { origin: 'legacy' };
    let request;
    try {
      request = await selections.run(selected, () => handler(event));
    } catch (error) {
      // What CloudFront answers when a viewer-request function throws.
      console.error(`local edge: cutover.js failed: ${error.stack}`);
      send(res, 503, 'The CloudFront function failed');
      return;
    }
    const origin = origins[selected.origin];
    const query = Object.entries(request.querystring).map(([name, { value }]) => `${encodeURIComponent(name)}=${encodeURIComponent(value)}`);
    const forwarded = http.request({
      host: origin.hostname,
      port: origin.port,
      method: request.method,
      path: `${request.uri}${query.length ? `?${query.join('&')}` : ''}`,
      headers: originHeaders(request, event.viewer.ip),
      timeout: 30_000,
    });
    forwarded.on('timeout', () => forwarded.destroy(new Error('origin timed out')));
    forwarded.on('error', (error) => {
      if (!res.headersSent) send(res, 502, `origin ${selected.origin} unreachable: ${error.message}`);
    });
    forwarded.on('response', async (answer) => {
      const response = { statusCode: answer.statusCode, statusDescription: answer.statusMessage, headers: {}, cookies: {} };
      const after = await handler({ ...event, context: { ...event.context, eventType: 'viewer-response' }, request, response });
      const headers = Object.entries(answer.headers).filter(([name]) => !HOP_BY_HOP.has(name));
      const cookies = Object.entries(after.cookies ?? {}).map(([name, { value, attributes }]) => `${name}=${value}${attributes ? `; ${attributes}` : ''}`);
      const setCookie = [...(answer.headers['set-cookie'] ?? []), ...cookies];
      const out = Object.fromEntries(headers.filter(([name]) => name !== 'set-cookie'));
      if (setCookie.length > 0) out['set-cookie'] = setCookie;
      res.writeHead(answer.statusCode, out);
      answer.pipe(res);
    });
    req.pipe(forwarded);
  }

  return http.createServer((req, res) => {
    serve(req, res).catch((error) => {
      console.error(`local edge: ${error.stack}`);
      if (!res.headersSent) send(res, 502, 'local edge error');
    });
  });
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { values } = parseArgs({
    options: {
      host: { type: 'string', default: '127.0.0.1' },
      port: { type: 'string', default: '8080' },
      store: { type: 'string' },
      'new-origin': { type: 'string' },
      'legacy-origin': { type: 'string' },
    },
  });
  for (const name of ['store', 'new-origin', 'legacy-origin']) {
    if (!values[name]) {
      console.error(`local edge: --${name} is required`);
      process.exit(2);
    }
  }
  const server = createEdge({ storeFile: values.store, newOrigin: values['new-origin'], legacyOrigin: values['legacy-origin'] });
  server.on('error', (error) => {
    console.error(`local edge: ${error.message}`);
    process.exit(1);
  });
  server.listen(Number(values.port), values.host, () => {
    console.log(`local edge (lambda_src/edge/cutover.js) on http://${values.host}:${server.address().port}: /api/* to ${values['new-origin']} (new) or ${values['legacy-origin']} (legacy) by ${values.store}`);
  });
  const stop = () => {
    server.close(() => process.exit(0));
    server.closeAllConnections();
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}
