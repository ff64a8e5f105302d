import { createHash } from 'node:crypto';
import type { CfnTemplate } from '../definition';

/**
 * The IAM policies of a synthesized stack, resolved to the concrete ARNs the resources would have
 * once deployed: each role's identity policies, the resource policies (KMS key policies, SNS topic
 * policies), and which role each Lambda function and the state machine run as.
 */

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

export interface IamEnvironment {
  account: string;
  /** The Region the stack is deployed in. */
  region: string;
  partition?: string;
}

export interface PolicyStatement {
  Sid?: string;
  Effect: 'Allow' | 'Deny';
  Action?: string | string[];
  NotAction?: string | string[];
  Resource?: string | string[];
  NotResource?: string | string[];
  Principal?: Json;
  NotPrincipal?: Json;
  Condition?: Record<string, Record<string, string | string[] | boolean | number>>;
}

export interface PolicyDocument {
  Version?: string;
  Statement: PolicyStatement[];
}

export interface NamedPolicy {
  /** The policy's name: the AWS::IAM::Policy PolicyName, the inline policy's name, or the managed policy ARN. */
  name: string;
  document: PolicyDocument;
  /** Where it comes from in the template: `<logical id>` of the AWS::IAM::Policy, `<role>.Policies[n]` or a managed policy ARN. */
  source: string;
}

export interface RolePolicies {
  logicalId: string;
  roleName: string;
  roleArn: string;
  policies: NamedPolicy[];
}

export interface LambdaBinding {
  logicalId: string;
  /** The deployed function name: FunctionName, or the logical id where CloudFormation would generate one. */
  functionName: string;
  functionArn: string;
  roleLogicalId: string;
  /** The functions/ folder of a step Lambda (its CUTOVER_STEP variable), or of the other Lambdas by their role description. */
  step?: string;
}

export interface StateMachineBinding {
  logicalId: string;
  arn: string;
  roleLogicalId: string;
}

export interface ResolvedPolicies {
  env: Required<IamEnvironment>;
  roles: Map<string, RolePolicies>;
  lambdas: LambdaBinding[];
  stateMachines: StateMachineBinding[];
  /** Key ARN → key policy. */
  keyPolicies: Map<string, PolicyDocument>;
  /** Topic ARN → topic policy (the statements of every AWS::SNS::TopicPolicy naming it). */
  topicPolicies: Map<string, PolicyDocument>;
  /** Topic ARN → the ARN of the KMS key it is encrypted with (server-side encryption). */
  topicKeys: Map<string, string>;
  /** Every condition key any policy of the stack tests, lower case. */
  conditionKeys: Set<string>;
}

/**
 * AWS managed policies a role may name in ManagedPolicyArns, modelled only for what the drill's calls
 * need. AWSLambdaBasicExecutionRole allows writing CloudWatch Logs and nothing the steps call.
 */
const MANAGED_POLICIES: Record<string, PolicyDocument> = {
  'arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole': {
    Version: '2012-10-17',
    Statement: [{ Effect: 'Allow', Action: ['logs:CreateLogGroup', 'logs:CreateLogStream', 'logs:PutLogEvents'], Resource: '*' }],
  },
};

/**
 * A stable stand-in for the key id KMS assigns at creation (a UUID), derived from the logical id,
 * so the same template always gives the same key ARN.
 */
export function localKeyId(logicalId: string): string {
  const h = createHash('sha256').update(`kms:${logicalId}`).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
}

/**
 * Resolves CloudFormation intrinsics (Ref, Fn::GetAtt, Fn::Join, Fn::Sub, Fn::Select, Fn::Split and the
 * pseudo parameters) to the values they take once deployed. Where CloudFormation generates a physical
 * name (no explicit name property), the logical id stands in for it, as the drill's definition does.
 */
export class TemplateResolver {
  readonly env: Required<IamEnvironment>;

  constructor(
    private readonly template: CfnTemplate,
    env: IamEnvironment,
  ) {
    this.env = { partition: 'aws', ...env };
  }

  private props(logicalId: string): Record<string, Json> {
    return (this.template.Resources[logicalId]?.Properties ?? {});
  }

  private type(logicalId: string): string {
    const resource = this.template.Resources[logicalId];
    if (!resource) throw new Error(`the template has no resource '${logicalId}'`);
    return resource.Type;
  }

  /** A string property, resolved, or the logical id (CloudFormation's generated name). */
  private physicalName(logicalId: string, property: string): string {
    const value = this.props(logicalId)[property];
    return value === undefined ? logicalId : this.scalar(this.resolve(value));
  }

  private arn(service: string, region: string, resource: string): string {
    return `arn:${this.env.partition}:${service}:${region}:${this.env.account}:${resource}`;
  }

