import { Drill } from '../../drill/drill';
import { STATE_SIZE_LIMIT_BYTES } from '../../drill/local-execution';
import { drillConfig, parseDrillArgs } from '../../drill/main';
import { scenarioConfig, scenarioInput, SCENARIOS, type Scenario } from '../../drill/scenarios';
import type { Effect, SimulatedWorld } from '../../drill/world';
import type { EnvironmentConfig } from '../../stacks/config';
import { loadEnvironment } from '../../stacks/environments';

/**
 * Every drill scenario, on the synthesized definition and the real step handlers: the states
 * visited, the world's final state, and the invariants I1–I5. A scenario that fails the run is
 * then healed and run again, and must converge to the happy path's end state without repeating
 * a side effect (I3).
 */
const config = loadEnvironment('prod');
const input = (scenario: Scenario) => scenarioInput(scenario);

interface EndState {
  dns: Record<string, string | undefined>;
  database: string;
  configMap: Record<string, string> | undefined;
  behaviours: Record<string, string | undefined>;
  lockFree: boolean;
}
const endState = async (w: SimulatedWorld): Promise<EndState> => ({
  dns: w.dnsTargets(),
  database: w.databaseRole(),
  configMap: w.kube.configMap(config.eks.namespace, config.eks.configMapName)?.data,
  behaviours: w.behaviorOrigins(),
  lockFree: (await w.lockItems()).length === 0,
});
const sideEffects = (w: SimulatedWorld): string[] =>
  w
    .allEffects()
    .filter((e: Effect) => e.kind !== 'lock' && e.kind !== 'approval')
    .map((e) => `${e.kind} ${e.detail}`)
    .sort();

/** Watches I1: records the world's state at each traffic change. */
function watchTraffic(w: SimulatedWorld): Array<{ databaseWritable: boolean; authReady: boolean }> {
  const seen: Array<{ databaseWritable: boolean; authReady: boolean }> = [];
  w.beforeCall = (command, commandInput) => {
    const apiBehaviour = command === 'UpdateDistributionCommand' && JSON.stringify(commandInput).includes('"TargetOriginId":"portforge-alb-tokyo"');
    if (command === 'ChangeResourceRecordSetsCommand' || apiBehaviour) {
      seen.push({ databaseWritable: w.databaseRole() === 'standalone (writable)', authReady: w.authPatchedAndRolled() });
    }
  };
  return seen;
}

let happy: { end: EndState; effects: string[] };

/** The happy path's end state and side effects under one config. */
async function baseline(cfg: EnvironmentConfig): Promise<{ end: EndState; effects: string[] }> {
  const drill = await Drill.create({ config: cfg });
  try {
    const run = await drill.run({ mode: 'emergency', dryRun: false, reason: 'baseline' });
    expect(run.result.status).toBe('SUCCEEDED');
    return { end: await endState(drill.world), effects: sideEffects(drill.world) };
  } finally {
    await drill.close();
  }
}

beforeAll(async () => {
  happy = await baseline(config);
});

describe.each(SCENARIOS.map((s) => [s.name, s] as const))('drill scenario %s', (_name, scenario) => {
  let drill: Drill;
  // A scenario with its own config (routing-policy records) converges to that config's happy path.
  let expected: { end: EndState; effects: string[] };
  beforeEach(async () => {
    const cfg = scenarioConfig(scenario, config);
    expected = scenario.configure ? await baseline(cfg) : happy;
    drill = await Drill.create({ config: cfg, arrange: scenario.arrange, primaryOutage: input(scenario).mode === 'emergency' });
  });
  afterEach(async () => {
    await drill.close();
  });

  it(`${scenario.expect.status === 'SUCCEEDED' ? 'absorbs the fault' : 'fails cleanly'}: ${scenario.description}`, async () => {
    const world = drill.world;
    const traffic = watchTraffic(world);
    const { result, report } = await drill.run(input(scenario));

    expect(result.status).toBe(scenario.expect.status);
    // IAM is enforced: the shipped stack grants every call a scenario makes, absorbed or not.
    expect(world.iamDenials).toEqual([]);
    expect(world.calls.filter((c) => c.region === config.primaryRegion)).toEqual([]);
    // I1: traffic moved only once the database was writable and Auth patched and rolled out.
    expect(traffic.filter((t) => !t.databaseWritable || !t.authReady)).toEqual([]);

    if (scenario.expect.retried) {
      expect(result.events.some((e) => e.type === 'StateRetried' && e.state === scenario.expect.retried)).toBe(true);
    }

    if (scenario.expect.status === 'SUCCEEDED') {
      expect(await endState(world)).toEqual(expected.end);
      expect(sideEffects(world)).toEqual(expected.effects);
      return;
    }

    expect(result.error).toBe(scenario.expect.error);
    expect(result.statesEntered.slice(-4)).toEqual(['Report failure', 'Announce failure', 'Release cutover lock after failure', 'Cutover failed']);
    // I5: the failure is announced, naming the step and the cause; the lock is released (or was never ours).
    const failed = world.published.at(-1)?.message as { type: string; report?: { failure?: { step: string; error: string; cause: string } } };
    expect(failed.type).toBe('cutover.failed');
    expect(failed.report?.failure).toMatchObject({ step: scenario.expect.failedStep, error: scenario.expect.error });
    expect(report?.failure?.cause.length).toBeGreaterThan(0);
    if (scenario.name === 'lock-held') expect((await world.lockItem())?.executionId?.S).toContain('earlier-run');
    else expect(await world.lockItems()).toEqual([]);

    // I3: with the cause removed, a second run converges to the happy path's end state, repeating nothing.
    await scenario.heal?.(world);
    const rerun = await drill.run(input(scenario));
    expect(rerun.result.error).toBeNull();
    expect(rerun.result.status).toBe('SUCCEEDED');
    expect(world.iamDenials).toEqual([]);
    expect(await endState(world)).toEqual(expected.end);
    expect(sideEffects(world)).toEqual(expected.effects);
    expect(traffic.filter((t) => !t.databaseWritable || !t.authReady)).toEqual([]);
  });
});

