import { buildReport, causeMessage, failedStep, type ReportInput } from '../../functions/report/logic';
import { rpoText } from '../../functions/shared/rpo';

const input: ReportInput['input'] = { mode: 'emergency', dryRun: false, reason: 'r', requestedBy: 'sre', trigger: { type: 'manual' } };
const timed = (startedAt: string, finishedAt: string, extra: Record<string, unknown> = {}) => ({ step: 'a step', startedAt, finishedAt, ...extra });

describe('Report', () => {
  const results = {
    preflight: timed('2026-11-27T03:00:01Z', '2026-11-27T03:00:02Z', { outcome: 'verified', changes: [] }),
    recovery: {
      database: {
        promote: timed('2026-11-27T03:00:03Z', '2026-11-27T03:00:04Z', {
          outcome: 'changed',
          replicaLagSeconds: 2.5,
          changes: [{ resource: 'rds/replica', action: 'promote read replica' }],
        }),
        promotion: timed('2026-11-27T03:06:00Z', '2026-11-27T03:06:01Z', { done: true }),
      },
      tables: [timed('2026-11-27T03:00:03Z', '2026-11-27T03:00:05Z', { outcome: 'verified' })],
    },
    traffic: {
      dns: [
        {
          // A Map item carries the validated input too, stamped by its own step: not a DNS timing.
          input: { startedAt: '2026-11-27T03:00:00Z', finishedAt: '2026-11-27T03:00:00Z', mode: 'emergency' },
          switch: timed('2026-11-27T03:06:02Z', '2026-11-27T03:06:03Z', { outcome: 'changed' }),
          sync: timed('2026-11-27T03:07:00Z', '2026-11-27T03:07:01Z'),
        },
      ],
    },
    endpoint: timed('2026-11-27T03:07:02Z', '2026-11-27T03:07:03Z', { outcome: 'verified' }),
  };

  const withReplication = (replication: Record<string, unknown>) => ({
    ...results,
    recovery: { ...results.recovery, database: { ...results.recovery.database, promote: { ...results.recovery.database.promote, replicaLagSeconds: null, replication } } },
  });
  const reportOf = (r: Record<string, unknown>) =>
    buildReport({ status: 'succeeded', environment: 'prod', executionId: 'e', executionStartTime: '2026-11-27T03:00:00Z', input, results: r }, new Date('2026-11-27T03:07:05Z'));

  it('says RPO unknown, since the last healthy datapoint, when replication had stopped: never 0 s or -1', () => {
    const report = reportOf(
      withReplication({ state: 'stopped', applyLagSeconds: null, lastHealthyAt: '2026-11-27T02:54:00.000Z', lastKnownApplyLagSeconds: 3, statusInfo: 'read replication error (not normal)' }),
    );
    expect(report.rpoSeconds).toBeNull();
    expect(report.rpo).toEqual({
      state: 'unknown',
      replication: 'stopped',
      applyLagSeconds: null,
      replicationStoppedAt: '2026-11-27T02:54:00.000Z',
      lastKnownApplyLagSeconds: 3,
      statusInfo: 'read replication error (not normal)',
    });
    expect(rpoText(report, { duration: (x) => `${x} s`, time: (t) => t })).toBe('RPO unknown: replication stopped at 2026-11-27T02:54:00.000Z; last known apply lag 3 s');
  });

  it('labels the figure as apply lag when replication was running at promotion', () => {
    const report = reportOf(withReplication({ state: 'running', applyLagSeconds: 0, lastHealthyAt: '2026-11-27T02:58:00.000Z', lastKnownApplyLagSeconds: 0, statusInfo: 'read replication replicating' }));
    expect(report.rpoSeconds).toBe(0);
    expect(report.rpo).toMatchObject({ state: 'measured', applyLagSeconds: 0 });
    expect(rpoText(report, { duration: (x) => `${x} s`, time: (t) => t })).toBe('RPO: apply lag 0 s at promotion (ReplicaLag; replication was running)');
  });

  it('never reports a recorded -1 as the RPO', () => {
    const report = reportOf({ ...results, recovery: { ...results.recovery, database: { promote: { ...results.recovery.database.promote, replicaLagSeconds: -1 } } } });
    expect(report.rpoSeconds).toBeNull();
  });

  it('times each stage from its first start to its last poll, and estimates RTO and RPO', () => {
    const report = buildReport(
      { status: 'succeeded', environment: 'prod', executionId: 'e', executionStartTime: '2026-11-27T03:00:00Z', input, results },
      new Date('2026-11-27T03:07:05Z'),
    );
    expect(report.steps).toEqual([
      expect.objectContaining({ step: 'Preflight', durationSeconds: 1 }),
      expect.objectContaining({ step: 'Promote RDS replica', durationSeconds: 358, outcomes: ['changed'] }),
      expect.objectContaining({ step: 'Verify DynamoDB replicas', durationSeconds: 2 }),
      expect.objectContaining({ step: 'Switch DNS records', durationSeconds: 59 }),
      expect.objectContaining({ step: 'Verify DR endpoint', durationSeconds: 1 }),
    ]);
    expect(report.rtoSeconds).toBe(425);
    expect(report.rpoSeconds).toBe(2.5);
    expect(report.changes).toEqual([{ resource: 'rds/replica', action: 'promote read replica' }]);
    expect(report.failure).toBeNull();
  });

  it('lists each record of a zone\'s one ChangeBatch as its own change, naming the exact record set', () => {
    const before = { aliasTarget: { dnsName: 'seoul-alb.', hostedZoneId: 'ZSEOUL', evaluateTargetHealth: true } };
    const after = { aliasTarget: { dnsName: 'tokyo-alb', hostedZoneId: 'ZTOKYO', evaluateTargetHealth: true } };
    const zone = timed('2026-11-27T03:06:02Z', '2026-11-27T03:06:03Z', {
      outcome: 'changed',
      changes: [
        { resource: 'route53/Z0/api.portforge.org/A/seoul', action: 'UPSERT alias', before, after },
        { resource: 'route53/Z0/auth.portforge.org/A', action: 'UPSERT alias', before, after },
      ],
    });
    const report = buildReport(
      { status: 'succeeded', environment: 'prod', executionId: 'e', executionStartTime: '2026-11-27T03:00:00Z', input, results: { traffic: { dns: [{ switch: zone, sync: timed('2026-11-27T03:07:00Z', '2026-11-27T03:07:01Z') }] } } },
      new Date('2026-11-27T03:07:05Z'),
    );
    expect(report.changes.map((c) => c.resource)).toEqual(['route53/Z0/api.portforge.org/A/seoul', 'route53/Z0/auth.portforge.org/A']);
    expect(report.steps).toEqual([expect.objectContaining({ step: 'Switch DNS records', durationSeconds: 59, outcomes: ['changed'] })]);
  });

  it('measures RTO from the alarm when an alarm triggered the run', () => {
    const report = buildReport(
      {
        status: 'succeeded',
        environment: 'prod',
        executionId: 'e',
        executionStartTime: '2026-11-27T03:00:00Z',
        input: { ...input, trigger: { type: 'alarm', alarmName: 'a', time: '2026-11-27T02:58:00Z' } },
        results: {},
      },
      new Date('2026-11-27T03:10:00Z'),
    );
    expect(report.rtoSeconds).toBe(720);
  });

  it('names the failed step from a Lambda cause and says what to do next', () => {
    const cause = JSON.stringify({ errorType: 'RolloutFailedError', errorMessage: '[Check Auth rollout] deployment auth exceeded its progress deadline', trace: [] });
    const report = buildReport(
      {
        status: 'failed',
        environment: 'prod',
        executionId: 'e',
        executionStartTime: '2026-11-27T03:00:00Z',
        input,
        results: { preflight: results.preflight },
        failure: { stage: 'Recover', Error: 'RolloutFailedError', Cause: cause },
      },
      new Date('2026-11-27T03:05:00Z'),
    );
    expect(report.failure).toEqual({
      stage: 'Recover',
      step: 'Check Auth rollout',
      error: 'RolloutFailedError',
      cause: '[Check Auth rollout] deployment auth exceeded its progress deadline',
      nextSteps: expect.arrayContaining([expect.stringMatching(/traffic still goes to the primary/)]),
    });
  });

  it('tells the operator of a dry run blocked by a missing permission to grant it, and that nothing changed', () => {
    const message = '[Switch DNS zone] dry run blocked: 1 permission missing; nothing was changed. (1) the cutover role r may not route53:ChangeResourceRecordSets on arn:aws:route53:::hostedzone/Z1: implicitDeny';
    const report = buildReport(
      {
        status: 'failed',
        environment: 'prod',
        executionId: 'e',
        executionStartTime: '2026-11-27T03:00:00Z',
        input: { ...input, dryRun: true },
        results: { preflight: results.preflight },
        failure: { stage: 'Switch traffic', Error: 'DryRunPermissionDeniedError', Cause: JSON.stringify({ errorType: 'DryRunPermissionDeniedError', errorMessage: message }) },
      },
      new Date('2026-11-27T03:05:00Z'),
    );
    expect(report.dryRun).toBe(true);
    expect(report.failure).toMatchObject({ stage: 'Switch traffic', step: 'Switch DNS zone', error: 'DryRunPermissionDeniedError', cause: message });
    expect(report.failure?.nextSteps).toEqual([
      'This was a dry run: nothing was changed. A real cutover would fail at the step named above, because its role may not make the change listed.',
      'Grant each permission listed above to the role named there (deploy the stack again), then run the dry run again until it passes.',
    ]);
  });

  it('reads plain-text causes from Step Functions itself', () => {
    expect(causeMessage('RDS promotion did not finish within 60 polls of 30 s')).toBe('RDS promotion did not finish within 60 polls of 30 s');
    expect(failedStep('no prefix here')).toBeNull();
  });
});
