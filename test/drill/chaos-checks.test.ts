import { checkAll, checkI1, checkI2, checkI3, checkI4, checkI5, checkI6, checkI7, failedState, type CallRecord, type ChaosRecord, type EndState, type ExecutionRecord } from '../../drill/chaos-checks';
import { AWS_TARGETS, generateSchedules } from '../../drill/chaos-generate';
import { parseChaosArgs } from '../../drill/chaos';
import { CONDITIONS, FaultScheduleSchema, type FaultSchedule } from '../../drill/fault-schedule';
import { acceptedRestarts, rerunInput } from '../../drill/chaos-run';
import { lastingConditions } from '../../drill/world';

/**
 * Each invariant check on hand-made records: a clean record passes, and a record that breaks the
 * invariant fails the check (a check that cannot fail would prove nothing).
 */
const ALIAS = 'portforge-dr-alb-123456789.ap-northeast-1.elb.amazonaws.com';
const EXEC = 'arn:aws:states:local:000000000000:execution:dr-cutover:drill-1';
const ready = { databaseWritable: true, authReady: true, replicaLagSeconds: 0 };

const call = (command: string, world = ready, input: unknown = {}, executionId: string | null = EXEC): CallRecord => ({ command, region: 'ap-northeast-1', input, executionId, step: 'x', at: 0, world });
const dnsSwitch = (world = ready) => call('ChangeResourceRecordSetsCommand', world, { ChangeBatch: { Changes: [{ Action: 'UPSERT', ResourceRecordSet: { Name: 'api.portforge.org.', AliasTarget: { DNSName: `${ALIAS}.` } } }] } });
const apiSwitch = (world = ready) =>
  call('UpdateDistributionCommand', world, { DistributionConfig: { DefaultCacheBehavior: { TargetOriginId: 'portforge-front-dr' }, CacheBehaviors: { Items: [{ PathPattern: '/api/*', TargetOriginId: 'portforge-alb-tokyo' }] } } });

const end: EndState = { dns: { 'api.portforge.org. A': ALIAS }, database: 'standalone (writable)', configMap: { AWS_REGION: 'ap-northeast-1' }, behaviours: { '/api/*': 'portforge-alb-tokyo' }, lockHolder: undefined };

const execution = (over: Partial<ExecutionRecord> = {}): ExecutionRecord => ({
  executionId: EXEC,
  mode: 'emergency',
  dryRun: false,
  status: 'SUCCEEDED',
  error: null,
  cause: null,
  output: { ok: true },
  events: [],
  slackTexts: ['🚨 Emergency cutover started: prod'],
  slackPosts: [],
  published: [],
  callRange: [0, 4],
  kubeRange: [0, 2],
  phase: 'first',
  ...over,
});

const clean = (): ChaosRecord => ({
  schedule: { faults: [] },
  config: { maxReplicaLagSeconds: 0, aliasDnsName: ALIAS, apiDrOrigins: ['portforge-alb-tokyo'], apiPathPatterns: ['/api/*'] },
  secrets: ['https://hooks.slack.test/T0/B0/secret', 'signing-secret-value'],
  calls: [call('PutItemCommand'), call('PromoteReadReplicaCommand', { ...ready, databaseWritable: false }), dnsSwitch(), apiSwitch()],
  kube: [
    { method: 'PATCH', path: '/api/v1/namespaces/portforge/configmaps/auth-config', status: 200 },
    { method: 'PATCH', path: '/apis/apps/v1/namespaces/portforge/deployments/auth', status: 200 },
  ],
  executions: [execution()],
  promotes: 1,
  configVersions: 1,
  restarts: 1,
  endState: end,
  baseline: end,
});

const failedRun = (over: Partial<ExecutionRecord> = {}) =>
  execution({
    status: 'FAILED',
    error: 'PromotionFailedError',
    cause: 'the replica did not become available',
    events: [
      { type: 'StateFailed', state: 'Check RDS promotion', error: 'PromotionFailedError' },
      { type: 'StateCaught', state: 'Check RDS promotion' },
    ],
    slackTexts: ['❌ Cutover failed: prod\nFailed step: Check RDS promotion\nError: PromotionFailedError\nCause: [Check RDS promotion] the replica did not become available'],
    ...over,
  });