  ref(logicalId: string): string {
    const { region, account, partition } = this.env;
    switch (logicalId) {
      case 'AWS::Partition':
        return partition;
      case 'AWS::Region':
        return region;
      case 'AWS::AccountId':
        return account;
      case 'AWS::URLSuffix':
        return 'amazonaws.com';
      case 'AWS::StackName':
        return 'DrCutover';
      case 'AWS::NoValue':
        return '';
    }
    switch (this.type(logicalId)) {
      // AWS CloudFormation resource reference, return values (Ref) of each type.
      case 'AWS::SNS::Topic':
      case 'AWS::StepFunctions::StateMachine':
        return this.getAtt(logicalId, 'Arn');
      case 'AWS::Lambda::Function':
        return this.physicalName(logicalId, 'FunctionName');
      case 'AWS::DynamoDB::Table':
        return this.physicalName(logicalId, 'TableName');
      case 'AWS::KMS::Key':
        return localKeyId(logicalId);
      case 'AWS::IAM::Role':
        return this.physicalName(logicalId, 'RoleName');
      case 'AWS::Logs::LogGroup':
        return this.physicalName(logicalId, 'LogGroupName');
      case 'AWS::SQS::Queue':
        return `https://sqs.${region}.amazonaws.com/${account}/${this.physicalName(logicalId, 'QueueName')}`;
      default:
        return logicalId;
    }
  }

  getAtt(logicalId: string, attribute: string): string {
    const { region } = this.env;
    const type = this.type(logicalId);
    const arnOf = (): string => {
      switch (type) {
        case 'AWS::Lambda::Function':
          return this.arn('lambda', region, `function:${this.physicalName(logicalId, 'FunctionName')}`);
        case 'AWS::SNS::Topic':
          return this.arn('sns', region, this.physicalName(logicalId, 'TopicName'));
        case 'AWS::DynamoDB::Table':
          return this.arn('dynamodb', region, `table/${this.physicalName(logicalId, 'TableName')}`);
        case 'AWS::KMS::Key':
          return this.arn('kms', region, `key/${localKeyId(logicalId)}`);
        case 'AWS::IAM::Role': {
          const rolePath = this.props(logicalId).Path;
          const prefix = typeof rolePath === 'string' ? rolePath.replace(/^\//, '') : '';
          return `arn:${this.env.partition}:iam::${this.env.account}:role/${prefix}${this.physicalName(logicalId, 'RoleName')}`;
        }
        case 'AWS::StepFunctions::StateMachine':
          return this.arn('states', region, `stateMachine:${this.physicalName(logicalId, 'StateMachineName')}`);
        case 'AWS::Logs::LogGroup':
          return this.arn('logs', region, `log-group:${this.physicalName(logicalId, 'LogGroupName')}:*`);
        case 'AWS::SQS::Queue':
          return this.arn('sqs', region, this.physicalName(logicalId, 'QueueName'));
        case 'AWS::Events::Rule':
          return this.arn('events', region, `rule/${this.physicalName(logicalId, 'Name')}`);
        default:
          return this.arn(type.split('::')[1]?.toLowerCase() ?? 'local', region, logicalId);
      }
    };
    if (attribute === 'Arn' || attribute === 'TopicArn') return arnOf();
    if (attribute === 'TopicName' || attribute === 'Name' || attribute === 'QueueName') return this.ref(logicalId).split(/[:/]/).at(-1) ?? logicalId;
    if (attribute === 'KeyId') return localKeyId(logicalId);
    if (attribute === 'RoleId') return `AROA${createHash('sha256').update(logicalId).digest('hex').slice(0, 17).toUpperCase()}`;
    if (attribute === 'FunctionUrl') return `https://${logicalId.toLowerCase()}.lambda-url.${region}.on.aws/`;
    return `${arnOf()}/${attribute}`;
  }

  scalar(value: Json): string {
    if (typeof value === 'string') return value;
    if (typeof value === 'number' || typeof value === 'boolean') return String(value);
    throw new Error(`expected a string, got ${JSON.stringify(value)}`);
  }

  /** Resolves every intrinsic in a value (deeply). */
  resolve(value: Json): Json {
    if (Array.isArray(value)) return value.map((v) => this.resolve(v));
    if (value === null || typeof value !== 'object') return value;
    const keys = Object.keys(value);
    if (keys.length === 1) {
      const [key] = keys as [string];
      const arg = value[key] as Json;
      switch (key) {
        case 'Ref':
          return this.ref(this.scalar(arg));
        case 'Fn::GetAtt': {
          const [id, attr] = Array.isArray(arg) ? arg.map((a) => this.scalar(this.resolve(a))) : this.scalar(arg).split('.');
          return this.getAtt(id ?? '', attr ?? 'Arn');
        }
        case 'Fn::Join': {
          const [sep, parts] = arg as [string, Json];
          const list = this.resolve(parts);
          if (!Array.isArray(list)) throw new Error(`Fn::Join of a non-list: ${JSON.stringify(arg)}`);
          return list.map((p) => this.scalar(p)).join(sep);
        }
        case 'Fn::Split': {
          const [sep, source] = arg as [string, Json];
          return this.scalar(this.resolve(source)).split(sep);
        }
        case 'Fn::Select': {
          const [index, list] = arg as [Json, Json];
          const items = this.resolve(list);
          if (!Array.isArray(items)) throw new Error(`Fn::Select of a non-list: ${JSON.stringify(arg)}`);
          const item = items[Number(this.resolve(index))];
          if (item === undefined) throw new Error(`Fn::Select index out of range: ${JSON.stringify(arg)}`);
          return item;
        }
        case 'Fn::Sub': {
          const [text, vars] = Array.isArray(arg) ? (arg as [string, Record<string, Json>]) : [this.scalar(arg), {}];
          return text.replace(/\$\{([^}!][^}]*)\}/g, (_m, name: string) => {
            if (name in vars) return this.scalar(this.resolve(vars[name] ?? null));
            const [id, attr] = name.split('.');
            return attr ? this.getAtt(id ?? '', attr) : this.ref(name);
          });
        }
        case 'Fn::ImportValue':
        case 'Fn::If':
        case 'Fn::FindInMap':
        case 'Fn::GetAZs':
          throw new Error(`intrinsic ${key} is not supported in IAM policies here: ${JSON.stringify(arg)}`);
      }
    }
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, this.resolve(v)]));
  }
}

