import 'aws-sdk-client-mock-jest';
import { CloudWatchClient, GetMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import {
  DBInstanceNotFoundFault,
  DescribeDBInstancesCommand,
  InvalidDBInstanceStateFault,
  PromoteReadReplicaCommand,
  RDSClient,
  RDSServiceException,
  type DBInstance,
} from '@aws-sdk/client-rds';
import { mockClient } from 'aws-sdk-client-mock';
import { checkPromotion } from '../../functions/check-promotion/logic';
import { handler as checkHandler } from '../../functions/check-promotion/index';
import { promoteReplica, type PromoteInput } from '../../functions/promote-replica/logic';
import { handler as promoteHandler } from '../../functions/promote-replica/index';
import { setClock, type Clock } from '../../functions/shared/clock';
import type { RdsTarget } from '../../functions/shared/contracts';
import { lambdaContext } from '../support/lambda';
import { allowAll, iamMock, permissions, ROLE_ARN, SimulateCommand, simulations } from '../support/permissions';

const rdsMock = mockClient(RDSClient);
const cwMock = mockClient(CloudWatchClient);
const rds = new RDSClient({});
const cw = new CloudWatchClient({});
const fixedNow = new Date('2025-03-01T12:00:00Z');
const clock: Clock = { now: () => fixedNow };
const deps = { rds, cw, clock, permissions };

const REPLICA = 'portforge-dr-rds-replica';
const SOURCE = 'arn:aws:rds:ap-northeast-2:111122223333:db:portforge-test-rds';
const target: RdsTarget = {
  replicaInstanceId: REPLICA,
  primaryInstanceId: 'portforge-test-rds',
  primaryRegion: 'ap-northeast-2',
  maxReplicaLagSeconds: 0,
  backupRetentionDays: 7,
};
const input = (over: Partial<PromoteInput> = {}): PromoteInput => ({ dryRun: false, mode: 'planned', target, ...over });

const replica = (status: string): DBInstance => ({
  DBInstanceIdentifier: REPLICA,
  DBInstanceArn: `arn:aws:rds:ap-northeast-1:111122223333:db:${REPLICA}`,
  DBInstanceStatus: status,
  ReadReplicaSourceDBInstanceIdentifier: SOURCE,
  StatusInfos: [{ StatusType: 'read replication', Normal: true, Status: 'replicating' }],
  BackupRetentionPeriod: 1,
});
const standalone = (status = 'available'): DBInstance => ({ DBInstanceIdentifier: REPLICA, DBInstanceStatus: status });

function givenInstance(instance: DBInstance): void {
  rdsMock.on(DescribeDBInstancesCommand).resolves({ DBInstances: [instance] });
}
function givenLag(seconds: number | null): void {
  cwMock.on(GetMetricDataCommand).resolves({
    MetricDataResults: [
      seconds === null
        ? { Id: 'm0', Values: [], Timestamps: [] }
        : { Id: 'm0', Values: [seconds], Timestamps: [new Date('2025-03-01T11:59:00Z')] },
    ],
  });
}
const notFound = () => new DBInstanceNotFoundFault({ message: `DBInstance ${REPLICA} not found.`, $metadata: {} });
const refused = () =>
  new InvalidDBInstanceStateFault({ message: 'DB Instance is not a read replica in available state.', $metadata: {} });

beforeEach(() => {
  rdsMock.reset();
  cwMock.reset();
  iamMock.reset();
  allowAll();
  setClock(undefined);
});

describe('Promote RDS replica', () => {
  it('reports its own promotion when the SDK resent PromoteReadReplica after a lost response and RDS refused the resend', async () => {
    givenInstance(replica('available'));
    givenLag(0);
    rdsMock.on(PromoteReadReplicaCommand).rejects(new InvalidDBInstanceStateFault({ message: 'a promotion is already in progress', $metadata: { attempts: 2 } }));

    const result = await promoteReplica(deps, input());

    expect(result.outcome).toBe('changed');
    expect(result.changes.map((c) => c.action)).toEqual(['promote read replica']);
    expect(rdsMock.commandCalls(PromoteReadReplicaCommand)).toHaveLength(1);
  });

  it('promotes an available replica once, with the configured backup retention, and records the apply lag', async () => {
    givenInstance(replica('available'));
    givenLag(0);
    rdsMock.on(PromoteReadReplicaCommand).resolves({});

    const result = await promoteReplica(deps, input());

    expect(result).toEqual({
      step: 'Promote RDS replica',
      outcome: 'changed',
      changes: [
        {
          resource: `rds/${REPLICA}`,
          action: 'promote read replica',
          before: { role: 'replica', source: SOURCE, backupRetentionPeriod: 1 },
          after: { role: 'standalone', backupRetentionPeriod: 7 },
        },
      ],
      replicaLagSeconds: 0,
      replication: {
        state: 'running',
        applyLagSeconds: 0,
        lastHealthyAt: '2025-03-01T11:59:00.000Z',
        lastKnownApplyLagSeconds: 0,
        statusInfo: 'read replication replicating',
      },
      promotionRequestedAt: fixedNow.toISOString(),
    });
    expect(rdsMock).toHaveReceivedCommandWith(DescribeDBInstancesCommand, { DBInstanceIdentifier: REPLICA });
    expect(rdsMock).toHaveReceivedCommandTimes(PromoteReadReplicaCommand, 1);
    // The retention is explicit, from config (the API default of 1 day is not the primary's); the window is left alone.
    expect(rdsMock.commandCalls(PromoteReadReplicaCommand)[0]?.args[0].input).toEqual({ DBInstanceIdentifier: REPLICA, BackupRetentionPeriod: 7 });
    expect(cwMock.commandCalls(GetMetricDataCommand)[0]?.args[0].input).toMatchObject({
      MetricDataQueries: [
        {
          MetricStat: {
            Metric: {
              Namespace: 'AWS/RDS',
              MetricName: 'ReplicaLag',
              Dimensions: [{ Name: 'DBInstanceIdentifier', Value: REPLICA }],
            },
            Stat: 'Maximum',
          },
        },
      ],
    });
  });

  it('promotes the replica once even when retried', async () => {
    // A stateful standby: the promote call starts the promotion, which later finishes.
    let current: DBInstance = replica('available');
    rdsMock.on(DescribeDBInstancesCommand).callsFake(() => ({ DBInstances: [current] }));
    rdsMock.on(PromoteReadReplicaCommand).callsFake(() => {
      if (current.DBInstanceStatus !== 'available' || current.ReadReplicaSourceDBInstanceIdentifier === undefined) {
        throw refused();
      }
      current = replica('modifying');
      return {};
    });
    givenLag(0);

    const first = await promoteReplica(deps, input());
    // Still a replica, modifying: not success, and no second promote; the step waits (retried).
    await expect(promoteReplica(deps, input())).rejects.toMatchObject({ name: 'ReplicaNotPromotableError' });
    current = standalone();
    const afterPromotion = await promoteReplica(deps, input());

    expect(first.outcome).toBe('changed');
    expect(afterPromotion).toMatchObject({ outcome: 'already-done', changes: [], promotionRequestedAt: null });
    expect(rdsMock).toHaveReceivedCommandTimes(PromoteReadReplicaCommand, 1);
  });

  it('treats RDS refusing an available replica as "not now": waits with RDS\'s own message, never success', async () => {
    rdsMock
      .on(DescribeDBInstancesCommand)
      .resolvesOnce({ DBInstances: [replica('available')] })
      .resolves({ DBInstances: [replica('modifying')] });
    rdsMock.on(PromoteReadReplicaCommand).rejects(refused());
    givenLag(0);

    await expect(promoteReplica(deps, input())).rejects.toMatchObject({
      name: 'ReplicaNotPromotableError',
      message: expect.stringContaining('DB Instance is not a read replica in available state.'),
    });
    expect(rdsMock).toHaveReceivedCommandTimes(DescribeDBInstancesCommand, 2);
    expect(rdsMock).toHaveReceivedCommandTimes(PromoteReadReplicaCommand, 1);
  });

  it('reports a refused promote during a backup as ReplicaBackingUpError', async () => {
    rdsMock
      .on(DescribeDBInstancesCommand)
      .resolvesOnce({ DBInstances: [replica('available')] })
      .resolves({ DBInstances: [replica('backing-up')] });
    rdsMock.on(PromoteReadReplicaCommand).rejects(refused());
    givenLag(0);

    await expect(promoteReplica(deps, input())).rejects.toMatchObject({ name: 'ReplicaBackingUpError' });
  });

  it('does not promote in planned mode while RDS reports lag -1 (replication not running)', async () => {
    givenInstance(replica('available'));
    givenLag(-1);

    await expect(promoteReplica(deps, input({ mode: 'planned' }))).rejects.toMatchObject({
      name: 'ReplicaLagTooHighError',
      message: expect.stringContaining('unknown (replication is not running)'),
    });
    expect(rdsMock).toHaveReceivedCommandTimes(PromoteReadReplicaCommand, 0);
  });

  it.each(['modifying', 'rebooting', 'storage-optimization'])('waits, sending nothing, while the replica is %s for reasons of its own', async (status) => {
    givenInstance(replica(status));
    givenLag(0);

    await expect(promoteReplica(deps, input({ mode: 'emergency' }))).rejects.toMatchObject({
      name: 'ReplicaNotPromotableError',
      message: expect.stringContaining(`is ${status}; RDS refuses promotion until it is available again`),
    });
    expect(rdsMock).toHaveReceivedCommandTimes(PromoteReadReplicaCommand, 0);
  });

  it('records replication as stopped, with the last healthy datapoint, when StatusInfos show an error and ReplicaLag is -1', async () => {
    givenInstance({
      ...replica('available'),
      StatusInfos: [{ StatusType: 'read replication', Status: 'error', Normal: false, Message: 'connection timed out' }],
    });
    cwMock.on(GetMetricDataCommand).resolves({
      MetricDataResults: [
        {
          Id: 'm0',
          // Newest first, as TimestampDescending returns them.
          Timestamps: [new Date('2025-03-01T11:58:00Z'), new Date('2025-03-01T11:55:00Z'), new Date('2025-03-01T11:54:00Z'), new Date('2025-03-01T11:53:00Z')],
          Values: [-1, -1, 4, 2],
        },
      ],
    });
    rdsMock.on(PromoteReadReplicaCommand).resolves({});

    const result = await promoteReplica(deps, input({ mode: 'emergency' }));

    expect(result.outcome).toBe('changed');
    expect(result.replicaLagSeconds).toBeNull();
    expect(result.replication).toEqual({
      state: 'stopped',
      applyLagSeconds: null,
      lastHealthyAt: '2025-03-01T11:54:00.000Z',
      lastKnownApplyLagSeconds: 4,
      statusInfo: 'read replication error (not normal): connection timed out',
    });
    // It looks back far enough to find the last healthy datapoint.
    expect(cwMock.commandCalls(GetMetricDataCommand)[0]?.args[0].input.StartTime).toEqual(new Date('2025-03-01T09:00:00Z'));
  });

  it('does not take a datapoint older than 5 minutes as the current lag in planned mode', async () => {
    givenInstance(replica('available'));
    cwMock.on(GetMetricDataCommand).resolves({ MetricDataResults: [{ Id: 'm0', Values: [0], Timestamps: [new Date('2025-03-01T11:54:00Z')] }] });

    await expect(promoteReplica(deps, input({ mode: 'planned' }))).rejects.toMatchObject({
      name: 'ReplicaLagTooHighError',
      message: expect.stringContaining('no ReplicaLag datapoint in the last 5 minutes'),
    });
    expect(rdsMock).toHaveReceivedCommandTimes(PromoteReadReplicaCommand, 0);
  });

  it('accepts a datapoint that is 3 minutes old (CloudWatch publishes late) as current in planned mode', async () => {
    givenInstance(replica('available'));
    cwMock.on(GetMetricDataCommand).resolves({ MetricDataResults: [{ Id: 'm0', Values: [0], Timestamps: [new Date('2025-03-01T11:57:00Z')] }] });
    rdsMock.on(PromoteReadReplicaCommand).resolves({});

    await expect(promoteReplica(deps, input({ mode: 'planned' }))).resolves.toMatchObject({ outcome: 'changed', replicaLagSeconds: 0 });
  });

  it('dry run sends no PromoteReadReplica and lists the change it would make', async () => {
    givenInstance(replica('available'));
    givenLag(3);

    const result = await promoteReplica(deps, input({ dryRun: true }));

    expect(result).toMatchObject({
      outcome: 'would-change',
      changes: [
        {
          resource: `rds/${REPLICA}`,
          action: 'promote read replica',
          before: { role: 'replica', source: SOURCE, backupRetentionPeriod: 1 },
          after: { role: 'standalone', backupRetentionPeriod: 7 },
        },
      ],
      replicaLagSeconds: 3,
      promotionRequestedAt: null,
    });
    expect(rdsMock).toHaveReceivedCommandTimes(PromoteReadReplicaCommand, 0);
  });

  it('dry run reports the change without waiting for a backup or for lag', async () => {
    givenInstance(replica('backing-up'));
    givenLag(60);

    const result = await promoteReplica(deps, input({ dryRun: true, mode: 'planned' }));

    expect(result).toMatchObject({ outcome: 'would-change', replicaLagSeconds: 60 });
    expect(result.changes).toHaveLength(1);
    expect(rdsMock).toHaveReceivedCommandTimes(PromoteReadReplicaCommand, 0);
  });

  it('dry run of an already promoted instance reports already-done and sends nothing mutating', async () => {
    givenInstance(standalone());

    const result = await promoteReplica(deps, input({ dryRun: true }));

    expect(result).toMatchObject({ outcome: 'already-done', changes: [] });
    expect(rdsMock).toHaveReceivedCommandTimes(PromoteReadReplicaCommand, 0);
  });

  it('refuses to promote a backing-up replica with ReplicaBackingUpError', async () => {
    givenInstance(replica('backing-up'));
    givenLag(0);

    await expect(promoteReplica(deps, input({ mode: 'emergency' }))).rejects.toMatchObject({
      name: 'ReplicaBackingUpError',
    });
    expect(rdsMock).toHaveReceivedCommandTimes(PromoteReadReplicaCommand, 0);
  });

  it('waits in planned mode while the lag is above the RPO budget', async () => {
    givenInstance(replica('available'));
    givenLag(12);

    const run = promoteReplica(deps, input({ target: { ...target, maxReplicaLagSeconds: 5 } }));

    await expect(run).rejects.toMatchObject({ name: 'ReplicaLagTooHighError' });
    await expect(run).rejects.toThrow(/lag is 12 s, above the planned-mode RPO budget of 5 s/);
    expect(rdsMock).toHaveReceivedCommandTimes(PromoteReadReplicaCommand, 0);
  });

  it('waits in planned mode while the lag is unknown', async () => {
    givenInstance(replica('available'));
    givenLag(null);

    const run = promoteReplica(deps, input());

    await expect(run).rejects.toMatchObject({ name: 'ReplicaLagTooHighError' });
    await expect(run).rejects.toThrow('lag is unknown');
    expect(rdsMock).toHaveReceivedCommandTimes(PromoteReadReplicaCommand, 0);
  });

  it('promotes in planned mode once the lag is within budget', async () => {
    givenInstance(replica('available'));
    givenLag(4);
    rdsMock.on(PromoteReadReplicaCommand).resolves({});

    const result = await promoteReplica(deps, input({ target: { ...target, maxReplicaLagSeconds: 5 } }));

    expect(result).toMatchObject({ outcome: 'changed', replicaLagSeconds: 4 });
    expect(rdsMock).toHaveReceivedCommandTimes(PromoteReadReplicaCommand, 1);
  });

  it('promotes in emergency mode despite high lag and reports the lag', async () => {
    givenInstance(replica('available'));
    givenLag(42);
    rdsMock.on(PromoteReadReplicaCommand).resolves({});

    const result = await promoteReplica(deps, input({ mode: 'emergency' }));

    expect(result).toMatchObject({ outcome: 'changed', replicaLagSeconds: 42 });
    expect(rdsMock).toHaveReceivedCommandTimes(PromoteReadReplicaCommand, 1);
  });

  it('promotes in emergency mode even when CloudWatch cannot be read', async () => {
    givenInstance(replica('available'));
    cwMock.on(GetMetricDataCommand).rejects(Object.assign(new Error('Rate exceeded'), { name: 'Throttling' }));
    rdsMock.on(PromoteReadReplicaCommand).resolves({});

    const result = await promoteReplica(deps, input({ mode: 'emergency' }));

    expect(result).toMatchObject({ outcome: 'changed', replicaLagSeconds: null });
    expect(rdsMock).toHaveReceivedCommandTimes(PromoteReadReplicaCommand, 1);
  });

  it('fails with PromotionFailedError when the replica does not exist', async () => {
    rdsMock.on(DescribeDBInstancesCommand).rejects(notFound());

    await expect(promoteReplica(deps, input())).rejects.toMatchObject({ name: 'PromotionFailedError' });
    expect(rdsMock).toHaveReceivedCommandTimes(PromoteReadReplicaCommand, 0);
  });

  it('fails with PromotionFailedError when the replica is in a failed state', async () => {
    givenInstance(replica('storage-full'));

    await expect(promoteReplica(deps, input({ mode: 'emergency' }))).rejects.toMatchObject({
      name: 'PromotionFailedError',
    });
    expect(rdsMock).toHaveReceivedCommandTimes(PromoteReadReplicaCommand, 0);
  });

  describe('through the real handler', () => {
    it('validates the payload, promotes and stamps the timings', async () => {
      setClock(clock);
      givenInstance(replica('available'));
      givenLag(0);
      rdsMock.on(PromoteReadReplicaCommand).resolves({});

      const result = await promoteHandler({ dryRun: false, mode: 'planned', target }, lambdaContext());

      expect(result).toMatchObject({
        step: 'Promote RDS replica',
        outcome: 'changed',
        replicaLagSeconds: 0,
        promotionRequestedAt: fixedNow.toISOString(),
        startedAt: fixedNow.toISOString(),
        finishedAt: fixedNow.toISOString(),
      });
      expect(rdsMock).toHaveReceivedCommandWith(PromoteReadReplicaCommand, { DBInstanceIdentifier: REPLICA });
    });

    it('maps a throttled DescribeDBInstances to AwsTransientError', async () => {
      rdsMock.on(DescribeDBInstancesCommand).rejects(
        new RDSServiceException({
          name: 'Throttling',
          $fault: 'client',
          $metadata: { httpStatusCode: 400 },
          message: 'Rate exceeded',
        }),
      );

      await expect(promoteHandler({ dryRun: false, mode: 'planned', target }, lambdaContext())).rejects.toMatchObject({
        name: 'AwsTransientError',
      });
      expect(rdsMock).toHaveReceivedCommandTimes(PromoteReadReplicaCommand, 0);
    });

    it('rejects a payload without a target as StepContractError, before any call', async () => {
      await expect(promoteHandler({ dryRun: false, mode: 'planned' }, lambdaContext())).rejects.toMatchObject({
        name: 'StepContractError',
      });
      expect(rdsMock).toHaveReceivedCommandTimes(DescribeDBInstancesCommand, 0);
    });
  });
});

describe('Check RDS promotion', () => {
  const poll = { dryRun: false, mode: 'planned' as const, target, attempt: 0 };

  it('is not done while the instance is available but still a replica (the early-false-success trap)', async () => {
    givenInstance(replica('available'));

    const result = await checkPromotion({ rds }, poll);

    expect(result).toEqual({
      step: 'Check RDS promotion',
      done: false,
      attempt: 1,
      status: `available, replica of ${SOURCE}`,
    });
    expect(rdsMock).toHaveReceivedCommandWith(DescribeDBInstancesCommand, { DBInstanceIdentifier: REPLICA });
  });

  it('is done once standalone and taking its first backup (backups were off): writable, and a long backup must not time out', async () => {
    givenInstance(standalone('backing-up'));

    await expect(checkPromotion({ rds }, { ...poll, promoteOutcome: 'changed' })).resolves.toMatchObject({ done: true, status: 'backing-up, standalone' });
  });

  it('fails fast with PromotionNotRequestedError when the replica was never asked to promote', async () => {
    givenInstance(replica('available'));

    await expect(checkPromotion({ rds }, { ...poll, promoteOutcome: 'already-done' })).rejects.toMatchObject({
      name: 'PromotionNotRequestedError',
      message: expect.stringContaining('never asked RDS to promote it'),
    });
  });

  it('keeps polling a replica this run asked to promote', async () => {
    givenInstance(replica('available'));

    await expect(checkPromotion({ rds }, { ...poll, promoteOutcome: 'changed' })).resolves.toMatchObject({ done: false });
  });

  it('is not done while the promotion reboots the instance', async () => {
    givenInstance(standalone('rebooting'));

    await expect(checkPromotion({ rds }, { ...poll, attempt: 3 })).resolves.toEqual({
      step: 'Check RDS promotion',
      done: false,
      attempt: 4,
      status: 'rebooting, standalone',
    });
  });

  it('is not done while standalone but still carrying replication status info', async () => {
    givenInstance({ ...standalone(), StatusInfos: [{ StatusType: 'read replication', Status: 'replicating' }] });

    const result = await checkPromotion({ rds }, poll);

    expect(result.done).toBe(false);
    expect(result.status).toContain('read replication replicating');
  });

  it('is done once the instance is standalone and available', async () => {
    givenInstance({ ...standalone(), StatusInfos: [] });

    await expect(checkPromotion({ rds }, poll)).resolves.toMatchObject({
      done: true,
      attempt: 1,
      status: 'available, standalone',
    });
  });

  it('fails with PromotionFailedError when the instance is failed', async () => {
    givenInstance(standalone('failed'));

    await expect(checkPromotion({ rds }, poll)).rejects.toMatchObject({ name: 'PromotionFailedError' });
  });

  it('fails with PromotionFailedError when the instance is gone', async () => {
    rdsMock.on(DescribeDBInstancesCommand).rejects(notFound());

    await expect(checkPromotion({ rds }, poll)).rejects.toMatchObject({ name: 'PromotionFailedError' });
  });

  it('dry run is done at once without calling RDS', async () => {
    const result = await checkPromotion({ rds }, { ...poll, dryRun: true });

    expect(result).toMatchObject({ done: true, attempt: 1 });
    expect(rdsMock).toHaveReceivedCommandTimes(DescribeDBInstancesCommand, 0);
  });

  it('through the real handler, defaults attempt to 0 and counts the poll', async () => {
    setClock(clock);
    givenInstance(standalone());

    const result = await checkHandler({ dryRun: false, mode: 'emergency', target }, lambdaContext());

    expect(result).toMatchObject({
      step: 'Check RDS promotion',
      done: true,
      attempt: 1,
      status: 'available, standalone',
      startedAt: fixedNow.toISOString(),
    });
  });
});

describe('Promote RDS replica: a dry run proves the role may promote', () => {
  const REPLICA_ARN = `arn:aws:rds:ap-northeast-1:111122223333:db:${REPLICA}`;

  it('asks IAM about PromoteReadReplica on the replica\'s ARN, and sends no promotion when allowed', async () => {
    givenInstance(replica('available'));
    givenLag(0);
    const result = await promoteReplica(deps, input({ dryRun: true }));
    expect(result.outcome).toBe('would-change');
    expect(simulations()).toEqual([{ PolicySourceArn: ROLE_ARN, ActionNames: ['rds:PromoteReadReplica'], ResourceArns: [REPLICA_ARN] }]);
    expect(rdsMock).toHaveReceivedCommandTimes(PromoteReadReplicaCommand, 0);
  });

  it('blocks the dry run on implicitDeny, naming the role, the action and the replica, and sends no promotion', async () => {
    givenInstance(replica('available'));
    givenLag(0);
    iamMock.reset();
    iamMock.on(SimulateCommand).resolves({ EvaluationResults: [{ EvalActionName: 'rds:PromoteReadReplica', EvalResourceName: REPLICA_ARN, EvalDecision: 'implicitDeny' }], IsTruncated: false });
    const run = promoteReplica(deps, input({ dryRun: true }));
    await expect(run).rejects.toMatchObject({ name: 'DryRunPermissionDeniedError' });
    await expect(run).rejects.toThrow(`the cutover role dr-cutover-step-role may not rds:PromoteReadReplica on ${REPLICA_ARN}: implicitDeny`);
    expect(rdsMock).toHaveReceivedCommandTimes(PromoteReadReplicaCommand, 0);
  });

  it('retries a throttled simulation as a transient error through the handler, then proves the promotion', async () => {
    givenInstance(replica('available'));
    givenLag(0);
    iamMock.reset();
    iamMock
      .on(SimulateCommand)
      .rejectsOnce(Object.assign(new Error('Rate exceeded'), { name: 'Throttling', $metadata: { httpStatusCode: 400 } }))
      .resolves({ EvaluationResults: [{ EvalActionName: 'rds:PromoteReadReplica', EvalResourceName: REPLICA_ARN, EvalDecision: 'allowed' }], IsTruncated: false });
    const event = { dryRun: true, mode: 'emergency', target };
    await expect(promoteHandler(event, lambdaContext())).rejects.toMatchObject({ name: 'AwsTransientError' });
    await expect(promoteHandler(event, lambdaContext())).resolves.toMatchObject({ outcome: 'would-change' });
    expect(simulations().map((s) => s.PolicySourceArn)).toEqual([process.env.CUTOVER_ROLE_ARN, process.env.CUTOVER_ROLE_ARN]);
    expect(rdsMock).toHaveReceivedCommandTimes(PromoteReadReplicaCommand, 0);
  });

  it('names the replica by the ARN RDS writes (Region of the client, account of the role) when DescribeDBInstances gives none', async () => {
    const { DBInstanceArn: _arn, ...withoutArn } = replica('available');
    givenInstance(withoutArn);
    givenLag(0);
    const regional = { ...deps, rds: new RDSClient({ region: 'ap-northeast-1' }) };
    await promoteReplica(regional, input({ dryRun: true }));
    expect(simulations().map((s) => s.ResourceArns)).toEqual([[REPLICA_ARN]]);
  });

  it('never simulates in a real run, nor for an instance already standalone', async () => {
    givenInstance(replica('available'));
    givenLag(0);
    await promoteReplica(deps, input({ dryRun: false }));
    givenInstance(standalone());
    await promoteReplica(deps, input({ dryRun: true }));
    expect(simulations()).toEqual([]);
  });
});