/** Task states with no failing-fault scenario, and why. The API CloudFront states run the same Lambda as the static ones. */
const NO_FAILING_FAULT: Record<string, string> = {
  'Validate input': 'validation has no transient fault; invalid input is tested in test/statemachine',
  'Announce cutover': 'announcements are best effort: by design they never fail the run',
  'Announce recovery done': 'best effort, as above',
  'Announce traffic switched': 'best effort, as above',
  'Announce success': 'best effort, as above',
  'Publish dry-run plan': 'best effort, as above',
  'Announce failure': 'the run has already failed: if the announcement keeps failing, the lock is still released and the run ends with the cause (failure-report-sns-blip shows it retried)',
  'Announce failure without report': 'as above',
  'Announce lock left to expire': 'best effort, as above',
  Report: 'pure computation over the run\'s results',
  'Report failure': 'pure computation over the run\'s results',
  'Release cutover lock': 'if release keeps failing after a completed cutover, the run succeeds and says when the lock expires (test/statemachine)',
  'Release cutover lock after failure': 'the run has already failed; if release keeps failing, the lock expires with the execution timeout',
};
const NO_ABSORBED_FAULT: Record<string, string> = {
  'Validate input': NO_FAILING_FAULT['Validate input'] ?? '',
  Report: 'pure computation',
  'Report failure': 'pure computation',
};
const SAME_LAMBDA: Record<string, string> = {
  'Switch CloudFront API origins': 'Switch CloudFront static origins',
  'Check CloudFront API deployed': 'Check CloudFront static deployed',
  'Announce recovery done': 'Announce cutover',
  'Announce traffic switched': 'Announce cutover',
  'Announce success': 'Announce cutover',
  'Publish dry-run plan': 'Announce cutover',
  'Announce failure': 'Announce cutover',
  'Announce failure without report': 'Announce cutover',
  'Announce lock left to expire': 'Announce cutover',
  'Release cutover lock after failure': 'Release cutover lock',
};

it('has a fault that Retry absorbs and a fault that fails the run for every Task, or says why not', async () => {
  const drill = await Drill.create({ config });
  const tasks = Object.keys(drill.cutover.taskSteps);
  await drill.close();
  const covered = (status: 'SUCCEEDED' | 'FAILED') => new Set(SCENARIOS.filter((s) => s.expect.status === status).map((s) => s.step));
  const absorbed = covered('SUCCEEDED');
  const failing = covered('FAILED');
  const missing = tasks.flatMap((task) => {
    const target = SAME_LAMBDA[task] ?? task;
    return [
      ...(absorbed.has(target) || task in NO_ABSORBED_FAULT ? [] : [`${task}: no absorbed fault`]),
      ...(failing.has(target) || task in NO_FAILING_FAULT ? [] : [`${task}: no failing fault`]),
    ];
  });
  expect(missing).toEqual([]);
});

it('reports the same simulated RTO for two runs of the same scenario (within 2%)', async () => {
  const rtos: number[] = [];
  for (let i = 0; i < 2; i++) {
    const drill = await Drill.create({ config });
    try {
      const run = await drill.run({ mode: 'emergency', dryRun: false, reason: `repeat ${i}` });
      rtos.push(run.report?.rtoSeconds ?? Number.NaN);
    } finally {
      await drill.close();
    }
  }
  const [a = Number.NaN, b = Number.NaN] = rtos;
  expect(a).toBeGreaterThan(0);
  expect(Math.abs(a - b) / a).toBeLessThanOrEqual(0.02);
});

