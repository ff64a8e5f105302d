/**
 * `npm run chaos -- --count <n> --seed <s> [--env prod|staging] [--json]`: generates `n` fault
 * schedules from the seed, runs each on the synthesized definition against the simulated world, and
 * checks the invariants I1–I7 from what the world recorded. A violation is printed with its seed,
 * its index and the fault file that reproduces it (`npm start -- --faults <file>`).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { z } from 'zod';
import { ENVIRONMENTS } from '../stacks/environments';
import { INVARIANTS, type Invariant, type Violation } from './chaos-checks';
import { generateSchedules } from './chaos-generate';
import { runSchedule, type BaselineCache } from './chaos-run';

process.env.POWERTOOLS_LOG_LEVEL ??= 'SILENT';
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';

const OPTIONS = {
  count: { type: 'string', default: '50' },
  seed: { type: 'string', default: '1' },
  env: { type: 'string', default: 'prod' },
  json: { type: 'boolean', default: false },
  out: { type: 'string', default: 'chaos-failures' },
  shard: { type: 'string', default: '0/1' },
  help: { type: 'boolean', short: 'h', default: false },
} as const;

const ArgsSchema = z.strictObject({
  count: z.coerce.number({ error: '--count must be a whole number' }).int('--count must be a whole number').min(1, '--count must be at least 1').max(100_000, '--count must be at most 100000'),
  seed: z.coerce.number({ error: '--seed must be a whole number' }).int('--seed must be a whole number').min(0, '--seed must be 0 or more').max(2 ** 31 - 1, '--seed must be below 2^31'),
  env: z.enum(Object.keys(ENVIRONMENTS) as [string, ...string[]], { error: `--env must be one of: ${Object.keys(ENVIRONMENTS).join(', ')}` }),
  json: z.boolean(),
  out: z.string().min(1, '--out must name a directory'),
  /** `i/n`: run only the schedules whose index is i modulo n (to split one campaign over processes). */
  shard: z
    .string()
    .regex(/^\d+\/[1-9]\d*$/, '--shard must be i/n, e.g. 0/2')
    .transform((v) => v.split('/').map(Number) as [number, number])
    .refine(([i, n]) => i < n, '--shard i/n needs i < n'),
  help: z.boolean(),
});
export type ChaosArgs = z.infer<typeof ArgsSchema>;

export const CHAOS_USAGE = `Usage: npm run chaos -- --count <n> --seed <s> [--env prod|staging] [--json] [--out <dir>] [--shard i/n]

Generates <n> fault schedules from seed <s> (the same seed gives the same schedules), runs each on
the synthesized state machine against the simulated world, heals and re-runs a failed run, and
checks the invariants I1-I7 from the world's recorded calls and end state.
A violation's fault file is written to <dir>/<seed>-<index>.json (default chaos-failures/):
npm start -- --faults <file> replays it. --shard i/n runs only the schedules whose index is i modulo n (one campaign over n processes).
Exit 0: no violation; 1: violations; 2: bad arguments.`;

export class ChaosUsageError extends Error {
  override name = 'ChaosUsageError';
}

export function parseChaosArgs(argv: string[]): ChaosArgs {
  let values: Record<string, unknown>;
  try {
    ({ values } = parseArgs({ args: argv, options: OPTIONS, strict: true, allowPositionals: false }));
  } catch (error) {
    throw new ChaosUsageError((error as Error).message.split('\n')[0] ?? 'bad arguments');
  }
  const parsed = ArgsSchema.safeParse(values);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const message = issue?.message ?? 'bad arguments';
    throw new ChaosUsageError(message.startsWith('--') ? message : `--${String(issue?.path[0] ?? '')}: ${message}`);
  }
  return parsed.data;
}

export interface ChaosSummary {
  seed: number;
  env: string;
  schedules: number;
  runs: number;
  violations: number;
  violationsByInvariant: Record<Invariant, number>;
  failuresByError: Record<string, number>;
  rtoMedianSeconds: number | null;
  wallSeconds: number;
  schedulesPerSecond: number;
  /** Each violation with where to find its fault file. */
  found: Array<{ index: number; invariant: Invariant; message: string; faultFile: string }>;
}

const median = (xs: number[]): number | null => {
  if (xs.length === 0) return null;
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? (s[mid] ?? null) : ((s[mid - 1] ?? 0) + (s[mid] ?? 0)) / 2;
};

