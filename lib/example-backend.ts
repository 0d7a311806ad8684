import { Duration } from 'aws-cdk-lib';
import type * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import type { CorsSettings } from './cors.ts';
import type { JwtVerificationProps } from './jwt-verification-props.ts';
import { type FunctionLogGroupOptions, functionLogGroup, functionRole, nodeFunction } from './lambda-defaults.ts';

/** Properties of an {@link ExampleBackend}. */
export interface ExampleBackendProps extends FunctionLogGroupOptions, JwtVerificationProps {
  /**
   * `aud` of RFC 9701 introspection answers (the authorizer's introspection client id): phantom
   * tokens reach backends as that signed answer.
   *
   * @default - RFC 9701 answers are refused
   */
  readonly introspectionResponseAudience?: string;
  /**
   * Browser pages behind a REST API: the CORS headers the function adds to its answers (a REST
   * proxy integration passes them on; API Gateway adds none). Behind an HTTP API with a CORS
   * configuration API Gateway replaces them. @default no CORS headers
   */
  readonly cors?: Pick<CorsSettings, 'allowOrigins' | 'exposeHeaders' | 'allowCredentials'>;
}

/**
 * A backend Lambda that trusts nothing: it reads the JWT from the authorizer context and verifies
 * it itself before answering with the claims (`lambda/example-backend/handler.ts`). Its role can
 * only write its own logs.
 */
export class ExampleBackend extends Construct {
  public readonly function: lambda.Function;
  public readonly role: iam.Role;
  public readonly logGroup: logs.ILogGroup;

  constructor(scope: Construct, id: string, props: ExampleBackendProps) {
    super(scope, id);
    this.logGroup = functionLogGroup(this, 'LogGroup', 'ExampleBackend', props);
    this.role = functionRole(this, 'Role', this.logGroup, 'Example backend: writes its own logs only');
    const environment: Record<string, string> = {
      ISSUER: props.issuer,
      JWKS_URI: props.jwksUri,
      AUDIENCE: props.audiences.join(','),
      NODE_OPTIONS: '--enable-source-maps',
    };
    if (props.allowedAlgorithms) environment.ALLOWED_ALGORITHMS = props.allowedAlgorithms.join(',');
    if (props.requiredTokenType) environment.REQUIRED_TOKEN_TYPE = props.requiredTokenType;
    if (props.introspectionResponseAudience) {
      environment.INTROSPECTION_RESPONSE_AUDIENCE = props.introspectionResponseAudience;
    }
    if (props.cors) {
      environment.CORS_ALLOWED_ORIGINS = props.cors.allowOrigins.join(',');
      if (props.cors.exposeHeaders.length > 0) environment.CORS_EXPOSE_HEADERS = props.cors.exposeHeaders.join(',');
      if (props.cors.allowCredentials) environment.CORS_ALLOW_CREDENTIALS = 'true';
    }
    this.function = nodeFunction(this, 'Function', {
      asset: 'example-backend',
      description: 'Example backend: verifies the forwarded JWT itself and returns its claims',
      memorySize: 256,
      timeout: Duration.seconds(10),
      role: this.role,
      logGroup: this.logGroup,
      environment,
    });
  }
}
