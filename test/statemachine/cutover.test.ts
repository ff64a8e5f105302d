import { Drill, type DrillRun } from '../../drill/drill';
import { findScenario } from '../../drill/scenarios';
import type { SimulatedWorld } from '../../drill/world';
import type { EnvironmentConfig } from '../../stacks/config';
import { testConfig } from '../support/config';

/**
 * Executes the synthesized definition (the one `cdk deploy` ships) in-process, every Task
 * bound to its real step handler, against the simulated standby world on simulated time.
 */
const config: EnvironmentConfig = testConfig('staging');
let drill: Drill;
let world: SimulatedWorld;

/** A world where the primary Region is down (emergency), or healthy (`primaryOutage: false`, planned runs). */
async function open(arrange?: (w: SimulatedWorld) => void, options: { primaryOutage?: boolean } = {}): Promise<void> {
  drill = await Drill.create({ config, arrange, primaryOutage: options.primaryOutage ?? true });
  world = drill.world;
}

afterEach(async () => {
  await drill.close();
});

const emergency = { mode: 'emergency', dryRun: false, reason: 'Seoul Region outage drill', requestedBy: 'sre-oncall' };
const run = (input: unknown): Promise<DrillRun> => drill.run(input);
const publishedTypes = () => world.published.map((p) => (p.message as { type: string }).type);

function indexOf(states: string[], name: string): number {
  const i = states.indexOf(name);
  if (i < 0) throw new Error(`state '${name}' was not entered; entered: ${states.join(' → ')}`);
  return i;
}

