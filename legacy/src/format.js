// How stored documents look on the wire, and the opaque page cursor clients pass back.

// ISO 8601 in UTC with the fraction in microseconds, none when it is zero
// ("2026-01-02T03:04:05.123000Z", "2026-01-02T03:04:05Z"): the format Taskly's clients parse.
export function timestamp(date) {
  const iso = date.toISOString();
  return iso.endsWith('.000Z') ? `${iso.slice(0, -5)}Z` : `${iso.slice(0, -1)}000Z`;
}

// Due dates are calendar days, stored as midnight UTC (BSON has no date-only type).
export function day(date) {
  return date.toISOString().slice(0, 10);
}

export function midnight(isoDay) {
  return new Date(`${isoDay}T00:00:00.000Z`);
}

export function taskOut(document) {
  return {
    id: document._id.toHexString(),
    title: document.title,
    description: document.description ?? '',
    status: document.status,
    due_date: document.due_date ? day(document.due_date) : null,
    created_at: timestamp(document.created_at),
    updated_at: timestamp(document.updated_at),
    version: document.version,
  };
}

const CURSOR_VERSION = 1;
export const MAX_CURSOR_LENGTH = 200;
export const TASK_ID = /^[0-9a-f]{24}$/;

export function encodeCursor(lastTaskId) {
  return Buffer.from(JSON.stringify({ v: CURSOR_VERSION, after: lastTaskId })).toString('base64url');
}

// The task id a page starts after, or null when the cursor is not one we issued.
export function decodeCursor(cursor) {
  if (cursor.length > MAX_CURSOR_LENGTH || !/^[\w-]*$/.test(cursor)) return null;
  try {
    const payload = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (payload?.v !== CURSOR_VERSION || typeof payload.after !== 'string') return null;
    return TASK_ID.test(payload.after) ? payload.after : null;
  } catch {
    return null;
  }
}