/** Runs the chaos campaign; `log` gets progress lines (stderr in the CLI). */
export async function runChaos(args: Pick<ChaosArgs, 'count' | 'seed' | 'env' | 'out'> & { shard?: [number, number] }, log: (line: string) => void = () => undefined): Promise<ChaosSummary> {
  const started = performance.now();
  const [shard, shards] = args.shard ?? [0, 1];
  const schedules = generateSchedules(args.seed, args.count)
    .map((schedule, index) => ({ schedule, index }))
    .filter(({ index }) => index % shards === shard);
  const baselines: BaselineCache = new Map();
  const byInvariant = Object.fromEntries(INVARIANTS.map((i) => [i, 0])) as Record<Invariant, number>;
  const byError: Record<string, number> = {};
  const rtos: number[] = [];
  const found: ChaosSummary['found'] = [];
  let runs = 0;
  for (const [done0, { schedule, index }] of schedules.entries()) {
    let violations: Violation[];
    try {
      const outcome = await runSchedule(schedule, { env: args.env, baselines });
      violations = outcome.violations;
      runs += outcome.runs;
      for (const e of outcome.errors) byError[e] = (byError[e] ?? 0) + 1;
      if (outcome.rtoSeconds !== null) rtos.push(outcome.rtoSeconds);
    } catch (error) {
      // A schedule the engine cannot express, or a run that could not complete, is a defect too: never skipped.
      violations = [{ invariant: 'I3', message: `the schedule could not be run: ${(error as Error).name}: ${(error as Error).message}` }];
    }
    if (violations.length > 0) {
      mkdirSync(args.out, { recursive: true });
      const faultFile = path.join(args.out, `${args.seed}-${index}.json`);
      writeFileSync(faultFile, `${JSON.stringify(schedule, null, 2)}\n`);
      for (const v of violations) {
        byInvariant[v.invariant] += 1;
        found.push({ index, invariant: v.invariant, message: v.message, faultFile });
        log(`VIOLATION ${v.invariant} seed ${args.seed} schedule ${index}: ${v.message}\n  fault file: ${faultFile} (npm start -- --faults ${faultFile})`);
      }
    }
    const done = done0 + 1;
    if (done % 10 === 0 || done === schedules.length) {
      const wall = (performance.now() - started) / 1000;
      log(`chaos ${done}/${schedules.length} schedules, ${runs} runs, ${found.length} violations, ${wall.toFixed(0)} s`);
    }
  }
  const wallSeconds = (performance.now() - started) / 1000;
  return {
    seed: args.seed,
    env: args.env,
    schedules: schedules.length,
    runs,
    violations: found.length,
    violationsByInvariant: byInvariant,
    failuresByError: byError,
    rtoMedianSeconds: median(rtos),
    wallSeconds: Math.round(wallSeconds * 10) / 10,
    schedulesPerSecond: Math.round((schedules.length / Math.max(wallSeconds, 0.001)) * 1000) / 1000,
    found,
  };
}

export function summaryLines(s: ChaosSummary): string[] {
  const errors = Object.entries(s.failuresByError).sort((a, b) => b[1] - a[1]);
  return [
    `Chaos: ${s.schedules} schedules (seed ${s.seed}, ${s.env}), ${s.runs} runs including re-runs`,
    `Violations: ${s.violations}${s.violations > 0 ? ` (${INVARIANTS.filter((i) => s.violationsByInvariant[i] > 0).map((i) => `${i}: ${s.violationsByInvariant[i]}`).join(', ')})` : ''}`,
    `Failures by error: ${errors.length === 0 ? 'none' : errors.map(([e, n]) => `${e} ${n}`).join(', ')}`,
    `Simulated RTO median: ${s.rtoMedianSeconds === null ? 'n/a' : `${s.rtoMedianSeconds} s`}`,
    `Wall time ${s.wallSeconds} s, ${s.schedulesPerSecond} schedules/s`,
  ];
}

export async function main(argv: string[]): Promise<number> {
  let args: ChaosArgs;
  try {
    args = parseChaosArgs(argv);
  } catch (error) {
    if (error instanceof ChaosUsageError) {
      console.error(error.message);
      return 2;
    }
    throw error;
  }
  if (args.help) {
    console.log(CHAOS_USAGE);
    return 0;
  }
  const summary = await runChaos(args, (line) => console.error(line));
  if (args.json) console.log(JSON.stringify(summary));
  else for (const line of summaryLines(summary)) console.log(line);
  return summary.violations === 0 ? 0 : 1;
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
