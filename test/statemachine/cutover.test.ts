import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { extractCutover, synthesizeTemplate, type SynthesizedCutover } from '../../drill/definition';
import { runLocally, type LocalRunResult } from '../../drill/local-execution';
import { SimulatedWorld } from '../../drill/world';
import { toRuntimeTargets, type EnvironmentConfig } from '../../stacks/config';
import { testConfig } from '../support/config';

/**
 * Executes the synthesized definition (the one `cdk deploy` ships) in-process, every Task
 * bound to its real step handler, against a simulated standby world.
 */
let endpoint: http.Server;
let endpointStatus = 200;
let config: EnvironmentConfig;
let cutover: SynthesizedCutover;
let world: SimulatedWorld;

beforeAll(async () => {
  endpoint = http.createServer((_req, res) => {
    res.writeHead(endpointStatus).end('ok');
  });
  await new Promise<void>((resolve) => endpoint.listen(0, '127.0.0.1', resolve));
  const port = (endpoint.address() as AddressInfo).port;
  config = testConfig('staging', { endpoint: { url: `http://127.0.0.1:${port}/health`, maxAttempts: 2 } });
  cutover = extractCutover(synthesizeTemplate(config), config.standbyRegion);
});

afterAll(async () => {
  await new Promise((resolve) => endpoint.close(resolve));
});

beforeEach(async () => {
  endpointStatus = 200;
  world = new SimulatedWorld(config, toRuntimeTargets(config, 'arn:aws:acm:ap-northeast-1:123456789012:certificate/x'));
  await world.start();
});

afterEach(async () => {
  await world.stop();
});

const emergency = { mode: 'emergency', dryRun: false, reason: 'Seoul Region outage drill', requestedBy: 'sre-oncall' };
const run = (input: unknown, executionName?: string): Promise<LocalRunResult> =>
  runLocally({ cutover, input, executionName, pauseMs: 5 });

function publishedTypes(): string[] {
  return world.published.map((p) => (p.message as { type: string }).type);
}

function indexOf(states: string[], name: string): number {
  const i = states.indexOf(name);
  if (i < 0) throw new Error(`state '${name}' was not entered; entered: ${states.join(' → ')}`);
  return i;
}

