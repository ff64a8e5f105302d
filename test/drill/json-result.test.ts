import { main } from '../../drill/main';
import { DrillResultSchema, type DrillResult } from '../../drill/result-schema';

/**
 * `npm start -- --json`: exactly one JSON document on stdout, valid against the exported schema,
 * with every AWS call and Kubernetes request attributed to the execution and step that made it.
 */

/** The AWS APIs that change the world, named here independently of the drill's own list. */
const MUTATING_APIS = ['PromoteReadReplica', 'UpdateDistribution', 'ChangeResourceRecordSets', 'PutItem', 'DeleteItem', 'UpdateItem'];
/** Steps invoked beside the execution (SNS subscription, function URL), not by a Task state. */
const OUTSIDE_EXECUTION = new Set(['slack-notifier', 'approval-callback']);

/** Runs main() as `npm start` does and captures everything it writes to stdout. */
async function runMain(argv: string[]): Promise<{ code: number; lines: string[]; stdout: string[] }> {
  const lines: string[] = [];
  const stdout: string[] = [];
  const write = jest.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    stdout.push(String(chunk));
    return true;
  });
  const log = jest.spyOn(console, 'log').mockImplementation((...args: unknown[]) => {
    stdout.push(args.map(String).join(' '));
  });
  const info = jest.spyOn(console, 'info').mockImplementation((...args: unknown[]) => {
    stdout.push(args.map(String).join(' '));
  });
  try {
    const code = await main(argv, (line) => lines.push(line));
    return { code, lines, stdout };
  } finally {
    write.mockRestore();
    log.mockRestore();
    info.mockRestore();
  }
}

/** The single document main printed, parsed with the exported schema. */
function documentOf(result: { lines: string[]; stdout: string[] }): DrillResult {
  expect(result.stdout).toEqual([]);
  expect(result.lines).toHaveLength(1);
  return DrillResultSchema.parse(JSON.parse(result.lines[0] ?? ''));
}

