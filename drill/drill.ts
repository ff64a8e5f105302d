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
import { extractCutover, LOCAL_ACCOUNT, synthesizeTemplate, type CfnTemplate, type SynthesizedCutover } from './definition';
import { IamAuthorizer } from './iam';
import { lambdaContext, loadLambdaHandler, preloadHandlers, runLocally, type ExecutionEvent, type LocalRunResult, type StepHandler } from './local-execution';
import { withinInvocation } from './invocation';
import { SimClock } from './sim-clock';
import { DEFAULT_TIMING, type TimingModel } from './timing';
import { denialOf, iamCallAuthorizer, installIam, SimulatedWorld, WORLD_SLACK, type IamDenial } from './world';

/** The drill's simulated start: a fixed moment, so two drills print the same timeline. */
export const DRILL_EPOCH = new Date('2026-01-01T00:00:00.000Z');

/** The IAM authorizer of each drilled template (decisions are cached in it, so repeated drills of one config reuse them). */
const authorizers = new WeakMap<CfnTemplate, IamAuthorizer>();

function authorizerFor(template: CfnTemplate, config: EnvironmentConfig): IamAuthorizer {
  let authorizer = authorizers.get(template);
  if (!authorizer) {
    authorizer = IamAuthorizer.fromTemplate(template, { account: LOCAL_ACCOUNT, region: config.standbyRegion });
    authorizers.set(template, authorizer);
  }
  return authorizer;
}

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
  arrange?: (world: SimulatedWorld) => void | Promise<void>;
  /**
   * The primary Region is down (default): the world an emergency cutover runs in. Planned
   * cutovers run with a healthy primary (false).
   */
  primaryOutage?: boolean;
  /**
   * Alters the synthesized template before the drill runs it (a copy): e.g. a grant taken out of a
   * role's policy. The definition, the Lambdas' environments and IAM are all read from the result.
   */
  template?: (template: CfnTemplate) => CfnTemplate;
  /**
   * Seeds the drill's Math.random (default 1): Step Functions' retry jitter is drawn from it, so
   * two drills of the same schedule and seed take the same simulated time.
   */
  seed?: number;
}

/** A small seeded PRNG (mulberry32): the same seed gives the same sequence. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface DrillRun {
  result: LocalRunResult;
  /** The report the run produced: the execution output's on success, the failure announcement's otherwise. */
  report: CutoverReport | null;
  /** Simulated milliseconds from this run's start to its end. */
  simulatedMs: number;
  wallMs: number;
  stateTransitions: number;
  /**
   * The calls and Task invocations IAM refused during this run. Even when the run absorbed them
   * (a best-effort announcement), each is a grant the stack is missing: the drill fails on it.
   */
  iamDenials: IamDenial[];
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
  /** The Math.random the drill replaced with its seeded one (put back by close()). */
  private realRandom: (() => number) | undefined;

  private constructor(
    readonly world: SimulatedWorld,
    readonly cutover: SynthesizedCutover,
    readonly clock: SimClock,
    readonly config: EnvironmentConfig,
    readonly iam: IamAuthorizer,
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
    const synthesized = synthesizeTemplate(config);
    const template = options.template ? options.template(structuredClone(synthesized)) : synthesized;
    const cutover = extractCutover(template, config.standbyRegion);
    // IAM as AWS enforces it: every call by the sending Lambda's role, every Task by the state machine's.
    const iam = authorizerFor(template, config);
    world.authorizer = iamCallAuthorizer(iam);
    // IAM's policy simulator (a dry run's permission check) answers with the same evaluator.
    installIam(world, iam);
    await preloadHandlers(cutover);
    // Invoked beside the execution (SNS subscription, function URL), each with its own environment.
    const slackNotifier = await loadLambdaHandler(cutover, 'slack-notifier');
    const approvalCallback = await loadLambdaHandler(cutover, 'approval-callback');
    const clock = new SimClock(DRILL_EPOCH);
    clock.install();
    world.idle = (pending) => clock.idle(pending);
    const realRandom = Math.random;
    Math.random = seededRandom(options.seed ?? 1);
    const drill = new Drill(world, cutover, clock, config, iam, slackNotifier, approvalCallback);
    drill.realRandom = realRandom;
    try {
      await options.arrange?.(world);
    } catch (error) {
      // A schedule the world cannot apply (FaultScheduleError) leaves nothing running.
      await drill.close();
      throw error;
    }
    return drill;
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
    const deniedBefore = this.world.iamDenials.length;
    const result = await runLocally({
      cutover: this.cutover,
      input,
      executionName: `drill-${this.runs}`,
      clock: this.clock,
      awaitTaskToken: (token) => this.world.awaitTaskToken(token),
      authorizeInvoke: (task) => this.authorizeInvoke(task),
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
      iamDenials: this.world.iamDenials.slice(deniedBefore),
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
    const deniedBefore = this.world.iamDenials.length;
    // Each execution holds its handlers on the shared clock; only the one driver below moves time.
    const shared = { hold: <T>(work: () => Promise<T>) => this.clock.hold(work), drive: async (until: Promise<unknown>) => void (await until.catch(() => undefined)) };
    const runs = inputs.map((input) => {
      this.runs += 1;
      return runLocally({ cutover: this.cutover, input, executionName: `drill-${this.runs}`, clock: shared, awaitTaskToken: (token) => this.world.awaitTaskToken(token), authorizeInvoke: (task) => this.authorizeInvoke(task) });
    });
    await this.clock.drive(Promise.allSettled(runs));
    const results = await Promise.all(runs);
    while (this.background.size > 0) await Promise.all([...this.background]);
    const simulatedMs = Date.now() - simStart;
    const wallMs = performance.now() - wallStart;
    return results.map((result) => ({ result, report: this.reportOf(result, publishedBefore), simulatedMs, wallMs, stateTransitions: result.statesEntered.length, iamDenials: this.world.iamDenials.slice(deniedBefore).filter((d) => d.executionId === null || d.executionId === result.executionId) }));
  }

  /**
   * The state machine role's lambda:InvokeFunction of a Task's function. Refused, the Task fails as
   * Step Functions fails it: `Lambda.AWSLambdaException`, Lambda's AccessDeniedException as cause.
   */
  private async authorizeInvoke(task: { executionId: string; state: string; step: string }): Promise<Error | undefined> {
    const machine = this.iam.policies.stateMachines[0];
    const functionArn = this.cutover.taskFunctions[task.state];
    if (!machine || !functionArn) throw new Error(`the IAM check cannot tell which function Task '${task.state}' invokes`);
    const decision = await this.iam.authorizeInvoke(machine.arn, functionArn);
    if (decision.allowed) return undefined;
    this.world.iamDenials.push(denialOf(decision, { caller: machine.arn, executionId: task.executionId, state: task.state, command: 'Invoke' }));
    return decision.error;
  }

  async close(): Promise<void> {
    if (this.realRandom) Math.random = this.realRandom;
    this.realRandom = undefined;
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