describe('the synthesized cutover state machine', () => {
  it('runs an emergency cutover end to end: promote, patch, roll, switch, verify, release', async () => {
    await open();
    const trafficSwitchedWhen: Array<{ command: string; standalone: boolean; authPatched: boolean }> = [];
    world.beforeCall = (command, input) => {
      const apiBehaviour = command === 'UpdateDistributionCommand' && JSON.stringify(input).includes('"PathPattern":"/api/*","TargetOriginId":"portforge-alb-tokyo"');
      if (command === 'ChangeResourceRecordSetsCommand' || apiBehaviour) {
        trafficSwitchedWhen.push({ command, standalone: world.databaseRole() === 'standalone (writable)', authPatched: world.authPatchedAndRolled() });
      }
    };

    const { result, report } = await run(emergency);

    expect(result.error).toBeNull();
    expect(result.status).toBe('SUCCEEDED');
    const s = result.statesEntered;
    expect(indexOf(s, 'Validate input')).toBeLessThan(indexOf(s, 'Acquire cutover lock'));
    expect(indexOf(s, 'Acquire cutover lock')).toBeLessThan(indexOf(s, 'Preflight'));
    expect(indexOf(s, 'Preflight')).toBeLessThan(indexOf(s, 'Recover'));
    expect(s.lastIndexOf('Check RDS promotion')).toBeLessThan(indexOf(s, 'Switch traffic'));
    expect(indexOf(s, 'Switch traffic')).toBeLessThan(indexOf(s, 'Verify DR endpoint'));
    expect(s.slice(-3)).toEqual(['Announce success', 'Release cutover lock', 'Cutover succeeded']);
    expect(s).toEqual(expect.arrayContaining(['Wait for RDS promotion', 'Wait for Auth rollout', 'Wait for DNS change', 'Report']));
    expect(s).not.toContain('Report failure');

    // The world converged: promoted, patched, rolled, switched.
    expect(world.databaseRole()).toBe('standalone (writable)');
    expect(world.callsOf('PromoteReadReplicaCommand')).toHaveLength(1);
    expect(world.kube.configMap(config.eks.namespace, config.eks.configMapName)?.data).toEqual({ ...config.eks.configMapData, LOG_LEVEL: 'info' });
    expect(world.dnsTargets()).toEqual({ 'api.staging.portforge.org': config.route53.aliasTarget.dnsName });
    expect(world.behaviorOrigins()).toEqual({ '*': 'portforge-front-dr', '/api/*': 'portforge-alb-tokyo' });

    // I1: no DNS record or API behaviour moved before the database was writable and Auth patched and rolled.
    expect(trafficSwitchedWhen).toEqual([
      expect.objectContaining({ standalone: true, authPatched: true }),
      expect.objectContaining({ standalone: true, authPatched: true }),
    ]);
    // The control plane never calls the failing Region: only the standby Region and the global (us-east-1) APIs.
    expect([...new Set(world.calls.map((c) => c.region))].sort()).toEqual([config.standbyRegion, 'us-east-1'].sort());
    // I4/I5: the lock is released; every stage was announced.
    expect(world.lock.size).toBe(0);
    expect(publishedTypes()).toEqual(['cutover.started', 'cutover.stage-completed', 'cutover.stage-completed', 'cutover.succeeded']);
    expect(report).toMatchObject({ status: 'succeeded', failure: null, rpoSeconds: 0 });
    expect(report?.steps.map((t) => t.step)).toEqual([
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
    await open();
    const { result, report } = await run({ ...emergency, dryRun: true });

    expect(result.status).toBe('SUCCEEDED');
    expect(world.mutatingCalls()).toEqual([]);
    expect(world.kube.mutatingRequests()).toEqual([]);
    expect(result.statesEntered).toEqual(
      expect.arrayContaining(['Skip waiting for RDS promotion (dry run)', 'Skip waiting for Auth rollout (dry run)', 'Publish dry-run plan']),
    );
    expect(result.statesEntered).not.toContain('Wait for RDS promotion');
    expect(world.databaseRole()).toMatch(/^read replica/);

    expect(publishedTypes().at(-1)).toBe('cutover.dry-run-plan');
    const resources = report?.changes.map((c) => c.resource) ?? [];
    expect(resources).toEqual(
      expect.arrayContaining([
        `rds/${config.rds.replicaInstanceId}`,
        `configmap/${config.eks.namespace}/${config.eks.configMapName}`,
        `deployment/${config.eks.namespace}/${config.eks.deploymentName}`,
        `route53/${config.route53.hostedZoneId}/api.staging.portforge.org/A`,
        `cloudfront/${config.cloudfront.distributionId}/behavior/*`,
        `cloudfront/${config.cloudfront.distributionId}/behavior//api/*`,
      ]),
    );
  });

  it('dry-runs a failover record: the diff names the exact record set, and nothing is sent', async () => {
    const record = { name: 'api.staging.portforge.org', type: 'A' as const, setIdentifier: 'seoul', failover: 'PRIMARY' as const };
    drill = await Drill.create({ config: testConfig('staging', { route53: { records: [record] } }) });
    world = drill.world;

    const { result, report } = await run({ ...emergency, dryRun: true });

    expect(result.status).toBe('SUCCEEDED');
    expect(world.mutatingCalls()).toEqual([]);
    const dns = report?.changes.filter((c) => c.resource.startsWith('route53/')) ?? [];
    expect(dns).toEqual([
      {
        resource: `route53/${config.route53.hostedZoneId}/api.staging.portforge.org/A/seoul`,
        action: 'UPSERT alias',
        before: { aliasTarget: { dnsName: 'portforge-alb-seoul.ap-northeast-2.elb.amazonaws.com.', hostedZoneId: 'ZWKZPGTI48KDX', evaluateTargetHealth: true } },
        after: { aliasTarget: config.route53.aliasTarget },
      },
    ]);
  });

  it('lets an emergency cutover proceed past the failing Region\'s DynamoDB replica, but stops a planned one at preflight', async () => {
    await open((w) => {
      for (const table of config.dynamodb.tables) {
        w.tables.set(table, {
          status: 'ACTIVE',
          replicas: [
            { region: config.primaryRegion, status: 'INACCESSIBLE_ENCRYPTION_CREDENTIALS' },
            { region: config.standbyRegion, status: 'ACTIVE' },
          ],
        });
      }
    });
    const planned = await run({ ...emergency, mode: 'planned' });
    expect(planned.result.status).toBe('FAILED');
    expect(planned.result.error).toBe('PreflightBlockedError');
    expect(planned.result.cause).toContain('INACCESSIBLE_ENCRYPTION_CREDENTIALS');
    expect(world.callsOf('PromoteReadReplicaCommand')).toEqual([]);

    const urgent = await run(emergency);
    expect(urgent.result.status).toBe('SUCCEEDED');
    expect(world.databaseRole()).toBe('standalone (writable)');
  });

  it('waits in planned mode until replica lag is within the RPO budget before promoting (I7)', async () => {
    const scenario = findScenario('planned');
    await open(scenario?.arrange, { primaryOutage: false });
    const lagWhenPromoted: number[] = [];
    const lagAtFirstChange: number[] = [];
    world.beforeCall = (command) => {
      if (command === 'PromoteReadReplicaCommand') lagWhenPromoted.push(world.currentReplicaLag());
      if (['UpdateDistributionCommand', 'ChangeResourceRecordSetsCommand', 'PromoteReadReplicaCommand'].includes(command)) lagAtFirstChange.push(world.currentReplicaLag());
    };

    const { result, report } = await run({ ...emergency, mode: 'planned' });

    expect(result.status).toBe('SUCCEEDED');
    // It waits at preflight, before any change: nothing moved while the lag was above budget.
    expect(result.events.filter((e) => e.type === 'StateRetried' && e.state === 'Preflight').length).toBeGreaterThanOrEqual(1);
    expect(lagAtFirstChange.every((lag) => lag === 0)).toBe(true);
    expect(world.kube.mutatingRequests().length).toBeGreaterThan(0);
    expect(lagWhenPromoted).toEqual([0]);
    expect(report?.rpoSeconds).toBe(0);
  });

  it('promotes in emergency mode despite replica lag, and reports the lag as the RPO', async () => {
    await open((w) => {
      w.replicaLagSeconds = 7;
    });
    const { result, report } = await run(emergency);
    expect(result.status).toBe('SUCCEEDED');
    expect(report?.rpoSeconds).toBe(7);
  });

  it('refuses a second cutover while the lock is held, changing nothing', async () => {
    await open((w) => w.holdLock('arn:aws:states:ap-northeast-1:123456789012:execution:dr-cutover-staging:first'));
    const { result } = await run(emergency);

    expect(result.status).toBe('FAILED');
    expect(result.error).toBe('CutoverLockHeldError');
    expect(result.cause).toContain('execution:dr-cutover-staging:first');
    expect(result.statesEntered).not.toContain('Preflight');
    expect(world.callsOf('PromoteReadReplicaCommand')).toEqual([]);
    expect(world.kube.mutatingRequests()).toEqual([]);
    expect(world.lock.get(config.name)?.executionId?.S).toContain(':first');
  });

  it('refuses two cutovers started at the same moment: exactly one runs (I4)', async () => {
    await open();
    const [a, b] = await Promise.all([run(emergency), run(emergency)]);
    const statuses = [a.result.status, b.result.status].sort();
    expect(statuses).toEqual(['FAILED', 'SUCCEEDED']);
    expect([a.result.error, b.result.error]).toContain('CutoverLockHeldError');
    expect(world.callsOf('PromoteReadReplicaCommand')).toHaveLength(1);
    expect(world.lock.size).toBe(0);
  });

  it('rejects invalid input at once with a clear cause and makes no call', async () => {
    await open();
    const { result } = await run({ mode: 'emergency', dryRun: false, targets: { cluster: 'other' } });

    expect(result.status).toBe('FAILED');
    expect(result.error).toBe('InputValidationError');
    expect(result.cause).toMatch(/reason/);
    expect(result.cause).toMatch(/targets/);
    expect(result.statesEntered).toEqual(['Validate input', 'Input rejected']);
    expect(world.calls).toEqual([]);
  });
});
