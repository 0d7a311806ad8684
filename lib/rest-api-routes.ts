import { Duration, Validations } from 'aws-cdk-lib';
import * as apigateway from 'aws-cdk-lib/aws-apigateway';
import { Construct } from 'constructs';
import {
  type ApiRoute,
  assertUsableRoutes,
  CORS_PREFLIGHT_INTEGRATION,
  isCorsPreflightRoute,
  pathSegments,
  withCorsPreflightRoutes,
} from './api-routes.ts';
import { type CorsOptions, type CorsSettings, resolveCorsSettings } from './cors.ts';
import { type RestChallengeOptions, restGatewayResponses } from './rest-gateway-responses.ts';

/** What serves the routes of one integration key, with the method settings those routes get. */
export interface RestRouteTarget {
  readonly integration: apigateway.Integration;
  /**
   * Method settings of its routes (request validators and parameters, method responses). The
   * authorization settings are the construct's: the token authorizer, or none on public routes.
   * @default none
   */
  readonly methodOptions?: Omit<
    apigateway.MethodOptions,
    'authorizer' | 'authorizationType' | 'authorizationScopes' | 'apiKeyRequired'
  >;
  /** Why its public routes answer without a token (cdk-nag acknowledgements). @default a generic reason */
  readonly publicReason?: string;
}

/** Properties of {@link RestApiRoutes}. */
export interface RestApiRoutesProps {
  /** The API (a `RestApi` or `SpecRestApi`). */
  readonly api: apigateway.RestApiBase;
  /** The route definition. */
  readonly routes: readonly ApiRoute[];
  /** What serves each route, by its `integration` key ({@link CORS_PREFLIGHT_INTEGRATION} is the construct's). */
  readonly integrations: Readonly<Record<string, apigateway.Integration | RestRouteTarget>>;
  /** The token authorizer of every route but the public ones (`TokenAuthorizer.restAuthorizer`). */
  readonly authorizer: apigateway.IAuthorizer;
  /**
   * Method settings of every token route (a request validator, required parameters), before the
   * integration's own. @default none
   */
  readonly tokenMethodOptions?: RestRouteTarget['methodOptions'];
  /**
   * Browser clients: a public `OPTIONS` method on every route's resource, answered by a MOCK
   * integration, and the CORS headers on the gateway responses when {@link gatewayResponses} is set.
   * Actual requests go through proxy integrations, whose backends add `Access-Control-Allow-Origin`
   * themselves (API Gateway adds nothing to a proxy response). @default no CORS
   */
  readonly cors?: CorsOptions;
  /**
   * The authorizer's 401, 403 and 500 answers as gateway responses (`restGatewayResponses`), with
   * the CORS headers when {@link cors} is set. @default API Gateway's own answers
   */
  readonly gatewayResponses?: Omit<RestChallengeOptions, 'cors'>;
}

/**
 * The routes of a route definition on a REST API: each token route a method behind the token
 * authorizer; each public route a method without authorization on an integration of its own (no
 * token route may share it, so nothing unauthenticated reaches a token route's backend); with
 * `cors`, a public `OPTIONS` method on every route's resource whose MOCK integration answers the
 * preflight in API Gateway and reaches nothing, as `addCorsPreflight` of aws-cdk-lib builds it
 * ("a REST API resource needs to implement an `OPTIONS` method that can respond to the `OPTIONS`
 * preflight request"; "For a mock integration, you enable CORS by creating an `OPTIONS` method to
 * return the required response headers" —
 * https://docs.aws.amazon.com/apigateway/latest/developerguide/how-to-cors.html). An `OPTIONS`
 * method beats an `ANY` method on its resource ("`ANY` … will catch any HTTP method that wasn't
 * explicitly declared").
 */
export class RestApiRoutes extends Construct {
  /** The route definition as deployed: the given routes and, with CORS, the preflight routes. */
  public readonly routes: readonly ApiRoute[];
  /** The CORS settings in force, defaults filled in; undefined without CORS. */
  public readonly cors?: CorsSettings;
  /** Each route's method, by `"<METHOD> <path>"`. */
  public readonly methods: Readonly<Record<string, apigateway.Method>>;

