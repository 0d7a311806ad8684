/**
 * Everything the in-process sections time, ours and the limits alike. The bench does not run it
 * from source: {@link ./measured-bundle.ts} bundles this file as the Lambda bundles its code
 * (esbuild, minified, build/lambda-esbuild-options.ts) and the sections use that bundle, so what is timed is
 * the code that ships, not its development build (tsx keeps every function's name, a property
 * definition per closure created: a cost no deployed function pays).
 */
export { AuthorizerAnswers } from '../../lambda/adapters/api-gateway/authorizer-answer.ts';
export { readAuthorizerEvent } from '../../lambda/adapters/api-gateway/authorizer-event.ts';
export { HttpIntrospector } from '../../lambda/adapters/http-introspector.ts';
export { nodeJoseCrypto } from '../../lambda/adapters/node-crypto.ts';
export { NodeHttpClient } from '../../lambda/adapters/node-http-client.ts';
export { SigV4DynamoDbProofReplayTable } from '../../lambda/adapters/sigv4-dynamodb-proof-replay-table.ts';
export { DpopProofVerifier } from '../../lambda/core/dpop-proof.ts';
export { fetchHttpClient } from '../../lambda/core/http-client.ts';
export { JwtVerifier } from '../../lambda/core/jwt-verifier.ts';
export { MemoryProofReplayCache } from '../../lambda/core/proof-replay.ts';
export { hashToken } from '../../lambda/core/token-hash.ts';
export { rawAgents, rawRequest } from './raw-https.ts';
export { RawJwtVerifier } from './raw-jwt.ts';
export { signDynamoDbRequest } from './raw-sigv4.ts';
export { benchTokenStore, createBenchResolver, expectAllow } from './resolver.ts';
