#!/usr/bin/env node
// Writes the committed OpenAPI document (openapi.json) from the built app. Run after a
// deliberate API change: `npm run openapi`. A test fails when the two drift apart.
'use strict';
const { mkdtempSync, rmSync, writeFileSync } = require('node:fs');
const { tmpdir } = require('node:os');
const { join } = require('node:path');

async function main() {
  const dataDir = mkdtempSync(join(tmpdir(), 'cleave-openapi-'));
  const { createApp, buildOpenApi } = require('../dist/app');
  const { loadConfig } = require('../dist/shared/config/config');
  const app = await createApp(loadConfig({ DATA_DIR: dataDir, LOG_LEVEL: 'silent' }));
  try {
    const document = buildOpenApi(app);
    writeFileSync(join(__dirname, '..', 'openapi.json'), `${JSON.stringify(document, null, 2)}\n`);
    console.log(`openapi.json written (${Object.keys(document.paths).length} paths)`);
  } finally {
    await app.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
