import { Drill } from '../../drill/drill';
import { currentInvocation, type Invocation } from '../../drill/invocation';
import { SCENARIOS, scenarioInput } from '../../drill/scenarios';
import { testConfig } from '../support/config';

/**
 * The drill runs every Lambda in one process, so each AWS call must be attributed to the invocation
 * that sent it (its execution, state and function): the IAM check and the JSON result depend on it.
 */
describe('attribution of AWS calls to the invocation that sent them', () => {
  it('names the execution, state and function of every call a step makes, and the notifier for Slack work', async () => {
    const seen: Array<{ command: string; invocation: Invocation | undefined }> = [];
    const happy = SCENARIOS.find((s) => s.name === 'happy-path');
    if (!happy) throw new Error('no happy-path scenario');
    const drill = await Drill.create({ config: testConfig('prod') });
    try {
      drill.world.beforeCall = (command) => seen.push({ command, invocation: currentInvocation() });
      const run = await drill.run(scenarioInput(happy));
      expect(run.result.status).toBe('SUCCEEDED');
    } finally {
      await drill.close();
    }
    expect(seen.length).toBeGreaterThan(20);
    expect(seen.filter((c) => c.invocation === undefined)).toEqual([]);
    const promote = seen.find((c) => c.command === 'PromoteReadReplicaCommand')?.invocation;
    expect(promote).toEqual({
      executionId: 'arn:aws:states:local:000000000000:execution:dr-cutover:drill-1',
      state: 'Promote RDS replica',
      step: 'promote-replica',
      functionName: 'dr-cutover-promote-replica',
    });
    // The notifier reads the webhook secret outside any execution.
    const secretReads = seen.filter((c) => c.command === 'GetSecretValueCommand').map((c) => c.invocation?.step);
    expect(new Set(secretReads)).toEqual(new Set(['slack-notifier']));
    // Every call made inside an execution names a Task state of it.
    const steps = new Set(seen.filter((c) => c.invocation?.executionId).map((c) => c.invocation?.step));
    expect([...steps]).toEqual(
      expect.arrayContaining(['cutover-lock', 'notify', 'preflight', 'promote-replica', 'verify-dynamodb-replica', 'switch-cloudfront', 'check-cloudfront', 'switch-dns-record', 'check-dns-change']),
    );
  });
});
