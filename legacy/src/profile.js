// /api/me/preferences (migrated) and /api/users/me (not migrated: always served here).
import { Router } from 'express';

import { timestamp } from './format.js';
import { checkBody } from './validate.js';

const DEFAULTS = { theme: 'system', language: 'en', email_notifications: true, tasks_page_size: 20 };
const PREFERENCES = { required: Object.keys(DEFAULTS) };

function preferencesOut(document) {
  const stored = document ?? {};
  const out = {};
  for (const [name, fallback] of Object.entries(DEFAULTS)) out[name] = stored[name] ?? fallback;
  out.updated_at = stored.updated_at ? timestamp(stored.updated_at) : null;
  return out;
}

export function profileRouter({ db, now }) {
  const preferences = db.collection('preferences');
  const router = Router();

  router.get('/me/preferences', async (req, res) => {
    res.json(preferencesOut(await preferences.findOne({ _id: req.user.id })));
  });

  router.put('/me/preferences', async (req, res) => {
    const body = checkBody(req.body, PREFERENCES);
    const document = { ...body, updated_at: now() };
    await preferences.replaceOne({ _id: req.user.id }, document, { upsert: true });
    res.json(preferencesOut(document));
  });

  router.get('/users/me', (req, res) => {
    res.json({ id: req.user.id, username: req.user.username, scopes: req.user.scopes });
  });

  return router;
}
