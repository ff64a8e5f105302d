import { createHash } from 'node:crypto';
import { getDenialReasons, runSimulation, runUnsafeSimulation, type RequestAnalysis, type Simulation } from '@cloud-copilot/iam-simulate';
import type { CfnTemplate } from '../definition';
import { findLambda, resolvePolicies, type LambdaBinding, type PolicyDocument, type ResolvedPolicies, type RolePolicies } from './policies';
import { authorizationsFor, type AuthorizationRequest, type AwsCall, type RequestScope } from './requests';

export type IamDecision =
  | { allowed: true }
  | {
      allowed: false;
      /** The Lambda (or state machine) whose role was refused. */
      caller: string;
      action: string;
      resource: string;
      /** The assumed-role session ARN the request was signed with. */
      principal: string;
      /** What the SDK throws on AWS for this denial (or, for a Task, the error Step Functions fails it with). */
      error: Error;
    };

export interface AuthorizeCallInput {
  /** The Lambda making the call: its drill name (`dr-cutover-preflight`), deployed name, ARN or logical id. */
  functionName: string;
  /** The SDK command class name, e.g. `GetItemCommand`. */
  command: string;
  input: unknown;
  /** The Region of the client that sent it. */
  region: string;
}

export interface IamAuthorizerOptions {
  account: string;
  /** The Region the stack is deployed in. */
  region: string;
  partition?: string;
  /** A secret's complete ARN from a SecretId (name, partial or complete ARN). Defaults to `<name>-` plus six characters derived from the name. */
  secretArn?: (secretId: string, region: string) => string;
  /** The state machine a task token answers. Defaults to the template's only state machine. */
  stateMachineOfTaskToken?: (taskToken: string) => string | undefined;
}

export interface IamAuthorizerStats {
  calls: number;
  authorizations: number;
  evaluations: number;
  cacheHits: number;
  evaluationMs: number;
}

/**
 * A secret's complete ARN: Secrets Manager appends a hyphen and six random characters to the name
 * (Secrets Manager user guide, "Finding a secret from a partial ARN"). The six characters are derived
 * from the name here, so they are stable.
 */
export function defaultSecretArn(account: string, partition = 'aws'): (secretId: string, region: string) => string {
  return (secretId, region) => {
    if (/^arn:[^:]+:secretsmanager:[^:]*:\d{12}:secret:.+-[A-Za-z0-9]{6}$/.test(secretId)) return secretId;
    const name = /^arn:[^:]+:secretsmanager:[^:]*:\d{12}:secret:(.+)$/.exec(secretId)?.[1] ?? secretId;
    const digest = createHash('sha256').update(name).digest('base64').replace(/[^A-Za-z0-9]/g, '');
    return `arn:${partition}:secretsmanager:${region}:${account}:secret:${name}-${digest.slice(0, 6)}`;
  };
}

/**
 * IAM as AWS evaluates it for the drill: each call a Lambda makes is authorized against the
 * synthesized identity policies of its role plus the resource policies involved (KMS key policy,
 * SNS topic policy), with @cloud-copilot/iam-simulate. Decisions are cached per principal, action,
 * resource, resource policy and the context keys the stack's policies test.
 */
export class IamAuthorizer {
  private readonly cache = new Map<string, Promise<{ allowed: boolean; reason: string }>>();
  private readonly scope: RequestScope;
  private readonly lambdas = new Map<string, LambdaBinding>();
  readonly stats: IamAuthorizerStats = { calls: 0, authorizations: 0, evaluations: 0, cacheHits: 0, evaluationMs: 0 };

  private constructor(
    readonly policies: ResolvedPolicies,
    options: IamAuthorizerOptions,
  ) {
    const { account, partition } = policies.env;
    const onlyMachine = policies.stateMachines.length === 1 ? policies.stateMachines[0]?.arn : undefined;
    this.scope = {
      account,
      partition,
      topicKey: (topic) => policies.topicKeys.get(topic),
      stateMachineOfTaskToken: options.stateMachineOfTaskToken ?? (() => onlyMachine),
      secretArn: options.secretArn ?? defaultSecretArn(account, partition),
    };
  }

  static fromTemplate(template: CfnTemplate, options: IamAuthorizerOptions): IamAuthorizer {
    return new IamAuthorizer(resolvePolicies(template, { account: options.account, region: options.region, partition: options.partition ?? 'aws' }), options);
  }

