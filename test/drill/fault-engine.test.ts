import { Drill } from '../../drill/drill';
import { parseFaultSchedule, type FaultSchedule } from '../../drill/fault-schedule';
import { applyFaultSchedule, healWorld } from '../../drill/world';
import { loadEnvironment } from '../../stacks/environments';

/** The fault engine on the synthesized definition: each kind of fault does what its schedule says. */
const config = loadEnvironment('prod');
const input = { mode: 'emergency', dryRun: false, reason: 'fault engine', requestedBy: 'local-drill' };

async function drillWith(schedule: FaultSchedule) {
  return Drill.create({ config, arrange: (w) => applyFaultSchedule(w, schedule) });
}

describe('the fault engine', () => {
  it('answers an AWS error fault as the SDK would: name, $fault and HTTP status', async () => {
    const drill = await drillWith(parseFaultSchedule(JSON.stringify({ faults: [{ target: 'aws:PromoteReadReplica', kind: 'error', error: 'ThrottlingException', count: 2 }] })));
    try {
      const run = await drill.run(input);
      expect(run.result.status).toBe('SUCCEEDED');
      expect(drill.world.callsOf('PromoteReadReplicaCommand')).toHaveLength(3);
      expect(run.result.events.some((e) => e.type === 'StateRetried' && e.state === 'Promote RDS replica')).toBe(true);
    } finally {
      await drill.close();
    }
  });

  it('applies a call whose response is lost, and the SDK resends it', async () => {
    const drill = await drillWith({ faults: [{ target: 'aws:PromoteReadReplica', kind: 'lost-response' }] });
    try {
      const run = await drill.run(input);
      expect(run.result.status).toBe('SUCCEEDED');
      expect(drill.world.callsOf('PromoteReadReplicaCommand').length).toBeGreaterThanOrEqual(2);
      expect(drill.world.effects.filter((e) => e.kind === 'promote')).toHaveLength(1);
      // The report says this run promoted the replica (it did, on the attempt whose answer was lost).
      expect(run.report?.changes.map((c) => `${c.resource} ${c.action}`)).toContain(`rds/${config.rds.replicaInstanceId} promote read replica`);
    } finally {
      await drill.close();
    }
  });

  it('holds a condition from its start time, and healWorld returns it to healthy', async () => {
    const drill = await drillWith({ faults: [{ target: 'condition:cluster-status', kind: 'stuck', value: 'CREATING' }] });
    try {
      const run = await drill.run(input);
      expect(run.result.status).toBe('FAILED');
      expect(run.result.error).toBe('PreflightBlockedError');
      expect(drill.world.clusterStatus).toBe('CREATING');
      healWorld(drill.world);
      expect(drill.world.clusterStatus).toBe('ACTIVE');
      const rerun = await drill.run(input);
      expect(rerun.result.status).toBe('SUCCEEDED');
    } finally {
      await drill.close();
    }
  });

  it('cancels on heal a condition still to start, and one still to end: neither fires into the re-run', async () => {
    // The lock is held until 3600 s, and the record turns into a CNAME at 600 s: the first run fails at the lock long before either.
    const drill = await drillWith({
      faults: [
        { target: 'condition:lock-held', kind: 'stuck', value: 'arn:aws:states:ap-northeast-1:123456789012:execution:dr-cutover:earlier-run', for: 3600 },
        { target: 'condition:dns-record-cname', kind: 'stuck', value: 0, at: 600 },
      ],
    });
    try {
      const run = await drill.run(input);
      expect(run.result.error).toBe('CutoverLockHeldError');
      healWorld(drill.world);
      const rerun = await drill.run(input);
      expect(rerun.result.status).toBe('SUCCEEDED');
      expect(rerun.simulatedMs).toBeGreaterThan(600_000);
      const record = config.route53.records[0];
      expect(record && drill.world.zoneOf(record).get(record.name, 'CNAME')).toBeUndefined();
    } finally {
      await drill.close();
    }
  });

  it('answers a Kubernetes PATCH with a status, then lets the retry through', async () => {
    const drill = await drillWith({ faults: [{ target: 'kubernetes:PATCH configmap', kind: 'status', status: 409 }] });
    try {
      const run = await drill.run(input);
      expect(run.result.status).toBe('SUCCEEDED');
      expect(drill.world.kube.requests.filter((r) => r.status === 409 && r.method === 'PATCH' && r.path.includes('/configmaps/'))).toHaveLength(1);
    } finally {
      await drill.close();
    }
  });
});

describe('lost responses of the approval gate', () => {
  const alarmInput = { ...input, reason: 'alarm', trigger: { type: 'alarm', alarmName: 'dr-cutover-primary-unhealthy', time: '2025-12-31T23:57:00.000Z' } };
  it('an approval whose SendTaskSuccess answer was lost counts: the approver is told so and the table keeps it', async () => {
    const drill = await Drill.create({
      config,
      arrange: (w) =>
        applyFaultSchedule(w, { trigger: 'alarm', approver: { decision: 'approve', afterSeconds: 60 }, faults: [{ target: 'aws:SendTaskSuccess', kind: 'lost-response' }] }),
    });
    try {
      const run = await drill.run(alarmInput);
      expect(run.result.status).toBe('SUCCEEDED');
      expect(drill.world.callsOf('SendTaskSuccessCommand')).toHaveLength(2);
      expect(drill.clicks.map((c) => [c.statusCode, c.body.includes('Approved by')])).toEqual([[200, true]]);
      expect((await drill.world.approvalItems()).map((a) => a.status?.S)).toEqual(['approved']);
    } finally {
      await drill.close();
    }
  });
});
