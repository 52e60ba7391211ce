// /api/projects: not migrated; the new API's proxy route sends these requests here.
import { Router } from 'express';
import { ObjectId } from 'mongodb';

import { timestamp } from './format.js';
import { checkBody } from './validate.js';

const projectOut = (document) => ({
  id: document._id.toHexString(),
  name: document.name,
  created_at: timestamp(document.created_at),
});

export function projectsRouter({ db, now }) {
  const projects = db.collection('projects');
  const router = Router();

  router.get('/', async (req, res) => {
    const rows = await projects.find({ owner: req.user.id }).sort({ name: 1, _id: 1 }).limit(100).toArray();
    res.json({ items: rows.map(projectOut) });
  });

  router.post('/', async (req, res) => {
    const { name } = checkBody(req.body, { required: ['name'] });
    const document = { _id: new ObjectId(), owner: req.user.id, name, created_at: now() };
    await projects.insertOne(document);
    res.status(201).location(`/api/projects/${document._id.toHexString()}`).json(projectOut(document));
  });

  return router;
}
