import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';

interface Compose {
  services: Record<string, { command?: string[]; volumes?: string[]; stop_grace_period?: string }>;
  volumes?: Record<string, unknown>;
}

/** Finding 10: the shipped compose file keeps Redis's state across a restart. */
describe('docker-compose.yml', () => {
  const compose = parse(readFileSync(join(__dirname, '..', 'docker-compose.yml'), 'utf8')) as Compose;

  it('runs Redis with append-only persistence on a named volume', () => {
    const redis = compose.services.redis!;
    const command = redis.command!;
    expect(command[0]).toBe('redis-server');
    expect(command[command.indexOf('--appendonly') + 1]).toBe('yes');
    expect(redis.volumes).toContain('redis-data:/data');
    expect(compose.volumes).toHaveProperty('redis-data');
  });

  it('gives the gateway more time to stop than its shutdown grace period', () => {
    expect(parseInt(compose.services.gateway!.stop_grace_period!, 10)).toBeGreaterThan(10);
  });
});
