// Request validation: unknown fields are an error, JSON types are strict ("5" is not a number),
// and every problem is reported with where it is, like the Taskly API always answered (422).
import { validationError } from './errors.js';

export const TASK_STATUSES = ['todo', 'in_progress', 'done'];
export const THEMES = ['light', 'dark', 'system'];
const ISO_DAY = /^\d{4}-\d{2}-\d{2}$/;
const NO_SPACE = '[^@\\x00-\\x20\\x7f]';
const EMAIL = new RegExp(`^${NO_SPACE}{1,64}@${NO_SPACE}+\\.${NO_SPACE}{2,}$`);
const LANGUAGE = /^[a-z]{2,3}(-[A-Z]{2})?$/;

export function isIsoDay(value) {
  if (typeof value !== 'string' || !ISO_DAY.test(value)) return false;
  const parsed = new Date(`${value}T00:00:00.000Z`);
  return !Number.isNaN(parsed.getTime()) && parsed.toISOString().startsWith(value);
}

const isObject = (value) => typeof value === 'object' && value !== null && !Array.isArray(value);

// A field rule returns an error message, or undefined when the value is fine.
const rules = {
  title: (v) =>
    typeof v !== 'string' ? 'must be a string' : v.length < 1 || v.length > 200 ? 'must be 1 to 200 characters' : undefined,
  description: (v) =>
    typeof v !== 'string' ? 'must be a string' : v.length > 4000 ? 'must be at most 4000 characters' : undefined,
  status: (v) => (TASK_STATUSES.includes(v) ? undefined : `must be one of ${TASK_STATUSES.join(', ')}`),
  due_date: (v) => (v === null || isIsoDay(v) ? undefined : 'must be a date as YYYY-MM-DD or null'),
  version: (v) => (Number.isInteger(v) && v >= 1 ? undefined : 'must be an integer of at least 1'),
  email: (v) =>
    typeof v === 'string' && v.length <= 254 && EMAIL.test(v) ? undefined : 'must be an email address',
  theme: (v) => (THEMES.includes(v) ? undefined : `must be one of ${THEMES.join(', ')}`),
  language: (v) => (typeof v === 'string' && LANGUAGE.test(v) ? undefined : 'must be a language tag like en or pt-BR'),
  email_notifications: (v) => (typeof v === 'boolean' ? undefined : 'must be true or false'),
  tasks_page_size: (v) => (Number.isInteger(v) && v >= 1 && v <= 100 ? undefined : 'must be an integer from 1 to 100'),
  name: (v) =>
    typeof v !== 'string' ? 'must be a string' : v.length < 1 || v.length > 100 ? 'must be 1 to 100 characters' : undefined,
};

/**
 * Check a JSON body against `required` and `optional` field names; returns the body.
 * `minFields` > 0 refuses an empty object (a PATCH must change something).
 */
export function checkBody(body, { required = [], optional = [], minFields = 0 }) {
  if (!isObject(body)) {
    throw validationError([{ location: 'body', message: 'must be a JSON object', type: 'model_type' }]);
  }
  const details = [];
  for (const name of required) {
    if (!(name in body)) details.push({ location: `body.${name}`, message: 'field required', type: 'missing' });
  }
  for (const [name, value] of Object.entries(body)) {
    if (!required.includes(name) && !optional.includes(name)) {
      details.push({ location: `body.${name}`, message: 'unknown field', type: 'extra_forbidden' });
      continue;
    }
    const problem = rules[name](value);
    if (problem) details.push({ location: `body.${name}`, message: problem, type: 'value_error' });
  }
  if (details.length === 0 && Object.keys(body).length < minFields) {
    details.push({ location: 'body', message: 'send at least one field to change', type: 'value_error' });
  }
  if (details.length > 0) throw validationError(details);
  return body;
}

/** Query parameters of GET /api/tasks, converted; throws a 422 listing every bad one. */
export function checkListQuery(query) {
  const details = [];
  const bad = (name, message) => details.push({ location: `query.${name}`, message, type: 'value_error' });
  const single = (name) => (Array.isArray(query[name]) ? query[name].at(-1) : query[name]);
  const status = single('status');
  if (status !== undefined && !TASK_STATUSES.includes(status)) bad('status', rules.status(status));
  const dueBefore = single('due_before');
  const dueAfter = single('due_after');
  for (const [name, value] of [['due_before', dueBefore], ['due_after', dueAfter]]) {
    if (value !== undefined && !isIsoDay(value)) bad(name, 'must be a date as YYYY-MM-DD');
  }
  const rawLimit = single('limit');
  const limit = rawLimit === undefined ? 20 : /^\d+$/.test(rawLimit) ? Number(rawLimit) : NaN;
  if (!(limit >= 1 && limit <= 100)) bad('limit', 'must be an integer from 1 to 100');
  const cursor = single('cursor');
  if (cursor !== undefined && cursor.length > 200) bad('cursor', 'must be at most 200 characters');
  if (details.length > 0) throw validationError(details);
  return { status, dueBefore, dueAfter, limit, cursor };
}
