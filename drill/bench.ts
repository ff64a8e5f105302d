/**
 * `npm run bench`: the drill's figures, measured side by side in one run.
 * RTO figures are SIMULATED (the drill's timing model); wall times are real.
 */
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { MAP_CONCURRENCY } from '../statemachines/cutover-state-machine';
import { Drill } from './drill';
import { dnsZones } from '../stacks/config';
import { drillConfig } from './main';
import { criticalPathSeconds, DEFAULT_TIMING, sequentialSeconds, TIMING_SOURCES } from './timing';

process.env.POWERTOOLS_LOG_LEVEL ??= 'SILENT';
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? (s[mid] ?? 0) : ((s[mid - 1] ?? 0) + (s[mid] ?? 0)) / 2;
};
const fmt = (n: number, digits = 0) => n.toFixed(digits);

async function simulatedRun(tables?: number, records?: number) {
  const config = drillConfig({ env: 'prod', tables, records });
  const drill = await Drill.create({ config });
  try {
    const run = await drill.run({ mode: 'emergency', dryRun: false, reason: 'bench' });
    if (run.result.status !== 'SUCCEEDED') throw new Error(`bench run failed: ${run.result.error ?? ''} ${run.result.cause ?? ''}`);
    return { rto: run.report?.rtoSeconds ?? run.simulatedMs / 1000, transitions: run.stateTransitions, wallMs: run.wallMs, zones: dnsZones(config).length, stateKiB: run.result.maxStateBytes / 1024 };
  } finally {
    await drill.close();
  }
}

async function main(): Promise<void> {
  const out = (line = '') => console.log(line);
  out('dr-cutover bench (RTO figures are SIMULATED with the drill timing model; wall times are real)');
  out(`timing model: ${Object.entries(DEFAULT_TIMING).map(([k, v]) => `${k}=${v}`).join(', ')}`);
  out('');

  // 1–2. Orchestration overhead against the critical path, and the manual runbook's sequential order.
  const base = await simulatedRun();
  const critical = criticalPathSeconds(DEFAULT_TIMING, Math.ceil(base.zones / MAP_CONCURRENCY));
  const sequential = sequentialSeconds(DEFAULT_TIMING);
  out(`dr-cutover simulated RTO, default prod topology: ${fmt(base.rto)} s`);
  out('| lower bound (simulated) | seconds | dr-cutover RTO ÷ bound |');
  out('|---|---|---|');
  out(`| critical path the dependencies force (recover in parallel, then traffic) | ${critical} | ${fmt(base.rto / critical, 3)} |`);
  out(`| strictly sequential order (the manual runbook) | ${sequential} | ${fmt(base.rto / sequential, 3)} |`);
  out('');

  // 3. Scale: tables and records from 1 to 10 to 50 to the config's limit (100).
  const scale = [];
  for (const n of [1, 10, 50, 100]) scale.push({ n, ...(await simulatedRun(n, n)) });
  const first = scale[0];
  out('| tables = records | simulated RTO (s) | RTO / RTO at 1 | state transitions | largest state (KiB, limit 256) | wall (s) |');
  out('|---|---|---|---|---|---|');
  for (const s of scale) out(`| ${s.n} | ${fmt(s.rto)} | ${fmt(s.rto / (first?.rto ?? 1), 3)} | ${s.transitions} | ${fmt(s.stateKiB, 1)} | ${fmt(s.wallMs / 1000, 1)} |`);
  out('');

  // 4. The drill's wall time: `npm start` as a user runs it, median of 5.
  const runs: number[] = [];
  const tsx = path.join(__dirname, '..', 'node_modules', '.bin', 'tsx');
  for (let i = 0; i < 5; i++) {
    const t0 = performance.now();
    const child = spawnSync(tsx, [path.join(__dirname, 'main.ts'), '--quiet'], { encoding: 'utf8', env: process.env });
    if (child.status !== 0) throw new Error(`drill exited ${child.status}: ${child.stderr}`);
    runs.push((performance.now() - t0) / 1000);
  }
  out('| drill wall time (real), `npm start -- --quiet`, 5 runs | median (s) | min (s) | max (s) |');
  out('|---|---|---|---|');
  out(`| full process: synth, world, execution, report | ${fmt(median(runs), 1)} | ${fmt(Math.min(...runs), 1)} | ${fmt(Math.max(...runs), 1)} |`);
  out('');
  out('Sources of the timing model:');
  for (const [k, v] of Object.entries(TIMING_SOURCES)) out(`  ${k}: ${v}`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
