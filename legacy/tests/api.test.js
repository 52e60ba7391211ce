// The legacy API over real HTTP against a real MongoDB-wire server (see support.js).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { SignJWT } from 'jose';

import { CLIENT_ID, ISSUER, signingKey, startApp, startDatabase, token } from './support.js';

const TODAY = new Date('2026-03-10T12:00:00.000Z');
let database;
let app;
let key;
let alice;
let bob;

before(async () => {
  database = await startDatabase();
  key = await signingKey();
  app = await startApp({ uri: database.uri, keys: key.keys, name: 'legacy_api_test', now: () => TODAY });
  alice = await token(key.privateKey, 'alice');
  bob = await token(key.privateKey, 'bob');
});

after(async () => {
  await app?.close();
  await database?.stop();
});

async function call(method, path, { bearer = alice, body, headers = {} } = {}) {
  const init = { method, headers: { ...headers } };
  if (bearer) init.headers.authorization = `Bearer ${bearer}`;
  if (body !== undefined) {
    init.body = typeof body === 'string' ? body : JSON.stringify(body);
    init.headers['content-type'] ??= 'application/json';
  }
  const response = await fetch(`${app.url}${path}`, init);
  const text = await response.text();
  return { status: response.status, headers: response.headers, body: text ? JSON.parse(text) : null };
}

describe('health and routing', () => {
  test('health is public and names the backend', async () => {
    const response = await call('GET', '/api/health', { bearer: null });
    assert.equal(response.status, 200);
    assert.deepEqual(response.body, { status: 'ok', service: 'legacy' });
    assert.equal(response.headers.get('x-taskly-backend'), 'legacy');
    assert.equal(response.headers.get('x-powered-by'), null);
  });

  test('an unknown route is a 404 with a message', async () => {
    const response = await call('GET', '/api/nothing-here');
    assert.equal(response.status, 404);
    assert.deepEqual(response.body, { code: 'not_found', message: 'no route for GET /api/nothing-here' });
  });
});

describe('tokens', () => {
  test('no token, or a token that fails a check, is 401; a token without the scope is 403', async () => {
    const other = await signingKey();
    const cases = {
      none: null,
      garbage: 'not-a-jwt',
      'another key': await token(other.privateKey, 'alice'),
      expired: await token(key.privateKey, 'alice', { expiresIn: new Date('2020-01-01') }),
      'id token': await token(key.privateKey, 'alice', { claims: { token_use: 'id' } }),
      'another client': await token(key.privateKey, 'alice', { claims: { client_id: 'someone-else' } }),
      'another issuer': await new SignJWT({ token_use: 'access', client_id: CLIENT_ID, scope: 'taskly/api' })
        .setProtectedHeader({ alg: 'RS256', kid: 'test-key' })
        .setSubject('alice')
        .setIssuer(`${ISSUER}-other`)
        .setIssuedAt()
        .setExpirationTime('1h')
        .sign(key.privateKey),
    };
    for (const [name, bearer] of Object.entries(cases)) {
      const response = await call('GET', '/api/tasks', { bearer });
      assert.equal(response.status, 401, name);
      assert.deepEqual(response.body, { message: 'Unauthorized' }, name);
    }
    const noScope = await token(key.privateKey, 'alice', { claims: { scope: 'openid email' } });
    const response = await call('GET', '/api/tasks', { bearer: noScope });
    assert.equal(response.status, 403);
    assert.deepEqual(response.body, { message: 'Forbidden' });
  });
});

