import { validateSync } from 'class-validator';
import { plainToInstance } from 'class-transformer';
import { TerminalStatusesRequest } from '../families/meeting/meeting.dto';
import { UniqueItems } from './unique-items';

class Probe {
  @UniqueItems(1_000_000)
  items!: unknown[];
}

describe('UniqueItems', () => {
  it('finds duplicates and accepts distinct values', () => {
    const probe = (items: unknown[]) => validateSync(Object.assign(new Probe(), { items }));
    expect(probe(['a', 'b', 'c'])).toEqual([]);
    expect(probe(['a', 'b', 'a'])[0]!.constraints).toEqual({ uniqueItems: 'must not contain duplicates' });
  });

  it('is linear: 200,000 distinct values are checked at once (pairwise comparison would take minutes)', () => {
    const items = Array.from({ length: 200_000 }, (_, i) => `+${i}`);
    const started = process.hrtime.bigint();
    expect(validateSync(Object.assign(new Probe(), { items }))).toEqual([]);
    expect(Number(process.hrtime.bigint() - started) / 1e6).toBeLessThan(2000);
  });

  it('leaves an oversized batch to the size rule: a 64 KiB list of distinct numbers reports only its size', () => {
    const numbers = Array.from({ length: 6000 }, (_, i) => `+9911161${String(i).padStart(5, '0')}`);
    expect(JSON.stringify({ numbers }).length).toBeGreaterThan(64 * 1024 - 2048);
    const [error] = validateSync(plainToInstance(TerminalStatusesRequest, { numbers }));
    expect(Object.keys(error!.constraints!)).toEqual(['arrayMaxSize']);
  });
});
