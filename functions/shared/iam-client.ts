import { Sha256 } from '@aws-crypto/sha256-js';
import { fromNodeProviderChain } from '@aws-sdk/credential-providers';
import { HttpRequest } from '@smithy/protocol-http';
import { SignatureV4 } from '@smithy/signature-v4';
import type { AwsCredentials } from './eks';

/**
 * The one IAM operation the steps call: `SimulatePrincipalPolicy`, in the shape of the AWS SDK v3
 * (`IAMClient`, `SimulatePrincipalPolicyCommand`, `*CommandInput`/`*CommandOutput`), so tests and the
 * drill answer it at command level with aws-sdk-client-mock as they answer every other call.
 *
 * IAM is a Query API on the global endpoint `https://iam.amazonaws.com/`, signed with SigV4 for
 * `us-east-1` and service `iam` (IAM API reference, "Making Query requests"; Version 2010-05-08).
 */

/** IAM API reference, ContextEntry: ContextKeyName, ContextKeyValues and ContextKeyType. */
export interface ContextEntry {
  ContextKeyName: string;
  ContextKeyValues: string[];
  ContextKeyType: 'string' | 'stringList' | 'numeric' | 'numericList' | 'boolean' | 'booleanList' | 'ip' | 'ipList' | 'binary' | 'binaryList' | 'date' | 'dateList';
}

/** IAM API reference, SimulatePrincipalPolicy request parameters (the ones the steps use). */
export interface SimulatePrincipalPolicyCommandInput {
  /** The user, group or role whose policies are simulated: a role ARN, not an assumed-role session ARN. */
  PolicySourceArn: string;
  ActionNames: string[];
  ResourceArns?: string[];
  ContextEntries?: ContextEntry[];
  MaxItems?: number;
  Marker?: string;
}

export type PolicyEvaluationDecisionType = 'allowed' | 'explicitDeny' | 'implicitDeny';

/** IAM API reference, EvaluationResult (the fields the steps read). */
export interface EvaluationResult {
  EvalActionName: string;
  EvalResourceName?: string;
  EvalDecision: PolicyEvaluationDecisionType;
  /** Context keys the policies name that the request did not supply. */
  MissingContextValues?: string[];
}

export interface SimulatePrincipalPolicyCommandOutput {
  EvaluationResults?: EvaluationResult[];
  IsTruncated?: boolean;
  Marker?: string;
}

export class SimulatePrincipalPolicyCommand {
  constructor(readonly input: SimulatePrincipalPolicyCommandInput) {}
}

/** An error IAM answered, shaped like the SDK's ServiceException: `name` is IAM's error Code. */
export class IamServiceError extends Error {
  readonly $fault: 'client' | 'server';
  readonly $metadata: { httpStatusCode: number };
  constructor(name: string, message: string, httpStatusCode: number) {
    super(message);
    this.name = name;
    this.$fault = httpStatusCode >= 500 ? 'server' : 'client';
    this.$metadata = { httpStatusCode };
  }
}

export interface IamClientConfig {
  credentials?: AwsCredentials;
  /** How long one request may take (functions/shared/aws-client.ts), in ms. */
  requestTimeoutMs?: number;
}

const ENDPOINT_HOST = 'iam.amazonaws.com';

/** The Query form of a request: lists as `Name.member.N`, structures as `Name.member.N.Field` (AWS Query protocol). */
export function simulateRequestForm(input: SimulatePrincipalPolicyCommandInput): URLSearchParams {
  const form = new URLSearchParams({ Action: 'SimulatePrincipalPolicy', Version: '2010-05-08', PolicySourceArn: input.PolicySourceArn });
  input.ActionNames.forEach((a, i) => form.append(`ActionNames.member.${i + 1}`, a));
  (input.ResourceArns ?? []).forEach((r, i) => form.append(`ResourceArns.member.${i + 1}`, r));
  (input.ContextEntries ?? []).forEach((entry, i) => {
    const prefix = `ContextEntries.member.${i + 1}`;
    form.append(`${prefix}.ContextKeyName`, entry.ContextKeyName);
    form.append(`${prefix}.ContextKeyType`, entry.ContextKeyType);
    entry.ContextKeyValues.forEach((v, j) => form.append(`${prefix}.ContextKeyValues.member.${j + 1}`, v));
  });
  if (input.MaxItems !== undefined) form.append('MaxItems', String(input.MaxItems));
  if (input.Marker !== undefined) form.append('Marker', input.Marker);
  return form;
}