function asDocument(value: Json): PolicyDocument {
  const doc = value as unknown as PolicyDocument;
  if (!doc || !Array.isArray(doc.Statement)) throw new Error(`not a policy document: ${JSON.stringify(value)}`);
  return doc;
}

function refsOf(value: Json | undefined): string[] {
  if (!Array.isArray(value)) return [];
  return value.flatMap((v) => (v && typeof v === 'object' && !Array.isArray(v) && typeof v.Ref === 'string' ? [v.Ref] : []));
}

function collectConditionKeys(doc: PolicyDocument, into: Set<string>): void {
  for (const s of doc.Statement) {
    for (const operands of Object.values(s.Condition ?? {})) for (const k of Object.keys(operands)) into.add(k.toLowerCase());
  }
}

/**
 * Who a non-step Lambda is: the drill names it after its functions/ folder (`dr-cutover-slack-notifier`).
 * The folder is read from the role description CutoverFunction writes (`dr-cutover step <folder>`).
 */
function stepOfRole(template: CfnTemplate, roleLogicalId: string): string | undefined {
  const description = template.Resources[roleLogicalId]?.Properties?.Description;
  return typeof description === 'string' ? /^dr-cutover step (\S+)$/.exec(description)?.[1] : undefined;
}

/** Reads every IAM role, policy, Lambda and resource policy of the template, resolved. */
export function resolvePolicies(template: CfnTemplate, env: IamEnvironment): ResolvedPolicies {
  const r = new TemplateResolver(template, env);
  const resources = Object.entries(template.Resources);
  const roles = new Map<string, RolePolicies>();
  const conditionKeys = new Set<string>();
  for (const [id, res] of resources) {
    if (res.Type !== 'AWS::IAM::Role') continue;
    const props = res.Properties ?? {};
    const policies: NamedPolicy[] = [];
    (Array.isArray(props.Policies) ? props.Policies : []).forEach((p, i) => {
      const inline = r.resolve(p) as { PolicyName?: string; PolicyDocument?: Json };
      policies.push({ name: inline.PolicyName ?? `inline-${i}`, document: asDocument(inline.PolicyDocument ?? null), source: `${id}.Policies[${i}]` });
    });
    for (const arnValue of Array.isArray(props.ManagedPolicyArns) ? props.ManagedPolicyArns : []) {
      const arn = r.scalar(r.resolve(arnValue));
      const managed = MANAGED_POLICIES[arn];
      if (!managed) throw new Error(`role ${id} uses managed policy ${arn}, which the drill does not model`);
      policies.push({ name: arn, document: managed, source: arn });
    }
    roles.set(id, { logicalId: id, roleName: r.ref(id), roleArn: r.getAtt(id, 'Arn'), policies });
  }
  for (const [id, res] of resources) {
    if (res.Type !== 'AWS::IAM::Policy' && res.Type !== 'AWS::IAM::ManagedPolicy') continue;
    const props = res.Properties ?? {};
    const document = asDocument(r.resolve(props.PolicyDocument ?? null));
    const name = typeof props.PolicyName === 'string' ? props.PolicyName : typeof props.ManagedPolicyName === 'string' ? props.ManagedPolicyName : id;
    for (const roleId of refsOf(props.Roles)) roles.get(roleId)?.policies.push({ name, document, source: id });
  }
  for (const role of roles.values()) for (const p of role.policies) collectConditionKeys(p.document, conditionKeys);

  const lambdas: LambdaBinding[] = [];
  for (const [id, res] of resources) {
    if (res.Type !== 'AWS::Lambda::Function') continue;
    const props = res.Properties ?? {};
    const roleAtt = props.Role as { 'Fn::GetAtt'?: [string, string] } | undefined;
    const roleLogicalId = roleAtt?.['Fn::GetAtt']?.[0];
    if (!roleLogicalId || !roles.has(roleLogicalId)) throw new Error(`Lambda ${id} has no role of this template`);
    const environment = r.resolve(props.Environment ?? null) as { Variables?: Record<string, string> } | null;
    const step = environment?.Variables?.CUTOVER_STEP ?? stepOfRole(template, roleLogicalId);
    lambdas.push({ logicalId: id, functionName: r.ref(id), functionArn: r.getAtt(id, 'Arn'), roleLogicalId, step });
  }

  const stateMachines: StateMachineBinding[] = [];
  for (const [id, res] of resources) {
    if (res.Type !== 'AWS::StepFunctions::StateMachine') continue;
    const roleAtt = res.Properties?.RoleArn as { 'Fn::GetAtt'?: [string, string] } | undefined;
    const roleLogicalId = roleAtt?.['Fn::GetAtt']?.[0];
    if (!roleLogicalId) throw new Error(`state machine ${id} has no role of this template`);
    stateMachines.push({ logicalId: id, arn: r.ref(id), roleLogicalId });
  }

  const keyPolicies = new Map<string, PolicyDocument>();
  const topicPolicies = new Map<string, PolicyDocument>();
  const topicKeys = new Map<string, string>();
  for (const [id, res] of resources) {
    const props = res.Properties ?? {};
    if (res.Type === 'AWS::KMS::Key') {
      // KMS developer guide, "Default key policy": a key created without a policy gets one that
      // allows the account (and so its IAM policies) kms:*.
      const doc = props.KeyPolicy
        ? asDocument(r.resolve(props.KeyPolicy))
        : { Version: '2012-10-17', Statement: [{ Effect: 'Allow' as const, Principal: { AWS: `arn:${r.env.partition}:iam::${r.env.account}:root` }, Action: 'kms:*', Resource: '*' }] };
      keyPolicies.set(r.getAtt(id, 'Arn'), doc);
      collectConditionKeys(doc, conditionKeys);
    } else if (res.Type === 'AWS::SNS::TopicPolicy') {
      const doc = asDocument(r.resolve(props.PolicyDocument ?? null));
      collectConditionKeys(doc, conditionKeys);
      for (const topic of (r.resolve(props.Topics ?? []) as Json[]).map((t) => r.scalar(t))) {
        const existing = topicPolicies.get(topic);
        topicPolicies.set(topic, { Version: '2012-10-17', Statement: [...(existing?.Statement ?? []), ...doc.Statement] });
      }
    } else if (res.Type === 'AWS::SNS::Topic' && props.KmsMasterKeyId !== undefined) {
      const key = r.scalar(r.resolve(props.KmsMasterKeyId));
      // A key id, alias or ARN may be given; the template's own keys resolve to their ARN.
      topicKeys.set(r.getAtt(id, 'TopicArn'), key.startsWith('arn:') ? key : `arn:${r.env.partition}:kms:${r.env.region}:${r.env.account}:${key.startsWith('alias/') ? key : `key/${key}`}`);
    }
  }
  return { env: r.env, roles, lambdas, stateMachines, keyPolicies, topicPolicies, topicKeys, conditionKeys };
}

/**
 * The Lambda a name designates: its deployed name or ARN, its logical id, or the name the drill
 * invokes it by (`dr-cutover-<functions folder>`, e.g. `dr-cutover-preflight`, `dr-cutover-slack-notifier`).
 */
export function findLambda(policies: ResolvedPolicies, name: string): LambdaBinding | undefined {
  const byStep = /^dr-cutover-(.+)$/.exec(name)?.[1];
  return (
    policies.lambdas.find((l) => l.functionName === name || l.functionArn === name || l.logicalId === name) ??
    (byStep ? policies.lambdas.find((l) => l.step === byStep) : undefined)
  );
}