describe('tasks', () => {
  test('create, read, update, delete', async () => {
    const created = await call('POST', '/api/tasks', { body: { title: 'Write the report', due_date: '2026-03-20' } });
    assert.equal(created.status, 201);
    const task = created.body;
    assert.match(task.id, /^[0-9a-f]{24}$/);
    assert.equal(created.headers.get('location'), `/api/tasks/${task.id}`);
    assert.deepEqual(task, {
      id: task.id,
      title: 'Write the report',
      description: '',
      status: 'todo',
      due_date: '2026-03-20',
      created_at: '2026-03-10T12:00:00Z',
      updated_at: '2026-03-10T12:00:00Z',
      version: 1,
    });
    assert.deepEqual((await call('GET', `/api/tasks/${task.id}`)).body, task);

    const updated = await call('PATCH', `/api/tasks/${task.id}`, { body: { status: 'in_progress', due_date: null, version: 1 } });
    assert.equal(updated.status, 200);
    assert.equal(updated.body.status, 'in_progress');
    assert.equal(updated.body.due_date, null);
    assert.equal(updated.body.version, 2);

    const stale = await call('PATCH', `/api/tasks/${task.id}`, { body: { title: 'x', version: 1 } });
    assert.equal(stale.status, 409);
    assert.deepEqual(stale.body, { code: 'conflict', message: `task '${task.id}' is at version 2, not 1` });

    assert.equal((await call('DELETE', `/api/tasks/${task.id}`)).status, 204);
    const gone = await call('GET', `/api/tasks/${task.id}`);
    assert.equal(gone.status, 404);
    assert.deepEqual(gone.body, { code: 'not_found', message: `task '${task.id}' not found` });
    assert.equal((await call('DELETE', `/api/tasks/${task.id}`)).status, 404);
  });

  test("another user's task, or an id that is not ours, does not exist", async () => {
    const { body: task } = await call('POST', '/api/tasks', { body: { title: 'private' } });
    for (const [method, body] of [['GET'], ['PATCH', { title: 'mine now' }], ['DELETE'], ['POST', { email: 'x@example.com' }]]) {
      const path = method === 'POST' ? `/api/tasks/${task.id}/share` : `/api/tasks/${task.id}`;
      assert.equal((await call(method, path, { bearer: bob, body })).status, 404, method);
    }
    assert.equal((await call('GET', '/api/tasks/not-an-id')).status, 404);
    assert.equal((await call('GET', `/api/tasks/${task.id}`)).body.title, 'private');
  });

  test('lists newest first, page by page, with filters', async () => {
    const owner = await token(key.privateKey, 'pager');
    const ids = [];
    for (const [title, status, due] of [['a', 'todo', '2026-03-01'], ['b', 'done', '2026-03-05'], ['c', 'todo', null], ['d', 'todo', '2026-03-09']]) {
      ids.push((await call('POST', '/api/tasks', { bearer: owner, body: { title, status, due_date: due } })).body.id);
    }
    const first = await call('GET', '/api/tasks?limit=3', { bearer: owner });
    assert.deepEqual(first.body.items.map((t) => t.title), ['d', 'c', 'b']);
    assert.ok(first.body.next_cursor);
    const second = await call('GET', `/api/tasks?limit=3&cursor=${first.body.next_cursor}`, { bearer: owner });
    assert.deepEqual(second.body.items.map((t) => t.title), ['a']);
    assert.equal(second.body.next_cursor, null);
    const todo = await call('GET', '/api/tasks?status=todo&due_after=2026-03-02&due_before=2026-03-09', { bearer: owner });
    assert.deepEqual(todo.body.items.map((t) => t.title), ['d']);
    // The cursor is the one the migrated API issues: base64url of {"v":1,"after":<id>}.
    const decoded = JSON.parse(Buffer.from(first.body.next_cursor, 'base64url').toString());
    assert.deepEqual(decoded, { v: 1, after: ids[1] });
  });

  test('counts by status and overdue tasks (open, due before today)', async () => {
    const owner = await token(key.privateKey, 'counter');
    for (const [status, due] of [['todo', '2026-03-09'], ['in_progress', '2026-01-01'], ['done', '2026-03-01'], ['todo', null], ['todo', '2026-03-10']]) {
      await call('POST', '/api/tasks', { bearer: owner, body: { title: 't', status, due_date: due } });
    }
    const stats = await call('GET', '/api/tasks/stats', { bearer: owner });
    assert.deepEqual(stats.body, { total: 5, by_status: { todo: 3, in_progress: 1, done: 1 }, overdue: 2 });
  });

  test('share queues an email in the outbox', async () => {
    const { body: task } = await call('POST', '/api/tasks', { body: { title: 'Share me' } });
    const shared = await call('POST', `/api/tasks/${task.id}/share`, { body: { email: 'carol@example.com' } });
    assert.equal(shared.status, 202);
    assert.deepEqual(shared.body, { status: 'queued', task_id: task.id, recipient: 'carol@example.com' });
    const queued = await app.db.collection('outbox').findOne({ task_id: task.id });
    assert.equal(queued.recipient, 'carol@example.com');
    assert.equal(queued.shared_by, 'alice');
  });
});