describe('npm start -- --json', () => {
  let happy: DrillResult;

  beforeAll(async () => {
    const result = await runMain(['--scenario', 'happy-path', '--json']);
    expect(result.code).toBe(0);
    happy = documentOf(result);
  });

  it('prints one document describing the run: status, RTO, RPO, report and the end state', () => {
    expect(happy).toMatchObject({ scenario: 'happy-path', environment: 'prod', mode: 'emergency', dryRun: false, status: 'SUCCEEDED', error: null, cause: null });
    expect(happy.runs).toHaveLength(1);
    expect(happy.runs[0]).toEqual(Object.fromEntries(Object.keys(happy.runs[0] ?? {}).map((k) => [k, happy[k as keyof DrillResult]])));
    expect(happy.rtoSeconds).toBe(happy.report?.rtoSeconds);
    expect(happy.rtoSeconds).toBeGreaterThan(0);
    expect(happy.rpo).toMatchObject({ label: expect.stringMatching(/^RPO/), value: expect.any(String) });
    const changes = happy.report?.changes ?? [];
    expect(changes.map((c) => c.resource)).toEqual(expect.arrayContaining([expect.stringMatching(/^rds\//), expect.stringMatching(/^route53\//), expect.stringMatching(/^cloudfront\//)]));
    for (const change of changes) expect(change).toMatchObject({ resource: expect.any(String), action: expect.any(String) });
    expect(happy.world.database.role).toBe('standalone (writable)');
    expect(happy.world.dns.length).toBeGreaterThan(0);
    for (const record of happy.world.dns) expect(record.target).toMatch(/ap-northeast-1\.elb\.amazonaws\.com$/);
    expect(happy.world.lock.holder).toBeNull();
    expect(Object.values(happy.world.configMap.data)).toContain('ap-northeast-1');
    expect(happy.world.cloudFront.length).toBeGreaterThan(0);
  });

  it('attributes every AWS call to its execution and step, with service, API name, Region and outcome', () => {
    expect(happy.calls.length).toBeGreaterThan(20);
    for (const call of happy.calls) {
      expect(call.step).toEqual(expect.any(String));
      if (OUTSIDE_EXECUTION.has(call.step ?? '')) expect(call.executionId).toBeNull();
      else expect(call.executionId).toBe(happy.report?.executionId);
      if (call.executionId !== null) expect(call.state).toEqual(expect.any(String));
      expect(Number.isNaN(Date.parse(call.at))).toBe(false);
    }
    const promote = happy.calls.filter((c) => c.command === 'PromoteReadReplica');
    expect(promote).toEqual([expect.objectContaining({ step: 'promote-replica', state: 'Promote RDS replica', service: 'rds', region: 'ap-northeast-1', outcome: 'ok', error: null, mutating: true })]);
    expect(happy.calls.filter((c) => c.command === 'GetSecretValue').map((c) => c.step)).toEqual(expect.arrayContaining(['slack-notifier']));
    expect([...new Set(happy.calls.map((c) => c.service))]).toEqual(expect.arrayContaining(['rds', 'route53', 'cloudfront', 'dynamodb', 'sns', 'eks']));
  });

  it('attributes every Kubernetes request to the step that sent it', () => {
    expect(happy.kubernetes.length).toBeGreaterThan(0);
    for (const request of happy.kubernetes) {
      expect(request.executionId).toBe(happy.report?.executionId);
      expect(request.state).toEqual(expect.any(String));
    }
    const patches = happy.kubernetes.filter((r) => r.method === 'PATCH');
    expect(patches).toEqual([
      expect.objectContaining({ step: 'patch-auth-config', path: expect.stringMatching(/\/configmaps\//), status: 200 }),
      expect.objectContaining({ step: 'restart-auth-deployment', path: expect.stringMatching(/\/deployments\//), status: 200 }),
    ]);
    expect(happy.kubernetes.filter((r) => r.step === 'check-auth-rollout').map((r) => r.method)).toEqual(expect.arrayContaining(['GET']));
  });

  it('carries the Slack messages as posted: text and Block Kit payload', () => {
    expect(happy.messages.length).toBeGreaterThan(0);
    for (const message of happy.messages) {
      expect(message.text.length).toBeGreaterThan(0);
      expect(message.payload).toEqual(expect.objectContaining({ blocks: expect.any(Array) }));
    }
  });

  it('lists no mutating call in a dry run', async () => {
    const result = await runMain(['--scenario', 'happy-path', '--dry-run', '--json']);
    expect(result.code).toBe(0);
    const dry = documentOf(result);
    expect(dry).toMatchObject({ dryRun: true, status: 'SUCCEEDED', report: expect.objectContaining({ dryRun: true }) });
    expect(dry.calls.length).toBeGreaterThan(10);
    expect(dry.calls.filter((c) => MUTATING_APIS.includes(c.command) || c.mutating)).toEqual([]);
    expect(dry.kubernetes.filter((r) => r.method !== 'GET')).toEqual([]);
    expect(dry.world.database.role).not.toBe('standalone (writable)');
  });

  it('names the failed step and the refused call of a failing scenario, and lists both runs with --rerun', async () => {
    const result = await runMain(['--scenario', 'dns-access-denied', '--rerun', '--json']);
    expect(result.code).toBe(0);
    const doc = documentOf(result);
    expect(doc.runs.map((r) => r.status)).toEqual(['FAILED', 'SUCCEEDED']);
    const failed = doc.runs[0];
    expect(failed).toMatchObject({ run: 1, status: 'FAILED', error: 'AccessDenied' });
    expect(failed?.cause).toContain('route53:ChangeResourceRecordSets');
    expect(failed?.report?.failure).toMatchObject({ step: 'Switch DNS zone', error: 'AccessDenied' });
    expect(failed?.calls.filter((c) => c.command === 'ChangeResourceRecordSets')).toEqual(
      expect.arrayContaining([expect.objectContaining({ step: 'switch-dns-record', outcome: 'error', error: 'AccessDenied' })]),
    );
    // The top-level fields are the last run's; each run lists only its own calls.
    expect(doc).toMatchObject({ status: 'SUCCEEDED', run: 2, executionId: doc.runs[1]?.executionId });
    expect(doc.runs[1]?.executionId).not.toBe(failed?.executionId);
    expect(doc.runs[1]?.calls.every((c) => c.executionId === null || c.executionId === doc.runs[1]?.executionId)).toBe(true);
  });

  it('records the status of each Kubernetes answer, refusals included', async () => {
    const doc = documentOf(await runMain(['--scenario', 'kubernetes-409', '--json']));
    const patches = doc.kubernetes.filter((r) => r.method === 'PATCH' && r.step === 'patch-auth-config').map((r) => r.status);
    expect(patches).toEqual([409, 200]);
  });

  it('marks a call that never answered as no-answer', async () => {
    const doc = documentOf(await runMain(['--scenario', 'lambda-timeout', '--json']));
    expect(doc.status).toBe('SUCCEEDED');
    const hung = doc.calls.filter((c) => c.outcome === 'no-answer');
    expect(hung).toEqual([expect.objectContaining({ command: 'DescribeTable', step: 'verify-dynamodb-replica', state: 'Verify DynamoDB replica', error: null })]);
  });

  it('prints the schema as JSON Schema with --json-schema', async () => {
    const result = await runMain(['--json-schema']);
    expect(result.code).toBe(0);
    expect(result.lines).toHaveLength(1);
    const schema = JSON.parse(result.lines[0] ?? '') as { type?: string; properties?: Record<string, unknown>; required?: string[] };
    expect(schema.type).toBe('object');
    expect(Object.keys(schema.properties ?? {})).toEqual(expect.arrayContaining(['status', 'rtoSeconds', 'rpo', 'report', 'calls', 'kubernetes', 'messages', 'world', 'runs']));
  });
});