const decodeXml = (s: string) =>
  s.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&apos;/g, "'").replace(/&amp;/g, '&');

/** The text of the first `<tag>` directly in `xml` (nested containers removed by the caller). */
function field(xml: string, tag: string): string | undefined {
  const m = new RegExp(`<${tag}>([\\s\\S]*?)</${tag}>`).exec(xml);
  return m?.[1] === undefined ? undefined : decodeXml(m[1].trim());
}

/** The `<member>` elements at the top level of a list's content. */
function members(list: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let start = 0;
  const tag = /<(\/?)member>/g;
  for (let m = tag.exec(list); m !== null; m = tag.exec(list)) {
    if (m[1] === '') {
      if (depth === 0) start = m.index + m[0].length;
      depth++;
    } else {
      depth--;
      if (depth === 0) out.push(list.slice(start, m.index));
    }
  }
  return out;
}

/** Containers inside an EvaluationResult whose own fields must not be read as the result's. */
const NESTED = ['MatchedStatements', 'ResourceSpecificResults', 'EvalDecisionDetails', 'OrganizationsDecisionDetail', 'PermissionsBoundaryDecisionDetail'];

/** Parses a SimulatePrincipalPolicyResponse (IAM API reference, SimulatePrincipalPolicy, "Response Elements"). */
export function parseSimulateResponse(xml: string): SimulatePrincipalPolicyCommandOutput {
  const list = /<EvaluationResults>([\s\S]*)<\/EvaluationResults>/.exec(xml)?.[1] ?? '';
  const results = members(list).map((member): EvaluationResult => {
    const missing = /<MissingContextValues>([\s\S]*?)<\/MissingContextValues>/.exec(member)?.[1];
    const flat = NESTED.reduce((s, tag) => s.replace(new RegExp(`<${tag}>[\\s\\S]*?</${tag}>`, 'g'), ''), member);
    const decision = field(flat, 'EvalDecision');
    return {
      EvalActionName: field(flat, 'EvalActionName') ?? '',
      EvalResourceName: field(flat, 'EvalResourceName'),
      EvalDecision: decision === 'allowed' || decision === 'explicitDeny' ? decision : 'implicitDeny',
      ...(missing ? { MissingContextValues: members(missing).map((v) => decodeXml(v.trim())) } : {}),
    };
  });
  const outside = xml.replace(/<EvaluationResults>[\s\S]*<\/EvaluationResults>/, '');
  const marker = field(outside, 'Marker');
  return { EvaluationResults: results, IsTruncated: field(outside, 'IsTruncated') === 'true', ...(marker ? { Marker: marker } : {}) };
}

/** A minimal IAM client: SigV4-signed Query requests to the global endpoint. */
export class IAMClient {
  private readonly signer: SignatureV4;
  constructor(private readonly config: IamClientConfig = {}) {
    this.signer = new SignatureV4({ credentials: config.credentials ?? fromNodeProviderChain(), region: 'us-east-1', service: 'iam', sha256: Sha256 });
  }

  async send(command: SimulatePrincipalPolicyCommand): Promise<SimulatePrincipalPolicyCommandOutput> {
    const body = simulateRequestForm(command.input).toString();
    const request = new HttpRequest({
      method: 'POST',
      protocol: 'https:',
      hostname: ENDPOINT_HOST,
      path: '/',
      headers: { host: ENDPOINT_HOST, 'content-type': 'application/x-www-form-urlencoded; charset=utf-8' },
      body,
    });
    const signed = await this.signer.sign(request);
    let response: Response;
    try {
      response = await fetch(`https://${ENDPOINT_HOST}/`, {
        method: 'POST',
        headers: signed.headers,
        body,
        signal: AbortSignal.timeout(this.config.requestTimeoutMs ?? 10_000),
      });
    } catch (error) {
      // A timeout (TimeoutError) or a broken connection: worth another try, like the SDK's own retries.
      throw Object.assign(new Error(`IAM could not be reached: ${error instanceof Error ? error.message : String(error)}`, { cause: error }), {
        name: error instanceof Error && error.name === 'TimeoutError' ? 'TimeoutError' : 'NetworkingError',
        $retryable: {},
      });
    }
    const text = await response.text();
    if (!response.ok) {
      // Query API errors: <ErrorResponse><Error><Code>…</Code><Message>…</Message></Error></ErrorResponse>
      throw new IamServiceError(field(text, 'Code') ?? `HTTP${response.status}`, field(text, 'Message') ?? text.slice(0, 200), response.status);
    }
    return parseSimulateResponse(text);
  }
}
