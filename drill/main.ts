/**
 * `npm start`: a full cutover rehearsal on this machine. The synthesized state machine runs
 * in-process against a simulated Seoul/Tokyo world, on simulated time.
 */
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { parseArgs } from 'node:util';
import { z } from 'zod';
import { renderReport } from '../bin/format';
import { toPlainText, type SlackMessage } from '../functions/slack-notifier/logic';
import type { CutoverReport } from '../functions/shared/contracts';
import { rpoText } from '../functions/shared/rpo';
import { ENVIRONMENTS, loadEnvironment } from '../stacks/environments';
import { stateLanes } from './definition';
import { Drill, DRILL_EPOCH, type DrillRun } from './drill';
import type { ExecutionEvent } from './local-execution';
import { drillResult, runMarks, runResult } from './result';
import { drillResultJsonSchema, type RunResult } from './result-schema';
import { FaultScheduleError, parseFaultSchedule } from './fault-schedule';
import { findScenario, scenarioConfig, scenarioInput, scenarioOf, SCENARIOS, withTopology, type Scenario } from './scenarios';
import type { SimulatedWorld } from './world';

process.env.POWERTOOLS_LOG_LEVEL ??= 'SILENT';
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';

const OPTIONS = {
  env: { type: 'string', default: 'prod' },
  scenario: { type: 'string', default: 'happy-path' },
  mode: { type: 'string' },
  'dry-run': { type: 'boolean', default: false },
  rerun: { type: 'boolean', default: false },
  tables: { type: 'string' },
  records: { type: 'string' },
  quiet: { type: 'boolean', default: false },
  json: { type: 'boolean', default: false },
  'json-schema': { type: 'boolean', default: false },
  list: { type: 'boolean', default: false },
  faults: { type: 'string' },
  'print-faults': { type: 'boolean', default: false },
  help: { type: 'boolean', short: 'h', default: false },
} as const;

const positiveInt = z.coerce.number().int().min(1).max(100);
const ArgsSchema = z.strictObject({
  env: z.enum(Object.keys(ENVIRONMENTS) as [string, ...string[]], { error: `--env must be one of: ${Object.keys(ENVIRONMENTS).join(', ')}` }),
  scenario: z.string().refine((name) => findScenario(name) !== undefined, {
    error: (issue) => `unknown scenario '${String(issue.input)}'. Valid scenarios: ${SCENARIOS.map((s) => s.name).join(', ')}`,
  }),
  mode: z.enum(['emergency', 'planned'], { error: '--mode must be emergency or planned' }).optional(),
  'dry-run': z.boolean(),
  rerun: z.boolean(),
  tables: positiveInt.optional(),
  records: positiveInt.optional(),
  quiet: z.boolean(),
  json: z.boolean(),
  'json-schema': z.boolean(),
  list: z.boolean(),
  faults: z.string().min(1).optional(),
  'print-faults': z.boolean(),
  help: z.boolean(),
});
export type DrillArgs = z.infer<typeof ArgsSchema>;

export const USAGE = `Usage: npm start -- [options]

Runs the cutover state machine (as synthesized for deploy) against a simulated
Seoul/Tokyo world on simulated time. Nothing outside this machine is touched.

Options:
  --env <name>        environment config to drill: ${Object.keys(ENVIRONMENTS).join(' | ')} (default prod)
  --scenario <name>   fault scenario (default happy-path); --list shows them all
  --mode <mode>       emergency | planned (default: the scenario's, else emergency)
  --dry-run           dry run: change nothing, report the changes it would make
  --rerun             after a failing scenario, remove the fault and run again (shows convergence)
  --tables <n>        number of DynamoDB tables in the topology (1-100)
  --records <n>       number of DNS records in the topology (1-100)
  --quiet             no live progress, only the report
  --json              print only the result, as one JSON document (schema: --json-schema)
  --json-schema       print the JSON result's schema (JSON Schema) and exit
  --list              list the scenarios and exit
  --faults <file>     run a fault schedule (JSON, the format of drill/scenarios/*.json) instead of a scenario
  --print-faults      print the scenario's fault schedule (a file --faults replays) and exit
  -h, --help          this help`;

export function parseDrillArgs(argv: string[]): DrillArgs {
  let values: Record<string, unknown>;
  try {
    ({ values } = parseArgs({ args: argv, options: OPTIONS, strict: true, allowPositionals: false }));
  } catch (error) {
    throw new DrillUsageError(`${(error as Error).message}\n\n${USAGE}`);
  }
  const parsed = ArgsSchema.safeParse(values);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => {
      const flag = `--${String(i.path[0] ?? '')}`;
      return i.message.startsWith('--') || i.message.startsWith('unknown') ? i.message : `${flag}: ${i.message}`;
    });
    throw new DrillUsageError(`${lines.join('\n')}\n\n${USAGE}`);
  }
  return parsed.data;
}

