import { describe, expect, it } from 'vitest';
import { floodLine, floodLog } from './log-flood';

describe('log flood', () => {
  it('emits every numbered line once, in order, at the asked rate', async () => {
    const lines: string[] = [];
    const started = performance.now();
    const result = await floodLog((message) => lines.push(message), { linesPerSecond: 500, seconds: 0.3 });
    const elapsed = performance.now() - started;
    expect(result).toEqual({ sent: 150 });
    expect(lines).toEqual(Array.from({ length: 150 }, (_, index) => floodLine(index + 1, 150)));
    expect(elapsed).toBeGreaterThanOrEqual(290);
    expect(elapsed).toBeLessThan(1000);
  });
});