describe('bad input', () => {
  test('each bad body or query gets a 4xx that says what is wrong, and nothing is written', async () => {
    const before = await app.db.collection('tasks').countDocuments();
    const cases = [
      ['POST', '/api/tasks', { title: '' }, 422, 'body.title'],
      ['POST', '/api/tasks', { title: 'x', colour: 'red' }, 422, 'body.colour'],
      ['POST', '/api/tasks', { title: 5 }, 422, 'body.title'],
      ['POST', '/api/tasks', { title: 'x', due_date: '2026-02-30' }, 422, 'body.due_date'],
      ['POST', '/api/tasks', { title: 'x', status: 'later' }, 422, 'body.status'],
      ['POST', '/api/tasks', [], 422, 'body'],
      ['POST', '/api/tasks', '{"title": ', 400, 'not valid JSON'],
      ['GET', '/api/tasks?limit=0', undefined, 422, 'query.limit'],
      ['GET', '/api/tasks?status=someday', undefined, 422, 'query.status'],
      ['GET', '/api/tasks?cursor=bm9wZQ', undefined, 400, 'cursor is not valid'],
      ['PUT', '/api/me/preferences', { theme: 'dark' }, 422, 'body.language'],
    ];
    for (const [method, path, body, status, mentions] of cases) {
      const response = await call(method, path, { body });
      assert.equal(response.status, status, `${method} ${path} ${JSON.stringify(body)}`);
      assert.ok(response.body.message.includes(mentions), `${response.body.message} should mention ${mentions}`);
    }
    const textual = await call('POST', '/api/tasks', { body: 'title=x', headers: { 'content-type': 'text/plain' } });
    assert.equal(textual.status, 415);
    assert.equal(textual.body.code, 'unsupported_media_type');
    const huge = await call('POST', '/api/tasks', { body: { title: 'x', description: 'y'.repeat(20000) } });
    assert.equal(huge.status, 413);
    assert.equal(await app.db.collection('tasks').countDocuments(), before);
  });

  test('a PATCH must change something and may not null a required field', async () => {
    const { body: task } = await call('POST', '/api/tasks', { body: { title: 'keep' } });
    for (const body of [{}, { title: null }, { version: '1' }, { version: 0 }]) {
      assert.equal((await call('PATCH', `/api/tasks/${task.id}`, { body })).status, 422, JSON.stringify(body));
    }
    const reread = await call('PATCH', `/api/tasks/${task.id}`, { body: { version: 1 } });
    assert.equal(reread.status, 200);
    assert.equal(reread.body.version, 1);
  });
});

describe('profile and routes that stay on legacy', () => {
  test('preferences are defaults until saved, then what was saved', async () => {
    const owner = await token(key.privateKey, 'prefs');
    const defaults = await call('GET', '/api/me/preferences', { bearer: owner });
    assert.deepEqual(defaults.body, { theme: 'system', language: 'en', email_notifications: true, tasks_page_size: 20, updated_at: null });
    const saved = { theme: 'dark', language: 'pt-BR', email_notifications: false, tasks_page_size: 50 };
    const put = await call('PUT', '/api/me/preferences', { bearer: owner, body: saved });
    assert.deepEqual(put.body, { ...saved, updated_at: '2026-03-10T12:00:00Z' });
    assert.deepEqual((await call('GET', '/api/me/preferences', { bearer: owner })).body, put.body);
  });

  test('users/me and projects', async () => {
    const me = await call('GET', '/api/users/me');
    assert.deepEqual(me.body, { id: 'alice', username: 'alice', scopes: ['taskly/api'] });
    const created = await call('POST', '/api/projects', { body: { name: 'Home' } });
    assert.equal(created.status, 201);
    const listed = await call('GET', '/api/projects');
    assert.deepEqual(listed.body.items, [created.body]);
    assert.deepEqual((await call('GET', '/api/projects', { bearer: bob })).body.items, []);
  });
});