export class DrillUsageError extends Error {
  override name = 'DrillUsageError';
}

/** The environment config, grown to `tables` tables and `records` records when asked (for scale drills). */
export function drillConfig(args: Pick<DrillArgs, 'env' | 'tables' | 'records'>) {
  return withTopology(loadEnvironment(args.env), { ...(args.tables ? { tables: args.tables } : {}), ...(args.records ? { records: args.records } : {}) });
}

const sim = (at: number) => {
  const s = Math.max(0, Math.round((at - DRILL_EPOCH.getTime()) / 1000));
  const hh = String(Math.floor(s / 3600)).padStart(2, '0');
  const mm = String(Math.floor((s % 3600) / 60)).padStart(2, '0');
  const ss = String(s % 60).padStart(2, '0');
  return `+${hh}:${mm}:${ss}`;
};

/** One line per state as it starts and ends, with its lane, so parallel branches show side by side. */
export function progressPrinter(lanes: Record<string, string>, out: (line: string) => void) {
  return (event: ExecutionEvent) => {
    if (!event.state) return;
    const lane = (lanes[event.state] ?? 'cutover').slice(0, 30).padEnd(30);
    const line = (mark: string, text: string) => out(`${sim(event.at)}  ${lane} │ ${mark} ${text}`);
    if (event.type === 'StateEntered') line('▶', event.state);
    else if (event.type === 'StateExited') line('✓', event.state);
    else if (event.type === 'StateFailed') line('✗', `${event.state}: ${event.error ?? 'failed'}`);
    else if (event.type === 'StateRetried') line('↻', `${event.state}: retry`);
    else if (event.type === 'StateCaught') line('⤷', `${event.state}: caught ${event.error ?? ''}`.trim());
  };
}

export async function worldLines(world: SimulatedWorld): Promise<string[]> {
  const { config } = world;
  const configMap = world.kube.configMap(config.eks.namespace, config.eks.configMapName)?.data ?? {};
  const lockHolder = (await world.lockItem())?.executionId?.S;
  return [
    `World after the run (simulated ${config.primaryRegion} → ${config.standbyRegion})`,
    ...Object.entries(world.dnsTargets()).map(([name, target]) => `  DNS ${name.padEnd(28)} → ${target ?? '(no record)'}`),
    `  RDS ${config.rds.replicaInstanceId.padEnd(28)} ${world.databaseRole()}`,
    `  ConfigMap ${`${config.eks.namespace}/${config.eks.configMapName}`.padEnd(22)} ${Object.keys(config.eks.configMapData)
      .map((k) => `${k}=${configMap[k] ?? '(unset)'}`)
      .join(' ')}`,
    ...Object.entries(world.behaviorOrigins()).map(([pattern, origin]) => `  CloudFront ${pattern.padEnd(21)} → ${origin ?? '?'}`),
    `  Cutover lock                     ${lockHolder ? `held by ${lockHolder}` : 'free'}`,
  ];
}

/** The Slack messages the notifier posted, as their text reads (from `from` on). */
export function messageLines(world: SimulatedWorld, from = 0): string[] {
  const posts = world.slackPosts.slice(from);
  return [
    `Slack messages (${posts.length}, as posted by the Slack notifier)`,
    ...posts.flatMap((post) => ['', ...toPlainText(post as SlackMessage).split('\n').map((line) => `  │ ${line}`)]),
  ];
}


function summary(run: DrillRun, report: CutoverReport | null): string[] {
  return [
    `Simulated RTO ${report ? `${report.rtoSeconds} s` : 'n/a'} (simulated time), ${run.stateTransitions} state transitions, ${(run.wallMs / 1000).toFixed(1)} s wall time`,
    ...(report ? [rpoText(report, { duration: (s) => `${s} s`, time: (iso) => iso })] : []),
  ];
}