it('keeps every state under Step Functions\' 256 KiB at the largest topology the config allows', async () => {
  const big = drillConfig({ env: 'prod', tables: 100, records: 100 });
  const drill = await Drill.create({ config: big });
  try {
    const run = await drill.run({ mode: 'emergency', dryRun: false, reason: 'x'.repeat(4000) });
    expect(run.result.status).toBe('SUCCEEDED');
    expect(run.result.maxStateBytes).toBeGreaterThan(0);
    expect(run.result.maxStateBytes).toBeLessThan(STATE_SIZE_LIMIT_BYTES);
  } finally {
    await drill.close();
  }
});

it('sends one ChangeBatch per hosted zone holding all its records, never rejected, and nothing on a re-run', async () => {
  const drill = await Drill.create({ config });
  try {
    const run = await drill.run({ mode: 'emergency', dryRun: false, reason: 'one batch per zone' });
    expect(run.result.status).toBe('SUCCEEDED');
    const batches = drill.world.callsOf('ChangeResourceRecordSetsCommand').map((c) => c.input as { HostedZoneId: string; ChangeBatch: { Changes: Array<{ Action: string; ResourceRecordSet: { Name: string } }> } });
    expect(batches.map((b) => b.HostedZoneId)).toEqual([config.route53.hostedZoneId]);
    expect(batches[0]?.ChangeBatch.Changes.map((c) => `${c.Action} ${c.ResourceRecordSet.Name}`)).toEqual(config.route53.records.map((r) => `UPSERT ${r.name}.`));
    // No PriorRequestNotComplete (or any other) retry of the DNS steps.
    expect(run.result.events.filter((e) => e.type === 'StateRetried' && /DNS/.test(e.state ?? ''))).toEqual([]);

    const rerun = await drill.run({ mode: 'emergency', dryRun: false, reason: 'again' });
    expect(rerun.result.status).toBe('SUCCEEDED');
    expect(drill.world.callsOf('ChangeResourceRecordSetsCommand')).toHaveLength(1);
  } finally {
    await drill.close();
  }
});

it('switches records in two hosted zones with one ChangeBatch and one GetChange poll loop each', async () => {
  const [api, auth] = config.route53.records;
  const twoZones = drillConfig({ env: 'prod' });
  const cfg = { ...twoZones, route53: { ...twoZones.route53, records: [api, { ...auth, hostedZoneId: 'Z0PORTFORGEAUTH' }].filter((r) => r !== undefined) } } as EnvironmentConfig;
  const drill = await Drill.create({ config: cfg });
  try {
    const run = await drill.run({ mode: 'emergency', dryRun: false, reason: 'two zones' });
    expect(run.result.status).toBe('SUCCEEDED');
    const batches = drill.world.callsOf('ChangeResourceRecordSetsCommand').map((c) => c.input as { HostedZoneId: string; ChangeBatch: { Changes: Array<{ ResourceRecordSet: { Name: string } }> } });
    expect(batches.map((b) => [b.HostedZoneId, b.ChangeBatch.Changes.map((c) => c.ResourceRecordSet.Name)]).sort()).toEqual([
      ['Z0PORTFORGEAUTH', [`${auth?.name ?? ''}.`]],
      [config.route53.hostedZoneId, [`${api?.name ?? ''}.`]],
    ]);
    expect(Object.values(drill.world.dnsTargets())).toEqual([config.route53.aliasTarget.dnsName, config.route53.aliasTarget.dnsName]);
  } finally {
    await drill.close();
  }
});

describe('the drill command line', () => {
  it('names the bad flag and lists the valid scenarios, changing nothing', () => {
    expect(() => parseDrillArgs(['--tables', '0'])).toThrow(/^--tables: Too small/);
    expect(() => parseDrillArgs(['--scenario', 'bogus'])).toThrow(/unknown scenario 'bogus'\. Valid scenarios: happy-path, /);
    expect(() => parseDrillArgs(['--frobnicate'])).toThrow(/Unknown option '--frobnicate'/);
    expect(parseDrillArgs(['--env', 'staging', '--dry-run'])).toMatchObject({ env: 'staging', 'dry-run': true, scenario: 'happy-path' });
  });
});

describe('Kubernetes RBAC', () => {
  it('fails fast on a 403: the forbidden patch is sent once, never retried', async () => {
    const scenario = SCENARIOS.find((s) => s.name === 'kubernetes-403');
    if (!scenario) throw new Error('scenario kubernetes-403 is missing');
    const drill = await Drill.create({ config, arrange: scenario.arrange });
    try {
      const run = await drill.run(input(scenario));
      expect(run.result.error).toBe('KubernetesForbiddenError');
      expect(drill.world.kube.requests.filter((r) => r.status === 403)).toHaveLength(1);
      expect(run.result.events.some((e) => e.type === 'StateRetried' && e.state === 'Patch Auth config')).toBe(false);
    } finally {
      await drill.close();
    }
  });
});
