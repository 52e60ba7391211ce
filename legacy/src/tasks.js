// /api/tasks: the caller's tasks in the `tasks` collection (one document per task, owner = sub).
import { Router } from 'express';
import { ObjectId } from 'mongodb';

import { badRequest, conflict, notFound } from './errors.js';
import { decodeCursor, encodeCursor, midnight, TASK_ID, taskOut } from './format.js';
import { checkBody, checkListQuery, TASK_STATUSES } from './validate.js';

const CREATE = { required: ['title'], optional: ['description', 'status', 'due_date'] };
const UPDATE = { optional: ['title', 'description', 'status', 'due_date', 'version'], minFields: 1 };
const SHARE = { required: ['email'] };

const missing = (id) => notFound(`task '${id}' not found`);

export function tasksRouter({ db, now }) {
  const tasks = db.collection('tasks');
  const outbox = db.collection('outbox');
  const router = Router();

  function ownTask(req) {
    const { id } = req.params;
    if (!TASK_ID.test(id)) throw missing(id);
    return { _id: ObjectId.createFromHexString(id), owner: req.user.id };
  }

  router.get('/', async (req, res) => {
    const query = checkListQuery(req.query);
    const filter = { owner: req.user.id };
    if (query.status) filter.status = query.status;
    if (query.dueAfter || query.dueBefore) {
      filter.due_date = {};
      if (query.dueAfter) filter.due_date.$gte = midnight(query.dueAfter);
      if (query.dueBefore) filter.due_date.$lte = midnight(query.dueBefore);
    }
    if (query.cursor) {
      const after = decodeCursor(query.cursor);
      if (after === null) {
        throw badRequest('cursor is not valid: pass the next_cursor of a previous page unchanged');
      }
      filter._id = { $lt: ObjectId.createFromHexString(after) };
    }
    // One extra row tells whether there is another page.
    const rows = await tasks.find(filter).sort({ _id: -1 }).limit(query.limit + 1).toArray();
    const items = rows.slice(0, query.limit).map(taskOut);
    const nextCursor = rows.length > query.limit ? encodeCursor(items.at(-1).id) : null;
    res.json({ items, next_cursor: nextCursor });
  });

  router.post('/', async (req, res) => {
    const body = checkBody(req.body, CREATE);
    const at = now();
    const document = {
      _id: new ObjectId(),
      owner: req.user.id,
      title: body.title,
      description: body.description ?? '',
      status: body.status ?? 'todo',
      due_date: body.due_date ? midnight(body.due_date) : null,
      created_at: at,
      updated_at: at,
      version: 1,
    };
    await tasks.insertOne(document);
    res.status(201).location(`/api/tasks/${document._id.toHexString()}`).json(taskOut(document));
  });

  router.get('/stats', async (req, res) => {
    const today = midnight(now().toISOString().slice(0, 10));
    const open = TASK_STATUSES.filter((status) => status !== 'done');
    const overdue = {
      $and: [{ $in: ['$status', open] }, { $gt: ['$due_date', null] }, { $lt: ['$due_date', today] }],
    };
    const groups = await tasks
      .aggregate([
        { $match: { owner: req.user.id } },
        { $group: { _id: '$status', count: { $sum: 1 }, overdue: { $sum: { $cond: [overdue, 1, 0] } } } },
      ])
      .toArray();
    const byStatus = Object.fromEntries(TASK_STATUSES.map((status) => [status, 0]));
    let overdueCount = 0;
    for (const group of groups) {
      if (group._id in byStatus) byStatus[group._id] = group.count;
      overdueCount += group.overdue;
    }
    const total = Object.values(byStatus).reduce((sum, count) => sum + count, 0);
    res.json({ total, by_status: byStatus, overdue: overdueCount });
  });

  router.get('/:id', async (req, res) => {
    const document = await tasks.findOne(ownTask(req));
    if (!document) throw missing(req.params.id);
    res.json(taskOut(document));
  });

  router.patch('/:id', async (req, res) => {
    const { version, ...changes } = checkBody(req.body, UPDATE);
    const selector = ownTask(req);
    const current = await tasks.findOne(selector);
    if (!current) throw missing(req.params.id);
    if (version !== undefined && current.version !== version) {
      throw conflict(`task '${req.params.id}' is at version ${current.version}, not ${version}`);
    }
    if (Object.keys(changes).length === 0) {
      res.json(taskOut(current));
      return;
    }
    const fields = { ...changes, updated_at: now() };
    if ('due_date' in changes) fields.due_date = changes.due_date ? midnight(changes.due_date) : null;
    // Conditional on the version just read, so a concurrent change is a conflict, not lost.
    const updated = await tasks.findOneAndUpdate(
      { ...selector, version: current.version },
      { $set: fields, $inc: { version: 1 } },
      { returnDocument: 'after' },
    );
    if (!updated) {
      throw conflict(`task '${req.params.id}' changed while it was being updated; read it again`);
    }
    res.json(taskOut(updated));
  });

  router.delete('/:id', async (req, res) => {
    const { deletedCount } = await tasks.deleteOne(ownTask(req));
    if (deletedCount !== 1) throw missing(req.params.id);
    res.status(204).end();
  });

  router.post('/:id/share', async (req, res) => {
    const { email } = checkBody(req.body, SHARE);
    const task = await tasks.findOne(ownTask(req));
    if (!task) throw missing(req.params.id);
    // The monolith's mailer sends what lands in the outbox.
    await outbox.insertOne({
      kind: 'task_shared',
      task_id: task._id.toHexString(),
      task_title: task.title,
      recipient: email,
      shared_by: req.user.id,
      shared_at: now(),
    });
    res.status(202).json({ status: 'queued', task_id: task._id.toHexString(), recipient: email });
  });

  return router;
}
