import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { runChaos, summaryLines } from '../../drill/chaos';

/**
 * The CI sample of the chaos runner (`npm run chaos -- --count 50 --seed 1`): fifty generated fault
 * schedules on the synthesized definition, each checked for I1–I7 from the world's records.
 */
it('runs 50 chaos schedules from seed 1 with no invariant violated', async () => {
  const out = mkdtempSync(path.join(tmpdir(), 'chaos-failures-'));
  const summary = await runChaos({ count: 50, seed: 1, env: 'prod', out });
  console.log(summaryLines(summary).join('\n'));
  expect(summary.schedules).toBe(50);
  // Every schedule ran, and every failed run was run again.
  expect(summary.runs).toBeGreaterThanOrEqual(50);
  expect(summary.found).toEqual([]);
  expect(summary.violations).toBe(0);
}, 30 * 60_000);