  constructor(scope: Construct, id: string, props: RestApiRoutesProps) {
    super(scope, id);
    const cors = props.cors && resolveCorsSettings(props.cors, props.routes);
    this.cors = cors;
    this.routes = cors === undefined ? props.routes : withCorsPreflightRoutes(props.routes);
    assertUsableRoutes(this.routes, 'RestApiRoutes');
    const methods: Record<string, apigateway.Method> = {};
    for (const route of this.routes) {
      const resource = pathSegments(route.path).reduce<apigateway.IResource>(
        (parent, segment) => parent.getResource(segment) ?? parent.addResource(segment),
        props.api.root,
      );
      const key = `${route.method} ${route.path}`;
      if (isCorsPreflightRoute(route)) {
        methods[key] = this.addPreflight(resource, cors as CorsSettings);
        continue;
      }
      const target = targetOf(props.integrations, route);
      if (route.authorization === 'none') {
        const method = resource.addMethod(route.method, target.integration, {
          ...target.methodOptions,
          authorizationType: apigateway.AuthorizationType.NONE,
        });
        acknowledgePublic(
          method,
          target.publicReason ??
            `${route.method} ${route.path} is a public route of the route definition, answered by its own integration, which no token route uses.`,
        );
        methods[key] = method;
        continue;
      }
      methods[key] = resource.addMethod(route.method, target.integration, {
        ...props.tokenMethodOptions,
        ...target.methodOptions,
        authorizationType: apigateway.AuthorizationType.CUSTOM,
        authorizer: props.authorizer,
      });
    }
    this.methods = methods;

    if (props.gatewayResponses !== undefined) {
      for (const response of restGatewayResponses({ ...props.gatewayResponses, ...(cors ? { cors } : {}) })) {
        props.api.addGatewayResponse(response.type, {
          type: apigateway.ResponseType.of(response.type),
          ...(response.statusCode === undefined ? {} : { statusCode: String(response.statusCode) }),
          responseHeaders: Object.fromEntries(
            Object.entries(response.headers).map(([name, value]) => [name, `'${value.replaceAll("'", "\\'")}'`]),
          ),
          templates: { 'application/json': response.bodyTemplate },
        });
      }
    }
  }

  /**
   * aws-cdk-lib's `addCorsPreflight`: a MOCK integration (request template `{ statusCode: 200 }`),
   * 204 with the `Access-Control-*` headers as literals, the first origin in
   * `Access-Control-Allow-Origin` and any other allowed origin set by a response template through
   * `$context.responseOverride.header.Access-Control-Allow-Origin` when it equals the request's
   * `Origin`; no authorizer whatever the defaults.
   */
  private addPreflight(resource: apigateway.IResource, cors: CorsSettings): apigateway.Method {
    const method = resource.addCorsPreflight({
      allowOrigins: [...cors.allowOrigins],
      allowMethods: [...cors.allowMethods],
      allowHeaders: [...cors.allowHeaders],
      ...(cors.exposeHeaders.length > 0 ? { exposeHeaders: [...cors.exposeHeaders] } : {}),
      allowCredentials: cors.allowCredentials,
      maxAge: Duration.seconds(cors.maxAgeSeconds),
      statusCode: 204,
    });
    // cdk-nag's AwsSolutions-APIG4 and -COG4 pass an OPTIONS method whose 204 answers CORS headers.
    return method;
  }
}

function targetOf(integrations: RestApiRoutesProps['integrations'], route: ApiRoute): RestRouteTarget {
  if (route.integration === CORS_PREFLIGHT_INTEGRATION) {
    throw new Error(`RestApiRoutes: ${route.method} ${route.path} may not use ${CORS_PREFLIGHT_INTEGRATION}`);
  }
  const target = integrations[route.integration];
  if (target === undefined) {
    throw new Error(`RestApiRoutes: no integration '${route.integration}' for ${route.method} ${route.path}`);
  }
  return target instanceof apigateway.Integration ? { integration: target } : target;
}

function acknowledgePublic(method: apigateway.Method, reason: string): void {
  Validations.of(method).acknowledge(
    { id: 'AwsSolutions-APIG4', reason },
    { id: 'AwsSolutions-COG4', reason: `Public by design; see AwsSolutions-APIG4. ${reason}` },
  );
}
