// Every error answer is {"code", "message"[, "details"]}, the shape the Taskly API has always
// returned; 401/403 are {"message"} like the gateway in front of the migrated routes.

export class HttpError extends Error {
  constructor(status, code, message, { details, headers } = {}) {
    super(message);
    this.status = status;
    this.code = code;
    this.details = details;
    this.headers = headers;
  }
}

export const notFound = (message) => new HttpError(404, 'not_found', message);
export const badRequest = (message) => new HttpError(400, 'bad_request', message);
export const conflict = (message) => new HttpError(409, 'conflict', message);

export function validationError(details) {
  const message = details
    .slice(0, 5)
    .map((detail) => `${detail.location}: ${detail.message}`)
    .join('; ');
  return new HttpError(422, 'validation_error', message, { details });
}

export function unauthorized(reason) {
  const challenge = `Bearer error="invalid_token" error_description="${reason.replace(/"/g, "'")}"`;
  return new HttpError(401, 'unauthorized', 'Unauthorized', {
    headers: { 'www-authenticate': challenge },
  });
}

export const forbidden = () => new HttpError(403, 'forbidden', 'Forbidden');

// Express 5 passes rejected promises from async handlers here as well.
export function errorHandler(error, req, res, next) {
  if (res.headersSent) {
    next(error);
    return;
  }
  if (error.type === 'entity.parse.failed') {
    res.status(400).json({ code: 'invalid_json', message: 'the request body is not valid JSON' });
    return;
  }
  if (error.type === 'entity.too.large') {
    res.status(413).json({ code: 'payload_too_large', message: 'the request body is too large' });
    return;
  }
  if (!(error instanceof HttpError)) {
    req.log(`error: ${req.method} ${req.originalUrl}: ${error.stack || error}`);
    const unavailable = error.name === 'MongoServerSelectionError' || error.name === 'MongoNetworkError';
    if (unavailable) {
      res.set('retry-after', '5');
      res.status(503).json({ code: 'dependency_unavailable', message: 'the task store is unavailable' });
    } else {
      res.status(500).json({ message: 'Internal Server Error' });
    }
    return;
  }
  if (error.headers) res.set(error.headers);
  if (error.status === 401 || error.status === 403) {
    res.status(error.status).json({ message: error.message });
    return;
  }
  const body = { code: error.code, message: error.message };
  if (error.details) body.details = error.details;
  res.status(error.status).json(body);
}
