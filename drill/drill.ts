import './polyfills';
import type { LambdaFunctionURLEvent, SNSEvent } from 'aws-lambda';
import {
  APPROVE_ACTION_ID,
  CutoverEventSchema,
  CutoverReportSchema,
  DENY_ACTION_ID,
  type CutoverReport,
} from '../functions/shared/contracts';
import { signSlackRequest } from '../functions/shared/slack-signature';
import { toRuntimeTargets, type EnvironmentConfig } from '../stacks/config';
import { extractCutover, LOCAL_ACCOUNT, synthesizeTemplate, type SynthesizedCutover } from './definition';
import { lambdaContext, loadLambdaHandler, preloadHandlers, runLocally, type ExecutionEvent, type LocalRunResult, type StepHandler } from './local-execution';
import { withinInvocation } from './invocation';
import { SimClock } from './sim-clock';
import { DEFAULT_TIMING, type TimingModel } from './timing';
import { SimulatedWorld, WORLD_SLACK } from './world';

/** The drill's simulated start: a fixed moment, so two drills print the same timeline. */
export const DRILL_EPOCH = new Date('2026-01-01T00:00:00.000Z');

/** What the simulated approver's click got back from the approval callback. */
export interface ApprovalClick {
  decision: 'approve' | 'deny';
  slackUserId: string;
  statusCode: number;
  body: string;
}

export interface DrillOptions {
  config: EnvironmentConfig;
  timing?: Partial<TimingModel>;
  /** Prepares the world before the run: a scenario's faults. */
  arrange?: (world: SimulatedWorld) => void;
  /**
   * The primary Region is down (default): the world an emergency cutover runs in. Planned
   * cutovers run with a healthy primary (false).
   */
  primaryOutage?: boolean;
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
  /** Slack deliveries and approver clicks still in flight. */
  private readonly background = new Set<Promise<unknown>>();
  readonly clicks: ApprovalClick[] = [];

  private constructor(
    readonly world: SimulatedWorld,
    readonly cutover: SynthesizedCutover,
    readonly clock: SimClock,
    readonly config: EnvironmentConfig,
    private readonly slackNotifier: StepHandler,
    private readonly approvalCallback: StepHandler,
  ) {
    // Every SNS message reaches the real Slack notifier, as the topic subscription does on AWS.
    world.onPublish = ({ subject, raw }) => {
      const event = snsEvent(subject, raw);
      const invocation = { executionId: null, state: null, step: 'slack-notifier', functionName: 'dr-cutover-slack-notifier' };
      this.inBackground(this.clock.hold(() => withinInvocation(invocation, () => this.slackNotifier(event, lambdaContext(invocation.functionName)))));
      this.answerApproval(raw);
    };
  }

  static async create(options: DrillOptions): Promise<Drill> {
    const timing = { ...DEFAULT_TIMING, ...options.timing };
    const certificateArn = `arn:aws:acm:${options.config.standbyRegion}:${LOCAL_ACCOUNT}:certificate/${options.config.certificateId}`;
    const world = new SimulatedWorld(options.config, toRuntimeTargets(options.config, certificateArn), timing, options.primaryOutage ?? true);
    await world.start();
    const config = options.config;
    const cutover = extractCutover(synthesizeTemplate(config), config.standbyRegion);
    await preloadHandlers(cutover);
    // Invoked beside the execution (SNS subscription, function URL), each with its own environment.
    const slackNotifier = await loadLambdaHandler(cutover, 'slack-notifier');
    const approvalCallback = await loadLambdaHandler(cutover, 'approval-callback');
    const clock = new SimClock(DRILL_EPOCH);
    clock.install();
    world.idle = (pending) => clock.idle(pending);
    options.arrange?.(world);
    return new Drill(world, cutover, clock, config, slackNotifier, approvalCallback);
  }

  private inBackground(work: Promise<unknown>): void {
    const tracked = work.catch(() => undefined).finally(() => this.background.delete(tracked));
    this.background.add(tracked);
  }