describe('the synthesized cutover state machine', () => {
  it('runs an emergency cutover end to end and releases the lock', async () => {
    const trafficSwitchedWhen: Array<{ standalone: boolean; authPatched: boolean }> = [];
    world.beforeCall = (command) => {
      if (command === 'ChangeResourceRecordSetsCommand') {
        trafficSwitchedWhen.push({
          standalone: world.replica.source === null && world.replica.status === 'available',
          authPatched: world.kube.configMap(config.eks.namespace, config.eks.configMapName)?.data?.COGNITO_REGION === config.standbyRegion,
        });
      }
    };

    const result = await run(emergency);

    expect(result.error).toBeNull();
    expect(result.status).toBe('SUCCEEDED');
    const s = result.statesEntered;
    expect(indexOf(s, 'Validate input')).toBeLessThan(indexOf(s, 'Acquire cutover lock'));
    expect(indexOf(s, 'Acquire cutover lock')).toBeLessThan(indexOf(s, 'Preflight'));
    expect(indexOf(s, 'Preflight')).toBeLessThan(indexOf(s, 'Recover'));
    expect(indexOf(s, 'Check RDS promotion')).toBeLessThan(indexOf(s, 'Switch traffic'));
    expect(indexOf(s, 'Switch traffic')).toBeLessThan(indexOf(s, 'Verify DR endpoint'));
    expect(s.slice(-3)).toEqual(['Announce success', 'Release cutover lock', 'Cutover succeeded']);
    expect(s).toEqual(expect.arrayContaining(['Wait for RDS promotion', 'Wait for Auth rollout', 'Wait for DNS change', 'Report']));
    expect(s).not.toContain('Report failure');

    // The world converged: promoted, patched, rolled, switched.
    expect(world.replica).toMatchObject({ status: 'available', source: null });
    expect(world.callsOf('PromoteReadReplicaCommand')).toHaveLength(1);
    expect(world.kube.configMap(config.eks.namespace, config.eks.configMapName)?.data).toMatchObject({
      ...config.eks.configMapData,
      LOG_LEVEL: 'info',
    });
    expect(world.dnsTargets()).toEqual({ 'api.staging.portforge.org': config.route53.aliasTarget.dnsName });
    expect(world.behaviorOrigins()).toEqual({ '*': 'portforge-front-dr', '/api/*': 'portforge-alb-tokyo' });

    // I1: no DNS record moved before the database was standalone and Auth patched.
    expect(trafficSwitchedWhen).toEqual([{ standalone: true, authPatched: true }]);
    // I4/I5: the lock is released; every stage was announced.
    expect(world.lock.size).toBe(0);
    expect(publishedTypes()).toEqual([
      'cutover.started',
      'cutover.stage-completed',
      'cutover.stage-completed',
      'cutover.succeeded',
    ]);
    const report = (world.published.at(-1)?.message as { report: { steps: Array<{ step: string }>; rpoSeconds: number | null; failure: unknown } }).report;
    expect(report.failure).toBeNull();
    expect(report.rpoSeconds).toBe(0);
    expect(report.steps.map((t) => t.step)).toEqual([
      'Preflight',
      'Promote RDS replica',
      'Verify DynamoDB replicas',
      'Patch Auth config and roll out',
      'Switch CloudFront static origins',
      'Switch DNS records',
      'Switch CloudFront API origins',
      'Verify DR endpoint',
    ]);
  });

  it('walks the same graph in a dry run with zero mutating calls and reports the plan', async () => {
    const result = await run({ ...emergency, dryRun: true });

    expect(result.status).toBe('SUCCEEDED');
    expect(world.mutatingCalls()).toEqual([]);
    expect(world.kube.mutatingRequests()).toEqual([]);
    expect(result.statesEntered).toEqual(
      expect.arrayContaining(['Skip waiting for RDS promotion (dry run)', 'Skip waiting for Auth rollout (dry run)', 'Publish dry-run plan']),
    );
    expect(result.statesEntered).not.toContain('Wait for RDS promotion');
    expect(world.replica.source).toBe(config.rds.primaryInstanceId);

    const plan = world.published.at(-1)?.message as { type: string; report: { changes: Array<{ resource: string; action: string }> } };
    expect(plan.type).toBe('cutover.dry-run-plan');
    const resources = plan.report.changes.map((c) => c.resource);
    expect(resources).toEqual(
      expect.arrayContaining([
        `rds/${config.rds.replicaInstanceId}`,
        `configmap/${config.eks.namespace}/${config.eks.configMapName}`,
        `route53/${config.route53.hostedZoneId}/api.staging.portforge.org/A`,
      ]),
    );
    expect(resources.some((r) => r.startsWith(`cloudfront/${config.cloudfront.distributionId}/behavior/`))).toBe(true);
  });

  it('stops at preflight, before any change, when the standby is not ready', async () => {
    world.certificateStatus = 'PENDING_VALIDATION';
    world.clusterStatus = 'CREATING';
    const result = await run(emergency);

    expect(result.status).toBe('FAILED');
    expect(result.error).toBe('PreflightBlockedError');
    expect(result.cause).toMatch(/certificate/i);
    expect(result.cause).toMatch(/cluster/i);
    expect(result.statesEntered).not.toContain('Recover');
    expect(world.mutatingCalls().map((c) => c.command)).toEqual(['PutItemCommand', 'DeleteItemCommand']);
    expect(world.lock.size).toBe(0);
    expect(publishedTypes()).toEqual(['cutover.started', 'cutover.failed']);
  });

  it('lets an emergency cutover proceed past the failing Region\'s DynamoDB replica, but stops a planned one at preflight', async () => {
    for (const table of config.dynamodb.tables) {
      world.tables.set(table, {
        status: 'ACTIVE',
        replicas: [
          { region: config.primaryRegion, status: 'INACCESSIBLE_ENCRYPTION_CREDENTIALS' },
          { region: config.standbyRegion, status: 'ACTIVE' },
        ],
      });
    }
    const planned = await run({ ...emergency, mode: 'planned' }, 'planned');
    expect(planned.status).toBe('FAILED');
    expect(planned.error).toBe('PreflightBlockedError');
    expect(planned.cause).toContain('INACCESSIBLE_ENCRYPTION_CREDENTIALS');
    expect(world.callsOf('PromoteReadReplicaCommand')).toEqual([]);

    const urgent = await run(emergency, 'emergency');
    expect(urgent.status).toBe('SUCCEEDED');
    expect(world.replica.source).toBeNull();
  });

  it('fails a run whose Auth rollout fails before any traffic moves, reports the step and releases the lock', async () => {
    world.kube.setRolloutOutcome('progress-deadline-exceeded');
    const result = await run(emergency);

    expect(result.status).toBe('FAILED');
    expect(result.error).toBe('RolloutFailedError');
    expect(result.statesEntered).toEqual(
      expect.arrayContaining(['Auth update failed', 'Recover failed', 'Report failure', 'Announce failure', 'Release cutover lock after failure', 'Cutover failed']),
    );
    expect(result.statesEntered).not.toContain('Switch traffic');
    expect(world.callsOf('ChangeResourceRecordSetsCommand')).toEqual([]);
    expect(world.lock.size).toBe(0);
    const failed = world.published.at(-1)?.message as { type: string; report: { failure: { stage: string; step: string; error: string } } };
    expect(failed.type).toBe('cutover.failed');
    expect(failed.report.failure).toMatchObject({ stage: 'Recover', step: 'Check Auth rollout', error: 'RolloutFailedError' });
  });

  it('absorbs throttling with Retry and still promotes the replica exactly once', async () => {
    const throttle = () => Object.assign(new Error('Rate exceeded'), { name: 'Throttling', $metadata: { httpStatusCode: 400 }, $retryable: { throttling: true } });
    world.failNext('PromoteReadReplicaCommand', 2, throttle);

    const result = await run(emergency);

    expect(result.status).toBe('SUCCEEDED');
    expect(result.events.filter((e) => e.type === 'StateRetried' && e.state === 'Promote RDS replica')).toHaveLength(2);
    expect(world.callsOf('PromoteReadReplicaCommand')).toHaveLength(3);
    expect(world.replica.source).toBeNull();
  });

  it('waits in planned mode until replica lag is within the RPO budget before promoting (I7)', async () => {
    world.replicaLagSeconds = 4;
    let lagReads = 0;
    const lagWhenPromoted: number[] = [];
    world.beforeCall = (command) => {
      if (command === 'GetMetricDataCommand' && ++lagReads === 4) world.replicaLagSeconds = 0;
      if (command === 'PromoteReadReplicaCommand') lagWhenPromoted.push(world.replicaLagSeconds);
    };

    const result = await run({ ...emergency, mode: 'planned' });

    expect(result.status).toBe('SUCCEEDED');
    expect(result.events.filter((e) => e.type === 'StateRetried' && e.state === 'Promote RDS replica').length).toBeGreaterThanOrEqual(1);
    expect(lagWhenPromoted).toEqual([0]);
  });

  it('refuses a second cutover while the lock is held, changing nothing', async () => {
    world.lock.set(config.name, {
      lockId: { S: config.name },
      executionId: { S: 'arn:aws:states:ap-northeast-1:123456789012:execution:dr-cutover-staging:first' },
      acquiredAt: { S: new Date().toISOString() },
      expiresAt: { N: String(Math.floor(Date.now() / 1000) + 3600) },
    });

    const result = await run(emergency, 'second');

    expect(result.status).toBe('FAILED');
    expect(result.error).toBe('CutoverLockHeldError');
    expect(result.cause).toContain('execution:dr-cutover-staging:first');
    expect(result.statesEntered).not.toContain('Preflight');
    expect(world.callsOf('PromoteReadReplicaCommand')).toEqual([]);
    expect(world.kube.mutatingRequests()).toEqual([]);
    expect(world.lock.get(config.name)?.executionId?.S).toContain(':first');
  });

  it('rejects invalid input at once with a clear cause and makes no call', async () => {
    const result = await run({ mode: 'emergency', dryRun: false, targets: { cluster: 'other' } });

    expect(result.status).toBe('FAILED');
    expect(result.error).toBe('InputValidationError');
    expect(result.cause).toMatch(/reason/);
    expect(result.cause).toMatch(/targets/);
    expect(result.statesEntered).toEqual(['Validate input', 'Input rejected']);
    expect(world.calls).toEqual([]);
  });

  it('converges when re-run after a failure, without repeating completed side effects', async () => {
    endpointStatus = 503;
    const first = await run(emergency, 'first');
    expect(first.status).toBe('FAILED');
    expect(first.error).toBe('EndpointUnhealthyError');
    expect(world.lock.size).toBe(0);

    endpointStatus = 200;
    const callsBefore = world.mutatingCalls().length;
    const patchesBefore = world.kube.mutatingRequests().length;
    const second = await run(emergency, 'second');

    expect(second.status).toBe('SUCCEEDED');
    expect(world.callsOf('PromoteReadReplicaCommand')).toHaveLength(1);
    // Only the lock's own put/delete are new: no promote, DNS or CloudFront change is repeated.
    expect(world.mutatingCalls().slice(callsBefore).map((c) => c.command)).toEqual(['PutItemCommand', 'DeleteItemCommand']);
    expect(world.kube.mutatingRequests()).toHaveLength(patchesBefore);
  });
});
