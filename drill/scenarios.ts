import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { CutoverMode } from '../functions/shared/contracts';
import { parseConfig, type EnvironmentConfig } from '../stacks/config';
import { parseFaultSchedule, type FaultSchedule } from './fault-schedule';
import { applyFaultSchedule, healWorld, type SimulatedWorld } from './world';

/**
 * The built-in scenarios: fault schedules stored as data, one JSON file per scenario in
 * drill/scenarios/<name>.json, in the format `npm start -- --faults <file.json>` runs.
 */

/** What a scenario's run must end in. */
export interface ScenarioExpectation {
  status: 'SUCCEEDED' | 'FAILED';
  /** The error the execution fails with. */
  error?: string;
  /** The step the failure report names. */
  failedStep?: string;
  /** A state whose Retry absorbs the fault. */
  retried?: string;
}

export interface Scenario {
  name: string;
  description: string;
  /** The step the fault targets (for the scenario list). */
  step: string;
  mode?: CutoverMode;
  /** The run is started by the primary-health alarm (so it waits at the approval gate). */
  alarm?: boolean;
  /** The environment config the scenario runs with, when it differs from the drilled one (topology, routing-policy records). */
  configure?: (config: EnvironmentConfig) => EnvironmentConfig;
  /** Installs the schedule's faults into a fresh world. */
  arrange: (world: SimulatedWorld) => void | Promise<void>;
  /** Removes every fault and returns every condition to healthy, so a re-run can show it converges. */
  heal: (world: SimulatedWorld) => void | Promise<void>;
  expect: ScenarioExpectation;
  /** The fault schedule the scenario is. */
  schedule: FaultSchedule;
}

/** The config with the schedule's topology: `tables` tables, `records` records, a routing-policy first record named 'seoul'. */
export function withTopology(config: EnvironmentConfig, topology: NonNullable<FaultSchedule['topology']>): EnvironmentConfig {
  const tables = topology.tables ? Array.from({ length: topology.tables }, (_, i) => config.dynamodb.tables[i] ?? `drill_table_${i + 1}`) : config.dynamodb.tables;
  const zone = config.route53.records[0]?.name.split('.').slice(1).join('.') ?? 'example.org';
  const sized = topology.records
    ? Array.from({ length: topology.records }, (_, i) => config.route53.records[i] ?? { name: `r${i + 1}.${zone}`, type: 'A' as const })
    : config.route53.records;
  const [first, ...rest] = sized;
  const records = first && topology.firstRecordRouting ? [{ ...first, setIdentifier: 'seoul', ...topology.firstRecordRouting }, ...rest] : sized;
  return parseConfig(config.name, { ...config, dynamodb: { ...config.dynamodb, tables }, route53: { ...config.route53, records } });
}

/** A fault schedule as a runnable scenario (a schedule without a name, step or expectation gets neutral ones). */
export function scenarioOf(schedule: FaultSchedule, fallbackName = 'fault-file'): Scenario {
  const topology = schedule.topology;
  return {
    name: schedule.name ?? fallbackName,
    description: schedule.description ?? `fault schedule ${schedule.name ?? fallbackName}`,
    step: schedule.step ?? 'all',
    ...(schedule.mode ? { mode: schedule.mode } : {}),
    ...(schedule.trigger === 'alarm' ? { alarm: true } : {}),
    ...(topology ? { configure: (config: EnvironmentConfig) => withTopology(config, topology) } : {}),
    arrange: (world) => applyFaultSchedule(world, schedule),
    heal: healWorld,
    expect: schedule.expect ?? { status: 'SUCCEEDED' },
    schedule,
  };
}

const SCENARIO_DIR = join(__dirname, 'scenarios');

/** Reads and validates every drill/scenarios/*.json (happy-path first, then by name); a bad file stops the drill. */
function loadScenarios(): Scenario[] {
  const files = readdirSync(SCENARIO_DIR)
    .filter((f) => f.endsWith('.json'))
    .sort((a, b) => (a === 'happy-path.json' ? -1 : b === 'happy-path.json' ? 1 : a.localeCompare(b)));
  return files.map((file) => {
    const source = `drill/scenarios/${file}`;
    const schedule = parseFaultSchedule(readFileSync(join(SCENARIO_DIR, file), 'utf8'), source);
    const name = file.slice(0, -'.json'.length);
    if (schedule.name !== name || !schedule.description || !schedule.step || !schedule.expect) {
      throw new Error(`${source}: a built-in scenario needs name '${name}', a description, a step and an expectation`);
    }
    return scenarioOf(schedule);
  });
}

export const SCENARIOS: Scenario[] = loadScenarios();

/** The config a scenario runs with: the drilled config, or the scenario's own variant of it. */
export function scenarioConfig(scenario: Scenario, config: EnvironmentConfig): EnvironmentConfig {
  return scenario.configure ? scenario.configure(config) : config;
}

export function findScenario(name: string): Scenario | undefined {
  return SCENARIOS.find((s) => s.name === name);
}

/** The execution input a scenario's run starts with. */
export function scenarioInput(scenario: Scenario, options: { dryRun?: boolean; mode?: CutoverMode } = {}) {
  return {
    mode: options.mode ?? scenario.mode ?? 'emergency',
    dryRun: options.dryRun ?? scenario.schedule.dryRun ?? false,
    reason: scenario.alarm ? 'Threshold Crossed: 3 datapoints were less than the threshold (1.0).' : `local drill: ${scenario.name}`,
    ...(scenario.alarm
      ? { trigger: { type: 'alarm', alarmName: 'dr-cutover-primary-unhealthy', time: new Date(Date.now() - 180_000).toISOString() } }
      : { requestedBy: 'local-drill' }),
  };
}