  private role(logicalId: string): RolePolicies {
    const role = this.policies.roles.get(logicalId);
    if (!role) throw new Error(`no role ${logicalId} in the template`);
    return role;
  }

  /** Authorizes one SDK call a Lambda makes; the first refused authorization is the answer. */
  async authorizeCall(call: AuthorizeCallInput): Promise<IamDecision> {
    this.stats.calls += 1;
    let lambda = this.lambdas.get(call.functionName);
    if (!lambda) {
      lambda = findLambda(this.policies, call.functionName);
      if (lambda) this.lambdas.set(call.functionName, lambda);
    }
    if (!lambda) throw new Error(`no Lambda '${call.functionName}' in the template: the IAM check cannot tell which role calls ${call.command}`);
    const role = this.role(lambda.roleLogicalId);
    // The Lambda runtime's credentials are a session of the execution role named after the function.
    const principal = `arn:${this.policies.env.partition}:sts::${this.policies.env.account}:assumed-role/${role.roleName}/${lambda.functionName}`;
    const awsCall: AwsCall = { command: call.command, input: call.input, region: call.region };
    for (const request of await authorizationsFor(awsCall, this.scope)) {
      const { allowed, reason } = await this.evaluate(role, principal, call.region, request);
      if (allowed) continue;
      const shown = request.denial.actionInMessage?.(request.action) ?? request.action;
      const on = request.resource === '*' ? '' : ` on resource: ${request.resource}`;
      const message = `User: ${principal} is not authorized to perform: ${shown}${on} ${reason.replaceAll('{action}', shown)}${request.denial.suffix ?? ''}`;
      return { allowed: false, caller: lambda.functionName, action: request.action, resource: request.resource, principal, error: request.denial.create(message) };
    }
    return { allowed: true };
  }

  /**
   * Authorizes the state machine role's lambda:InvokeFunction of a Task's function (its
   * Parameters.FunctionName, or the Task's Resource): a name, a function ARN, or a qualified ARN.
   * Denied, the Task fails with `Lambda.AWSLambdaException` and Lambda's AccessDeniedException as cause.
   */
  async authorizeInvoke(stateMachine: string, functionArn: string): Promise<IamDecision> {
    this.stats.calls += 1;
    const machine = this.policies.stateMachines.find((m) => m.arn === stateMachine || m.logicalId === stateMachine || m.arn.endsWith(`:stateMachine:${stateMachine}`));
    if (!machine) throw new Error(`no state machine '${stateMachine}' in the template`);
    const role = this.role(machine.roleLogicalId);
    const { partition, account, region } = this.policies.env;
    const resource = functionArn.startsWith('arn:') ? functionArn : `arn:${partition}:lambda:${region}:${account}:function:${functionArn}`;
    // Step Functions assumes the role with a session name of its own choosing.
    const principal = `arn:${partition}:sts::${account}:assumed-role/${role.roleName}/StepFunctions`;
    const request: AuthorizationRequest = {
      action: 'lambda:InvokeFunction',
      resource,
      context: {},
      denial: { name: 'Lambda.AWSLambdaException', httpStatusCode: 403, create: (m) => Object.assign(new Error(m), { name: 'Lambda.AWSLambdaException' }) },
    };
    const { allowed, reason } = await this.evaluate(role, principal, region, request);
    if (allowed) return { allowed: true };
    const message = `User: ${principal} is not authorized to perform: lambda:InvokeFunction on resource: ${resource} ${reason.replaceAll('{action}', 'lambda:InvokeFunction')} (Service: AWSLambda; Status Code: 403; Error Code: AccessDeniedException)`;
    return { allowed: false, caller: machine.arn, action: request.action, resource, principal, error: request.denial.create(message) };
  }

  /**
   * IAM's policy simulation for a role, as SimulatePrincipalPolicy evaluates it (IAM API reference,
   * SimulatePrincipalPolicy): the role's identity policies only (no resource policy is given), with
   * the context entries the caller supplies and no other request context. The decision is
   * `allowed`, `explicitDeny` (a Deny statement matches) or `implicitDeny` (no statement allows it).
   */
  async simulatePrincipalPolicy(request: { policySourceArn: string; action: string; resource: string; context: Record<string, string | string[]> }): Promise<'allowed' | 'implicitDeny' | 'explicitDeny'> {
    this.stats.calls += 1;
    const role = [...this.policies.roles.values()].find((r) => r.roleArn === request.policySourceArn || request.policySourceArn.endsWith(`:role/${r.roleName}`));
    if (!role) throw new Error(`no role '${request.policySourceArn}' in the template`);
    const authorization: AuthorizationRequest = {
      action: request.action,
      resource: request.resource,
      context: request.context,
      denial: { name: 'AccessDenied', httpStatusCode: 403, create: (m) => new Error(m) },
    };
    const { allowed, reason } = await this.simulate(role, role.roleArn, authorization, request.context);
    if (allowed) return 'allowed';
    return reason.startsWith('with an explicit deny') ? 'explicitDeny' : 'implicitDeny';
  }

