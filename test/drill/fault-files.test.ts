import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '../../drill/main';
import { SCENARIOS } from '../../drill/scenarios';

/**
 * Fault schedules as files: a built-in scenario printed with --print-faults and replayed with
 * --faults runs the same cutover (status, simulated RTO, report and its changes), and a bad
 * fault file stops the drill with exit 2 and one line naming the bad field.
 */
const dir = mkdtempSync(join(tmpdir(), 'fault-files-'));

async function drillOutput(argv: string[]): Promise<{ code: number; lines: string[] }> {
  const lines: string[] = [];
  const code = await main(argv, (line) => lines.push(line));
  return { code, lines };
}

/** Everything the run printed but the wall time (the only thing two identical runs may differ in). */
const outcome = (lines: string[]) => lines.map((l) => l.replace(/, [\d.]+ s wall time$/, ''));
const rtoLine = (lines: string[]) => lines.find((l) => l.startsWith('Simulated RTO'));

describe('--print-faults replayed with --faults', () => {
  // One failing, one absorbed, one approval gate, one planned; the first has a condition, the second an AWS fault.
  it.each(['standby-not-ready', 'rds-throttled', 'alarm-denied', 'planned'])('%s runs the same cutover from its printed fault file', async (name) => {
    const printed = await drillOutput(['--scenario', name, '--print-faults']);
    expect(printed.code).toBe(0);
    const file = join(dir, `${name}.json`);
    writeFileSync(file, printed.lines.join('\n'));

    const builtIn = await drillOutput(['--scenario', name, '--quiet']);
    const replayed = await drillOutput(['--faults', file, '--quiet']);
    const scenario = SCENARIOS.find((s) => s.name === name);
    expect(builtIn.code).toBe(scenario?.expect.status === 'SUCCEEDED' ? 0 : 1);
    expect(replayed.code).toBe(builtIn.code);
    expect(rtoLine(replayed.lines)).toMatch(/^Simulated RTO /);
    expect(rtoLine(replayed.lines)?.replace(/, [\d.]+ s wall time$/, '')).toBe(rtoLine(builtIn.lines)?.replace(/, [\d.]+ s wall time$/, ''));
    // The report, its changes, the Slack messages and the world's end state, line for line.
    expect(outcome(replayed.lines)).toEqual(outcome(builtIn.lines));
  });
});

describe('a bad fault file', () => {
  let errors: string[];
  beforeEach(() => {
    errors = [];
    jest.spyOn(console, 'error').mockImplementation((line: unknown) => void errors.push(String(line)));
  });
  afterEach(() => jest.restoreAllMocks());

  const badFile = (name: string, text: string) => {
    const file = join(dir, name);
    writeFileSync(file, text);
    return file;
  };

  it.each([
    ['a kind its target does not take', JSON.stringify({ faults: [{ target: 'aws:GetChange', kind: 'error', error: 'Throttling' }, { target: 'aws:PromoteReadReplica', kind: 'stuck' }] }), /: faults\[1\]\.kind: 'stuck' does not apply to a aws target/],
    ['an unknown target', JSON.stringify({ faults: [{ target: 'kubernetes:PATCH secret', kind: 'status', status: 500 }] }), /: faults\[0\]\.target: unknown target 'kubernetes:PATCH secret'/],
    ['an unknown field', JSON.stringify({ faults: [], approvr: {} }), /: schedule: Unrecognized key: "approvr"$/],
    ['a count of zero', JSON.stringify({ faults: [{ target: 'aws:Publish', kind: 'error', error: 'InternalFailure', count: 0 }] }), /: faults\[0\]\.count: /],
    ['an unknown timing', JSON.stringify({ faults: [], timing: { cloudfrontDeploySecs: 40 } }), /: timing\.cloudfrontDeploySecs: unknown timing 'cloudfrontDeploySecs'/],
    ['text that is not JSON', '{ "faults": [', /: not JSON \(/],
    ['an AWS call the world never answers', JSON.stringify({ faults: [{ target: 'aws:PromoteReplica', kind: 'error', error: 'InternalFailure' }] }), /: aws:PromoteReplica: the simulated world answers no such call, so the fault would never fire; use one of: .*aws:PromoteReadReplica/],
  ])('exits 2 with one line naming the bad field: %s', async (name, text, message) => {
    const file = badFile(`${name.replace(/\W+/g, '-')}.json`, text);
    const run = await drillOutput(['--faults', file]);
    expect(run.code).toBe(2);
    expect(run.lines).toEqual([]);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(message);
    expect(errors[0]).not.toContain('\n');
    expect(errors[0]?.startsWith(file)).toBe(true);
  });

  it('exits 2 with one line for a missing file', async () => {
    const file = join(dir, 'missing.json');
    const run = await drillOutput(['--faults', file]);
    expect(run.code).toBe(2);
    expect(errors).toEqual([`${file}: cannot read the fault file (ENOENT)`]);
  });
});
