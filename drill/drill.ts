import './polyfills';
import { CutoverReportSchema, type CutoverReport } from '../functions/shared/contracts';
import { toRuntimeTargets, type EnvironmentConfig } from '../stacks/config';
import { extractCutover, LOCAL_ACCOUNT, synthesizeTemplate, type SynthesizedCutover } from './definition';
import { preloadHandlers, runLocally, type ExecutionEvent, type LocalRunResult } from './local-execution';
import { SimClock } from './sim-clock';
import { DEFAULT_TIMING, type TimingModel } from './timing';
import { SimulatedWorld } from './world';

/** The drill's simulated start: a fixed moment, so two drills print the same timeline. */
export const DRILL_EPOCH = new Date('2026-01-01T00:00:00.000Z');

export interface DrillOptions {
  config: EnvironmentConfig;
  timing?: Partial<TimingModel>;
  /** Prepares the world before the run: a scenario's faults. */
  arrange?: (world: SimulatedWorld) => void;
}

export interface DrillRun {
  result: LocalRunResult;
  /** The report the run produced: the execution output's on success, the failure announcement's otherwise. */
  report: CutoverReport | null;
  /** Simulated milliseconds from this run's start to its end. */
  simulatedMs: number;
  wallMs: number;
  stateTransitions: number;
}

/**
 * A simulated Seoul/Tokyo world plus the synthesized cutover bound to the real step handlers,
 * on simulated time. Several runs may share one world (re-runs after a failure).
 */
export class Drill {
  private runs = 0;

  private constructor(
    readonly world: SimulatedWorld,
    readonly cutover: SynthesizedCutover,
    readonly clock: SimClock,
    readonly config: EnvironmentConfig,
  ) {}

  static async create(options: DrillOptions): Promise<Drill> {
    const timing = { ...DEFAULT_TIMING, ...options.timing };
    const certificateArn = `arn:aws:acm:${options.config.standbyRegion}:${LOCAL_ACCOUNT}:certificate/${options.config.certificateId}`;
    const world = new SimulatedWorld(options.config, toRuntimeTargets(options.config, certificateArn), timing);
    await world.start();
    const config = options.config;
    const cutover = extractCutover(synthesizeTemplate(config), config.standbyRegion);
    await preloadHandlers(cutover);
    const clock = new SimClock(DRILL_EPOCH);
    clock.install();
    options.arrange?.(world);
    return new Drill(world, cutover, clock, config);
  }

  async run(input: unknown, onEvent?: (event: ExecutionEvent) => void): Promise<DrillRun> {
    this.runs += 1;
    const wallStart = performance.now();
    const simStart = Date.now();
    const publishedBefore = this.world.published.length;
    const result = await runLocally({
      cutover: this.cutover,
      input,
      executionName: `drill-${this.runs}`,
      clock: this.clock,
      onEvent,
    });
    const simulatedMs = Date.now() - simStart;
    const wallMs = performance.now() - wallStart;
    return {
      result,
      report: this.reportOf(result, publishedBefore),
      simulatedMs,
      wallMs,
      stateTransitions: result.statesEntered.length,
    };
  }

  async close(): Promise<void> {
    this.clock.uninstall();
    await this.world.stop();
  }

  private reportOf(result: LocalRunResult, publishedBefore: number): CutoverReport | null {
    const fromOutput = CutoverReportSchema.safeParse((result.output as { report?: unknown } | null)?.report);
    if (fromOutput.success) return fromOutput.data;
    const announced = this.world.published
      .slice(publishedBefore)
      .map((p) => CutoverReportSchema.safeParse((p.message as { report?: unknown } | null)?.report))
      .filter((r) => r.success)
      .at(-1);
    return announced?.data ?? null;
  }
}
