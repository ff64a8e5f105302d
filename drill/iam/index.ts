export { IamAuthorizer, defaultSecretArn, type AuthorizeCallInput, type IamAuthorizerOptions, type IamAuthorizerStats, type IamDecision } from './authorizer';
export { findLambda, localKeyId, resolvePolicies, TemplateResolver, type LambdaBinding, type PolicyDocument, type ResolvedPolicies, type RolePolicies } from './policies';
export { authorizationsFor, normalizeRecordName, UnmodelledCommandError, type AuthorizationRequest, type AwsCall, type RequestScope } from './requests';