export async function main(argv: string[], out: (line: string) => void = (l) => console.log(l)): Promise<number> {
  let args: DrillArgs;
  try {
    args = parseDrillArgs(argv);
  } catch (error) {
    if (error instanceof DrillUsageError) {
      console.error(error.message);
      return 2;
    }
    throw error;
  }
  if (args.help) {
    out(USAGE);
    return 0;
  }
  if (args.list) {
    out('Scenarios (npm start -- --scenario <name>):');
    for (const s of SCENARIOS) out(`  ${s.name.padEnd(32)} ${(s.expect.status === 'SUCCEEDED' ? 'absorbed' : 'fails').padEnd(9)} ${s.step}: ${s.description}`);
    return 0;
  }
  if (args['json-schema']) {
    out(JSON.stringify(drillResultJsonSchema(), null, 2));
    return 0;
  }
  if (args['print-faults']) {
    out(JSON.stringify((findScenario(args.scenario) as Scenario).schedule, null, 2));
    return 0;
  }
  let scenario: Scenario;
  try {
    scenario = args.faults ? faultFileScenario(args.faults) : (findScenario(args.scenario) as Scenario);
  } catch (error) {
    if (error instanceof FaultScheduleError) {
      console.error(error.message);
      return 2;
    }
    throw error;
  }
  // With --json, stdout carries the result document alone: the progress and the text report go nowhere.
  const printDocument = out;
  if (args.json) out = () => undefined;
  const config = scenarioConfig(scenario, drillConfig(args));
  // Emergency cutovers run in a world where the primary Region is down; planned ones beside a healthy primary.
  let drill: Drill;
  try {
    drill = await Drill.create({ config, arrange: scenario.arrange, primaryOutage: (args.mode ?? scenario.mode ?? 'emergency') === 'emergency' });
  } catch (error) {
    if (!(error instanceof FaultScheduleError)) throw error;
    console.error(`${args.faults ?? scenario.name}: ${error.message}`);
    return 2;
  }
  out(`dr-cutover local drill: ${config.name} (${config.primaryRegion} → ${config.standbyRegion}), scenario ${scenario.name}${args['dry-run'] ? ', DRY RUN' : ''}`);
  out(`  ${scenario.description}`);
  try {
    // On the drill's simulated clock (the alarm's time is a simulated moment).
    const input = scenarioInput(scenario, { ...(args['dry-run'] ? { dryRun: true } : {}), mode: args.mode });
    const lanes = stateLanes(drill.cutover.definition);
    const onEvent = args.quiet || args.json ? undefined : progressPrinter(lanes, out);
    const runs: RunResult[] = [];
    let marks = runMarks(drill.world);
    let run = await drill.run(input, onEvent);
    runs.push(await runResult(drill, run, runs.length + 1, marks));
    out('');
    await printOutcome(run, drill, out, 0);
    if (run.result.status === 'FAILED' && args.rerun) {
      out('');
      out(`Removing the fault (${scenario.name}) and running again…`);
      await scenario.heal(drill.world);
      const before = drill.world.slackPosts.length;
      marks = runMarks(drill.world);
      run = await drill.run(input, onEvent);
      runs.push(await runResult(drill, run, runs.length + 1, marks));
      out('');
      await printOutcome(run, drill, out, before);
    }
    if (args.json) {
      const settings = { scenario: scenario.name, environment: config.name, mode: input.mode, dryRun: input.dryRun };
      printDocument(JSON.stringify(drillResult(settings, runs)));
    }
    // A call IAM refused fails the drill even where the run absorbed it: the stack is missing a grant.
    return run.result.status === 'SUCCEEDED' && run.iamDenials.length === 0 ? 0 : 1;
  } finally {
    await drill.close();
  }
}

/** The scenario a fault file describes; a missing or malformed file is one FaultScheduleError line. */
function faultFileScenario(path: string): Scenario {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new FaultScheduleError(`${path}: cannot read the fault file (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`);
  }
  return scenarioOf(parseFaultSchedule(text, path), basename(path, '.json'));
}

async function printOutcome(run: DrillRun, drill: Drill, out: (line: string) => void, messagesFrom: number): Promise<void> {
  const report = run.report;
  if (report) {
    for (const line of renderReport(report, { name: `drill-${run.result.status.toLowerCase()}`, status: run.result.status })) out(line);
  } else {
    out(`Execution ${run.result.status}: ${run.result.error ?? ''} ${run.result.cause ?? ''}`.trim());
  }
  out('');
  for (const line of messageLines(drill.world, messagesFrom)) out(line);
  out('');
  for (const line of await worldLines(drill.world)) out(line);
  out('');
  for (const line of iamDenialLines(run)) out(line);
  for (const line of summary(run, report)) out(line);
}

/** Each call IAM refused: who, what, on which resource; an operator grants it in the stack. */
function iamDenialLines(run: DrillRun): string[] {
  if (run.iamDenials.length === 0) return [];
  return [
    `IAM refused ${run.iamDenials.length} call(s); the stack is missing these grants:`,
    ...run.iamDenials.map((d) => `  ${d.caller}${d.state ? ` (${d.state})` : ''}: ${d.action} on ${d.resource} (${d.error})`),
    '',
  ];
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (error: unknown) => {
      console.error(error);
      process.exit(1);
    },
  );
}