describe('chaos invariant checks', () => {
  it('pass a clean record', () => {
    expect(checkAll(clean())).toEqual([]);
  });

  it('I1: a DNS change or API behaviour switch before the promote or the Auth patch is a violation', () => {
    const early = { ...clean(), calls: [dnsSwitch({ ...ready, databaseWritable: false }), apiSwitch({ ...ready, authReady: false })] };
    expect(checkI1(early).map((v) => v.message)).toEqual([expect.stringMatching(/ChangeResourceRecordSets.*not writable/), expect.stringMatching(/UpdateDistribution.*Auth was not ready/)]);
    // A static-origin switch before then is allowed.
    const staticOnly = call('UpdateDistributionCommand', { ...ready, databaseWritable: false }, { DistributionConfig: { DefaultCacheBehavior: { TargetOriginId: 'portforge-front-dr' } } });
    expect(checkI1({ ...clean(), calls: [staticOnly] })).toEqual([]);
  });

  it('I2: a mutating AWS call or Kubernetes patch in a dry run is a violation', () => {
    const dry = { ...clean(), executions: [execution({ dryRun: true })], calls: [call('GetItemCommand'), call('PromoteReadReplicaCommand')], kube: [{ method: 'PATCH', path: '/api/v1/x', status: 200 }] };
    expect(checkI2(dry).map((v) => v.message)).toEqual([expect.stringContaining('PromoteReadReplicaCommand'), expect.stringContaining('Kubernetes PATCH')]);
    expect(checkI2({ ...dry, calls: [call('GetItemCommand')], kube: [{ method: 'GET', path: '/api/v1/x', status: 200 }] })).toEqual([]);
  });

  it('I3: two promotes, a restart per patch exceeded, a failed re-run or a different end state is a violation', () => {
    expect(checkI3({ ...clean(), promotes: 2 })).toEqual([expect.objectContaining({ message: 'the replica was promoted 2 times' })]);
    expect(checkI3({ ...clean(), restarts: 2 })).toEqual([expect.objectContaining({ message: 'Auth restarted 2 times for 1 ConfigMap version(s)' })]);
    expect(checkI3({ ...clean(), endState: { ...end, dns: { 'api.portforge.org. A': 'seoul' } } })[0]?.message).toMatch(/^the end state differs from a fault-free run: dns/);
    const notRerun = { ...clean(), executions: [failedRun()] };
    expect(checkI3(notRerun).map((v) => v.message)).toContain('a failed run was not re-run after healing');
    const rerunFailed = { ...clean(), executions: [failedRun(), failedRun({ phase: 'rerun', executionId: `${EXEC}-2` })] };
    expect(checkI3(rerunFailed).map((v) => v.message)).toContainEqual(expect.stringMatching(/^the re-run after healing ended FAILED/));
    expect(checkI3({ ...clean(), executions: [failedRun(), execution({ phase: 'rerun', executionId: `${EXEC}-2` })] })).toEqual([]);
    // Two at once: the lock's loser failed and the other completed; nothing to re-run.
    expect(checkI3({ ...clean(), executions: [failedRun({ error: 'CutoverLockHeldError' }), execution({ phase: 'concurrent', executionId: `${EXEC}-2` })] })).toEqual([]);
    expect(checkI3({ ...clean(), executions: [failedRun(), failedRun({ phase: 'concurrent', executionId: `${EXEC}-2` })] }).map((v) => v.message)).toContain('a failed run was not re-run after healing');
    // A succeeded cutover whose lock the table would not release: the end state may differ by that lock only, and only with the note.
    const brokenDelete: FaultSchedule = { faults: [{ target: 'aws:DeleteItem', kind: 'error', error: 'InternalServerError', count: 'always' }] };
    const heldAtEnd = { ...clean(), schedule: brokenDelete, endState: { ...end, lockHolder: EXEC } };
    expect(checkI3(heldAtEnd)[0]?.message).toMatch(/^the end state differs from a fault-free run: lockHolder/);
    expect(checkI3({ ...heldAtEnd, executions: [execution({ slackTexts: ['The cutover lock will expire at 01:30 UTC'] })] })).toEqual([]);
    expect(checkI3({ ...heldAtEnd, endState: { ...heldAtEnd.endState, dns: {} }, executions: [execution({ slackTexts: ['The cutover lock will expire at 01:30 UTC'] })] })[0]?.message).toMatch(/differs from a fault-free run: dns/);
  });

  it('I4: two concurrent executions that both change the world is a violation', () => {
    const other = `${EXEC}-b`;
    const both = { ...clean(), executions: [execution(), execution({ executionId: other, phase: 'concurrent', status: 'FAILED', error: 'CutoverLockHeldError' })] };
    expect(checkI4(both)).toEqual([]);
    both.calls = [...both.calls, call('PutItemCommand', ready, {}, other), call('ChangeResourceRecordSetsCommand', ready, {}, other)];
    expect(checkI4(both)).toEqual([expect.objectContaining({ invariant: 'I4', message: expect.stringContaining('2 concurrent executions changed the world') })]);
  });

  it('I5: a failure with no Slack message, a message naming another step or no cause, or a held lock is a violation', () => {
    const ok = { ...clean(), executions: [failedRun(), execution({ phase: 'rerun' })] };
    expect(checkI5(ok)).toEqual([]);
    expect(checkI5({ ...ok, executions: [failedRun({ slackTexts: [] })] })[0]?.message).toMatch(/posted no Slack message naming the error/);
    const wrongStep = failedRun({ slackTexts: ['❌ Cutover failed: prod\nFailed step: Switch DNS records\nError: PromotionFailedError\nCause: x'] });
    expect(checkI5({ ...ok, executions: [wrongStep] })[0]?.message).toMatch(/names step 'Switch DNS records', not the failed state 'Check RDS promotion'/);
    const noCause = failedRun({ slackTexts: ['❌ Cutover failed: prod\nFailed step: Check RDS promotion\nError: PromotionFailedError'] });
    expect(checkI5({ ...ok, executions: [noCause] })[0]?.message).toMatch(/gives no cause/);
    expect(checkI5({ ...ok, endState: { ...end, lockHolder: EXEC } })[0]?.message).toMatch(/lock was left held/);
    // Held after the failed run, though an operator cleared it before the re-run.
    expect(checkI5({ ...ok, executions: [failedRun({ lockHolderAfter: EXEC }), execution({ phase: 'rerun' })] })[0]?.message).toMatch(/lock was left held by .*drill-1$/);
    // Held by an execution outside the drill (a lock-held fault): not ours to release.
    expect(checkI5({ ...ok, endState: { ...end, lockHolder: 'arn:aws:states:x:execution:dr-cutover:earlier-run' } })).toEqual([]);
    // Left to expire only where the lock table's delete was broken for good, and said so.
    const deleteBroken = { ...ok, schedule: { faults: [{ target: 'aws:DeleteItem', kind: 'error' as const, error: 'InternalServerError', count: 'always' as const }] }, endState: { ...end, lockHolder: EXEC } };
    expect(checkI5(deleteBroken)[0]?.message).toMatch(/no message says it is left to expire/);
    deleteBroken.executions = [failedRun({ slackTexts: [...(failedRun().slackTexts), 'The cutover lock will expire at 01:30 UTC'] })];
    expect(checkI5(deleteBroken)).toEqual([]);
  });

  it('I5: the failed state is the one that failed with the execution\'s error and was not retried', () => {
    expect(
      failedState({
        error: 'PreflightBlockedError',
        events: [
          { type: 'StateFailed', state: 'Acquire cutover lock', error: 'AwsTransientError' },
          { type: 'StateRetried', state: 'Acquire cutover lock' },
          { type: 'StateFailed', state: 'Preflight', error: 'PreflightBlockedError' },
          { type: 'StateCaught', state: 'Preflight' },
        ],
      }),
    ).toBe('Preflight');
  });

  it('I5: a poll that ran out may be named by its stage, never by an unrelated step', () => {
    const timedOut = failedRun({
      error: 'DistributionDeployTimeoutError',
      events: [
        { type: 'StateFailed', state: 'CloudFront static deployment timed out', error: 'DistributionDeployTimeoutError' },
        { type: 'StateFailed', state: 'Recover', error: 'DistributionDeployTimeoutError' },
        { type: 'StateCaught', state: 'Recover' },
        { type: 'StateFailed', state: 'Cutover failed', error: 'DistributionDeployTimeoutError' },
      ],
      slackTexts: ['❌ Cutover failed: prod\nFailed step: Recover\nError: DistributionDeployTimeoutError\nCause: CloudFront static deployment did not finish'],
    });
    const ok = { ...clean(), executions: [timedOut, execution({ phase: 'rerun' })] };
    expect(checkI5(ok)).toEqual([]);
    const other = { ...timedOut, slackTexts: [timedOut.slackTexts[0]?.replace('Failed step: Recover', 'Failed step: Cutover') ?? ''] };
    expect(checkI5({ ...ok, executions: [other] })[0]?.message).toMatch(/names step 'Cutover'/);
  });

  it('I6: a secret in the history, output, a message or a call input is a violation', () => {
    const secret = 'signing-secret-value';
    expect(checkI6({ ...clean(), executions: [execution({ events: [{ type: 'TaskSucceeded', cause: `x ${secret}` }] })] })).toHaveLength(1);
    expect(checkI6({ ...clean(), executions: [execution({ output: { leaked: secret } })] })).toHaveLength(1);
    expect(checkI6({ ...clean(), executions: [execution({ slackPosts: [{ text: 'https://hooks.slack.test/T0/B0/secret' }] })] })).toHaveLength(1);
    expect(checkI6({ ...clean(), calls: [call('PublishCommand', ready, { Message: secret })] })[0]?.message).toMatch(/input of call 0 \(PublishCommand/);
  });

  it('I7: a planned promotion sent while the replica lags beyond the RPO budget is a violation', () => {
    const planned = { ...clean(), executions: [execution({ mode: 'planned' })], calls: [call('PromoteReadReplicaCommand', { ...ready, replicaLagSeconds: 4 })] };
    expect(checkI7(planned)).toEqual([expect.objectContaining({ message: 'planned promotion sent with replica lag 4 s (budget 0 s)' })]);
    expect(checkI7({ ...planned, calls: [call('PromoteReadReplicaCommand', { ...ready, replicaLagSeconds: -1 })] })).toHaveLength(1);
    expect(checkI7({ ...planned, calls: [call('PromoteReadReplicaCommand', ready)] })).toEqual([]);
    // Emergency mode promotes whatever the lag.
    expect(checkI7({ ...planned, executions: [execution()] , calls: [call('PromoteReadReplicaCommand', { ...ready, replicaLagSeconds: -1 })] })).toEqual([]);
  });
});

describe('chaos schedules', () => {
  it('are reproducible from the seed, valid fault files, with 1 to 5 faults and the varied run around them', () => {
    const a = generateSchedules(7, 200);
    expect(generateSchedules(7, 200)).toEqual(a);
    expect(generateSchedules(8, 200)).not.toEqual(a);
    for (const s of a) {
      expect(FaultScheduleSchema.parse(JSON.parse(JSON.stringify(s)))).toEqual(s);
      expect(s.faults.length).toBeGreaterThanOrEqual(1);
      expect(s.faults.length).toBeLessThanOrEqual(5);
    }
    const faults = a.flatMap((s) => s.faults);
    expect(faults.some((f) => f.kind === 'lost-response')).toBe(true);
    expect(faults.some((f) => f.count === 'always')).toBe(true);
    expect(faults.some((f) => typeof f.count === 'number')).toBe(true);
    expect(faults.some((f) => f.target.startsWith('kubernetes:'))).toBe(true);
    expect(faults.some((f) => f.target.startsWith('condition:'))).toBe(true);
    expect(new Set(a.map((s) => s.mode))).toEqual(new Set(['emergency', 'planned']));
    expect(new Set(a.map((s) => s.dryRun))).toEqual(new Set([true, false]));
    expect(new Set(a.map((s) => s.trigger))).toEqual(new Set(['manual', 'alarm']));
    expect(new Set(a.map((s) => s.approver?.decision ?? 'none'))).toEqual(new Set(['approve', 'deny', 'none']));
    expect(new Set(a.map((s) => s.topology?.tables))).toEqual(new Set([1, 2, 3, 4, 5]));
    expect(new Set(a.map((s) => s.topology?.records))).toEqual(new Set([1, 2, 3, 4, 5]));
    expect(a.some((s) => s.topology?.firstRecordRouting !== undefined)).toBe(true);
    expect(a.some((s) => s.timing !== undefined)).toBe(true);
    expect(a.some((s) => s.concurrent === 2)).toBe(true);
  });

  it('use every fault kind of each target family and every world condition the engine supports', () => {
    const faults = generateSchedules(3, 1000).flatMap((s) => s.faults);
    const kindsOf = (family: string) => new Set(faults.filter((f) => f.target.startsWith(`${family}:`)).map((f) => f.kind));
    expect(kindsOf('aws')).toEqual(new Set(['error', 'lost-response', 'delay', 'hang']));
    expect(kindsOf('kubernetes')).toEqual(new Set(['status', 'lost-response', 'delay', 'hang']));
    expect(kindsOf('condition')).toEqual(new Set(['stuck']));
    const conditions = new Set(faults.filter((f) => f.target.startsWith('condition:')).map((f) => f.target.slice('condition:'.length)));
    expect([...conditions].sort()).toEqual([...CONDITIONS].sort());
    // Every AWS command the cutover sends is a target.
    const commands = new Set(faults.filter((f) => f.target.startsWith('aws:')).map((f) => f.target.slice('aws:'.length)));
    expect([...commands].sort()).toEqual(Object.keys(AWS_TARGETS).sort());
  });

  it('re-run a planned cutover that Seoul\'s lost DynamoDB replicas block as an emergency one, and any other with its own input', () => {
    const planned = { mode: 'planned', dryRun: false, reason: 'chaos' };
    const removed: FaultSchedule = { mode: 'planned', faults: [{ target: 'condition:primary-replicas-inaccessible', kind: 'stuck', value: 21 }] };
    const healable: FaultSchedule = { mode: 'planned', faults: [{ target: 'condition:replica-lag', kind: 'stuck', value: 5 }] };
    expect(lastingConditions(removed)).toEqual(['primary-replicas-inaccessible']);
    expect(lastingConditions(healable)).toEqual([]);
    expect(rerunInput(planned, removed)).toEqual({ ...planned, mode: 'emergency' });
    expect(rerunInput(planned, healable)).toBe(planned);
    expect(rerunInput({ ...planned, mode: 'emergency' }, removed)).toEqual({ ...planned, mode: 'emergency' });
  });

  it('count as Auth restarts the Deployment patches the API accepted, not those refused or never answered', () => {
    const deployment = '/apis/apps/v1/namespaces/portforge/deployments/auth';
    expect(
      acceptedRestarts([
        { method: 'PATCH', path: deployment, status: 0 },
        { method: 'PATCH', path: deployment, status: 429 },
        { method: 'GET', path: deployment, status: 200 },
        { method: 'PATCH', path: '/api/v1/namespaces/portforge/configmaps/auth-config', status: 200 },
        { method: 'PATCH', path: deployment, status: 200 },
      ]),
    ).toBe(1);
  });

  it('refuses bad arguments with one line', () => {
    expect(() => parseChaosArgs(['--count', '0'])).toThrow(/^--count must be at least 1$/);
    expect(() => parseChaosArgs(['--seed', 'x'])).toThrow(/^--seed must be a whole number$/);
    expect(() => parseChaosArgs(['--env', 'qa'])).toThrow(/^--env must be one of: /);
    expect(() => parseChaosArgs(['--bogus'])).toThrow(/^Unknown option '--bogus'/);
    expect(parseChaosArgs(['--count', '3', '--seed', '9', '--json'])).toMatchObject({ count: 3, seed: 9, json: true, env: 'prod' });
  });
});