  private resourcePolicy(request: AuthorizationRequest): PolicyDocument | undefined {
    if (!request.resourcePolicy) return undefined;
    const { kind, arn } = request.resourcePolicy;
    return kind === 'kms-key' ? this.policies.keyPolicies.get(arn) : this.policies.topicPolicies.get(arn);
  }

  /** The request context, limited to the keys some policy of the stack tests (so cached decisions stay valid). */
  private context(role: RolePolicies, region: string, request: AuthorizationRequest): Record<string, string | string[]> {
    const all: Record<string, string | string[]> = {
      // The SDK calls every endpoint over HTTPS.
      'aws:SecureTransport': 'true',
      'aws:PrincipalArn': role.roleArn,
      'aws:PrincipalAccount': this.policies.env.account,
      'aws:PrincipalType': 'AssumedRole',
      'aws:RequestedRegion': region,
      ...request.context,
    };
    return Object.fromEntries(Object.entries(all).filter(([k]) => this.policies.conditionKeys.has(k.toLowerCase())));
  }

  private evaluate(role: RolePolicies, principal: string, region: string, request: AuthorizationRequest): Promise<{ allowed: boolean; reason: string }> {
    this.stats.authorizations += 1;
    const context = this.context(role, region, request);
    const key = JSON.stringify([principal, request.action, request.resource, request.resourcePolicy?.arn ?? '', Object.entries(context).sort()]);
    const cached = this.cache.get(key);
    if (cached) {
      this.stats.cacheHits += 1;
      return cached;
    }
    const decision = this.simulate(role, principal, request, context);
    this.cache.set(key, decision);
    return decision;
  }

  private async simulate(role: RolePolicies, principal: string, request: AuthorizationRequest, context: Record<string, string | string[]>): Promise<{ allowed: boolean; reason: string }> {
    const started = performance.now();
    this.stats.evaluations += 1;
    const simulation: Simulation = {
      request: { principal, action: request.action, resource: { resource: request.resource, accountId: this.policies.env.account }, contextVariables: context },
      identityPolicies: role.policies.map((p) => ({ name: p.source, policy: p.document })),
      serviceControlPolicies: [],
      resourceControlPolicies: [],
      resourcePolicy: this.resourcePolicy(request),
    };
    try {
      let result: string;
      let analysis: RequestAnalysis | undefined;
      if (request.serviceDisagreesWithReference) {
        // The reference would refuse the resource the service really checks: evaluate without its validation.
        result = runUnsafeSimulation(simulation, {});
      } else {
        const response = await runSimulation(simulation, {});
        if (response.resultType === 'error') {
          throw new Error(`IAM model error for ${request.action} on ${request.resource}: ${JSON.stringify(response.errors)}`);
        }
        result = response.overallResult;
        analysis = response.resultType === 'single' ? response.result.analysis : response.results[0]?.analysis;
      }
      return { allowed: result === 'Allowed', reason: result === 'Allowed' ? '' : denialReason(result, analysis) };
    } finally {
      this.stats.evaluationMs += performance.now() - started;
    }
  }
}

/** The reason AWS gives in an access-denied message ("because no identity-based policy allows the … action"). */
function denialReason(result: string, analysis: RequestAnalysis | undefined): string {
  const reasons = analysis ? getDenialReasons(analysis) : [];
  const explicit = reasons.find((r) => r.denialType === 'Explicit');
  if (result === 'ExplicitlyDenied' || explicit) {
    return explicit?.policyType === 'resource' ? 'with an explicit deny in a resource-based policy' : 'with an explicit deny in an identity-based policy';
  }
  if (reasons.length > 0 && reasons.every((r) => r.policyType === 'resource')) return 'because no resource-based policy allows the {action} action';
  return 'because no identity-based policy allows the {action} action';
}
