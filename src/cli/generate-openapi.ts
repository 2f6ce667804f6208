import 'reflect-metadata';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createApp } from '../app.factory';
import { loadConfig } from '../config/app-config';
import { buildOpenApiDocument } from '../docs';

/**
 * `npm run openapi`: writes openapi/openapi.json from the code without listening or touching
 * Redis (sandbox mode with no REDIS_URL uses the in-process store; nothing is initialised).
 */
async function main(): Promise<void> {
  const config = loadConfig({ UPSTREAM_MODE: 'sandbox', LOG_LEVEL: 'silent' });
  const app = await createApp(config, { logStream: { write: () => true } as unknown as NodeJS.WritableStream });
  const document = buildOpenApiDocument(app);
  const outDir = join(__dirname, '..', '..', 'openapi');
  mkdirSync(outDir, { recursive: true });
  writeFileSync(join(outDir, 'openapi.json'), `${JSON.stringify(document, null, 2)}\n`);
  await app.close();
}

main().catch((err: unknown) => {
  process.stderr.write(`openapi generation failed: ${String(err)}\n`);
  process.exit(1);
});
