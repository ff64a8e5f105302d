import { currentInvocation, type Invocation } from '../invocation';
import type { IamAuthorizer } from '../iam';

/**
 * IAM in front of the world: every AWS call is authorized for the Lambda that sends it (its
 * invocation names the function, so its execution role) before the world answers it, as AWS
 * authorizes each request by the credentials that signed it.
 */

/** A call or a Task invocation IAM refused. */
export interface IamDenial {
  /** The Lambda (its drill name, `dr-cutover-<step>`) or the state machine whose role was refused. */
  caller: string;
  /** The refused function's deployed name (or the state machine's ARN). */
  deployedName: string;
  action: string;
  resource: string;
  principal: string;
  /** The error the caller got: the SDK's AccessDenied-style error, or `Lambda.AWSLambdaException` for a Task. */
  error: string;
  message: string;
  /** The invocation that sent the call (for a Task: the execution and state that invoked it). */
  executionId: string | null;
  state: string | null;
  /** The SDK command refused, or `Invoke` for a Task's function. */
  command: string;
}

/**
 * A call the world cannot attribute to any Lambda invocation (test code calling the world directly,
 * or work that lost its invocation's context). With IAM enforced the drill cannot tell whose role
 * sends it, so it is refused rather than allowed.
 */
export class UnattributedCallError extends Error {
  override name = 'UnattributedCallError';
}

/** A refused decision as the drill records it: who was refused what, where, and in which execution and state. */
export function denialOf(
  decision: { caller: string; action: string; resource: string; principal: string; error: Error },
  at: { caller: string; executionId: string | null; state: string | null; command: string },
): IamDenial {
  return {
    caller: at.caller,
    deployedName: decision.caller,
    action: decision.action,
    resource: decision.resource,
    principal: decision.principal,
    error: decision.error.name,
    message: decision.error.message,
    executionId: at.executionId,
    state: at.state,
    command: at.command,
  };
}

export type AuthorizeResult = { allowed: true } | { allowed: false; denial: IamDenial; error: Error };

/** How the world authorizes each call: by the calling Lambda's role, with the authorizer of the drilled template. */
export interface CallAuthorizer {
  authorize(call: { command: string; input: unknown; region: string }): Promise<AuthorizeResult>;
}

/** Authorizes every call for the Lambda whose invocation sends it; a call outside any invocation throws UnattributedCallError. */
export function iamCallAuthorizer(authorizer: IamAuthorizer): CallAuthorizer {
  return {
    async authorize(call) {
      const invocation: Invocation | undefined = currentInvocation();
      if (!invocation) {
        throw new UnattributedCallError(
          `${call.command} (${call.region}) was sent outside any Lambda invocation, so the drill cannot tell which role sends it; run the caller within withinInvocation()`,
        );
      }
      const decision = await authorizer.authorizeCall({ functionName: invocation.functionName, command: call.command, input: call.input, region: call.region });
      if (decision.allowed) return { allowed: true };
      return {
        allowed: false,
        error: decision.error,
        denial: denialOf(decision, { caller: invocation.functionName, executionId: invocation.executionId, state: invocation.state, command: call.command }),
      };
    },
  };
}
