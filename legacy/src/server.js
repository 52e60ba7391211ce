// Starts the legacy Taskly backend: `node src/server.js` with the settings in config.js.
// For local development and tests only; no stack deploys it.
import { MongoClient } from 'mongodb';

import { createApp } from './app.js';
import { keySet } from './auth.js';
import { ConfigError, loadConfig } from './config.js';

let config;
let keys;
try {
  config = loadConfig();
  keys = keySet(config);
} catch (error) {
  console.error(`legacy: ${error instanceof ConfigError ? error.message : `cannot start: ${error.message}`}`);
  process.exit(2);
}

// The URI carries TLS, the CA file, the replica set and the credentials.
const client = new MongoClient(config.mongodbUri, { serverSelectionTimeoutMS: 5000, appName: 'taskly-legacy' });
const app = createApp({ db: client.db(config.database), keys, issuer: config.issuer, clientId: config.clientId, scope: config.scope });
const server = app.listen(config.port, config.host, (error) => {
  if (error) {
    console.error(`legacy: cannot listen on ${config.host}:${config.port}: ${error.message}`);
    process.exit(1);
  }
  console.log(`Taskly legacy backend on http://${config.host}:${server.address().port} (pid ${process.pid})`);
});

function stop() {
  server.close(() => client.close().finally(() => process.exit(0)));
  server.closeAllConnections();
}
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
