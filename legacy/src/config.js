// Settings from the environment, checked at start: a missing or bad one is one line and exit 2.

export class ConfigError extends Error {}

function required(env, name) {
  const value = env[name];
  if (!value) throw new ConfigError(`${name} is not set`);
  return value;
}

export function loadConfig(env = process.env) {
  const port = Number(env.PORT ?? '3002');
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new ConfigError(`PORT must be a port number, got '${env.PORT}'`);
  }
  if (!env.JWKS_FILE && !env.JWKS_URL) throw new ConfigError('set JWKS_FILE or JWKS_URL');
  return {
    host: env.HOST ?? '127.0.0.1',
    port,
    mongodbUri: required(env, 'MONGODB_URI'),
    database: env.MONGODB_DATABASE ?? 'taskly',
    jwksFile: env.JWKS_FILE,
    jwksUrl: env.JWKS_URL,
    issuer: required(env, 'JWT_ISSUER'),
    clientId: required(env, 'JWT_CLIENT_ID'),
    scope: env.JWT_SCOPE ?? 'taskly/api',
  };
}
