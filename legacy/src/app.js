// The Taskly monolith's HTTP API. createApp() takes its dependencies so tests can pass their
// own database, key set and clock.
import express from 'express';

import { authenticate } from './auth.js';
import { errorHandler, HttpError, notFound } from './errors.js';
import { profileRouter } from './profile.js';
import { projectsRouter } from './projects.js';
import { tasksRouter } from './tasks.js';

// The largest valid body (a task with a 4,000-character description) is far below this.
const MAX_BODY = '16kb';
const BODY_METHODS = new Set(['POST', 'PUT', 'PATCH']);
// Identifies this backend in responses (CloudFront passes origin headers through unchanged).
export const BACKEND_HEADER = 'x-taskly-backend';

function requireJson(req, res, next) {
  const type = (req.get('content-type') ?? '').split(';')[0].trim().toLowerCase();
  const hasBody = BODY_METHODS.has(req.method) || Number(req.get('content-length') ?? 0) > 0;
  if (hasBody && type && type !== 'application/json') {
    throw new HttpError(415, 'unsupported_media_type', `send the body as application/json, not ${type.slice(0, 100)}`);
  }
  next();
}

export function createApp({ db, keys, issuer, clientId, scope = 'taskly/api', now = () => new Date(), log = console.error }) {
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  app.use((req, res, next) => {
    req.log = log;
    res.set(BACKEND_HEADER, 'legacy');
    next();
  });
  app.get('/api/health', (req, res) => res.json({ status: 'ok', service: 'legacy' }));

  const api = express.Router();
  api.use(requireJson, express.json({ limit: MAX_BODY, strict: false, type: () => true }));
  api.use(authenticate({ keys, issuer, clientId, scope }));
  api.use('/tasks', tasksRouter({ db, now }));
  api.use('/projects', projectsRouter({ db, now }));
  api.use(profileRouter({ db, now }));
  app.use('/api', api);

  app.use((req) => {
    throw notFound(`no route for ${req.method} ${req.path}`);
  });
  app.use(errorHandler);
  return app;
}