  /** Plays the world's approver: a signed Slack button click, sent to the real approval callback. */
  private answerApproval(raw: string): void {
    const parsed = CutoverEventSchema.safeParse(safeJson(raw));
    const approver = this.world.approver;
    if (!parsed.success || parsed.data.type !== 'cutover.approval-needed' || !parsed.data.approval || !approver) return;
    const { approvalId } = parsed.data.approval;
    const decision = approver.decision;
    const slackUserId = approver.slackUserId ?? this.config.approval.approvers[0]?.slackUserId ?? 'U000';
    setTimeout(() => {
      this.inBackground(
        this.clock.hold(async () => {
          const payload = {
            type: 'block_actions',
            user: { id: slackUserId, username: 'drill-approver' },
            actions: [{ type: 'button', action_id: decision === 'approve' ? APPROVE_ACTION_ID : DENY_ACTION_ID, value: approvalId }],
            response_url: `${WORLD_SLACK.responseUrlPrefix}drill`,
          };
          const rawBody = `payload=${encodeURIComponent(JSON.stringify(payload))}`;
          const headers = signSlackRequest({ signingSecret: WORLD_SLACK.signingSecret, rawBody, timestampSeconds: Date.now() / 1000 });
          const event = {
            version: '2.0',
            rawPath: '/',
            rawQueryString: '',
            headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
            requestContext: { http: { method: 'POST', path: '/', protocol: 'HTTP/1.1', sourceIp: '127.0.0.1', userAgent: 'Slackbot' } },
            body: rawBody,
            isBase64Encoded: false,
          } as unknown as LambdaFunctionURLEvent;
          const invocation = { executionId: null, state: null, step: 'approval-callback', functionName: 'dr-cutover-approval-callback' };
          const result = (await withinInvocation(invocation, () => this.approvalCallback(event, lambdaContext(invocation.functionName)))) as { statusCode: number; body?: string };
          this.clicks.push({ decision, slackUserId, statusCode: result.statusCode, body: result.body ?? '' });
        }),
      );
    }, approver.afterSeconds * 1000);
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
      awaitTaskToken: (token) => this.world.awaitTaskToken(token),
      onEvent,
    });
    // The last Slack deliveries finish after the execution does.
    while (this.background.size > 0) await Promise.all([...this.background]);
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

  /**
   * Starts several executions at once in this world (two cutovers racing for the lock, I4), on one
   * simulated clock that moves only when all of them are idle.
   */
  async runConcurrently(inputs: unknown[]): Promise<DrillRun[]> {
    const wallStart = performance.now();
    const simStart = Date.now();
    const publishedBefore = this.world.published.length;
    // Each execution holds its handlers on the shared clock; only the one driver below moves time.
    const shared = { hold: <T>(work: () => Promise<T>) => this.clock.hold(work), drive: async (until: Promise<unknown>) => void (await until.catch(() => undefined)) };
    const runs = inputs.map((input) => {
      this.runs += 1;
      return runLocally({ cutover: this.cutover, input, executionName: `drill-${this.runs}`, clock: shared, awaitTaskToken: (token) => this.world.awaitTaskToken(token) });
    });
    await this.clock.drive(Promise.allSettled(runs));
    const results = await Promise.all(runs);
    while (this.background.size > 0) await Promise.all([...this.background]);
    const simulatedMs = Date.now() - simStart;
    const wallMs = performance.now() - wallStart;
    return results.map((result) => ({ result, report: this.reportOf(result, publishedBefore), simulatedMs, wallMs, stateTransitions: result.statesEntered.length }));
  }

  async close(): Promise<void> {
    this.clock.uninstall();
    await this.world.stop();
  }

  /** Slack messages as the notifier posted them. */
  get slackMessages(): unknown[] {
    return this.world.slackPosts;
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

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return null;
  }
}

function snsEvent(subject: string | undefined, message: string): SNSEvent {
  return {
    Records: [
      {
        EventSource: 'aws:sns',
        EventVersion: '1.0',
        EventSubscriptionArn: 'arn:aws:sns:local:000000000000:drill:subscription',
        Sns: {
          Type: 'Notification',
          MessageId: `drill-${Date.now()}`,
          TopicArn: 'arn:aws:sns:local:000000000000:drill',
          Subject: subject ?? '',
          Message: message,
          Timestamp: new Date().toISOString(),
          SignatureVersion: '1',
          Signature: '',
          SigningCertUrl: '',
          UnsubscribeUrl: '',
          MessageAttributes: {},
        },
      },
    ],
  };
}
