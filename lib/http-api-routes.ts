import { Duration, Validations } from 'aws-cdk-lib';
import * as apigatewayv2 from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import { Construct } from 'constructs';
import {
  type ApiRoute,
  assertUsableRoutes,
  CORS_PREFLIGHT_INTEGRATION,
  isCorsPreflightRoute,
  withCorsPreflightRoutes,
} from './api-routes.ts';
import { type CorsOptions, type CorsSettings, resolveCorsSettings } from './cors.ts';
import { type FunctionLogGroupOptions, functionLogGroup, functionRole, nodeFunction } from './lambda-defaults.ts';

/** What serves the routes of one integration key. */
export interface HttpRouteTarget {
  readonly integration: apigatewayv2.HttpRouteIntegration;
  /** Why its public routes answer without a token (cdk-nag acknowledgements). @default a generic reason */
  readonly publicReason?: string;
}

/** Properties of {@link HttpApiRoutes}. */
export interface HttpApiRoutesProps {
  readonly api: apigatewayv2.HttpApi;
  /** The route definition. */
  readonly routes: readonly ApiRoute[];
  /** What serves each route, by its `integration` key ({@link CORS_PREFLIGHT_INTEGRATION} is the construct's). */
  readonly integrations: Readonly<Record<string, apigatewayv2.HttpRouteIntegration | HttpRouteTarget>>;
  /** The token authorizer of every route but the public ones (`TokenAuthorizer.httpAuthorizer`). */
  readonly authorizer: apigatewayv2.IHttpRouteAuthorizer;
  /**
   * Browser clients: the API's CORS configuration (API Gateway answers preflights that match no
   * route and adds the headers to integration responses), and a public `OPTIONS` route on every
   * route's path, served by a function that answers 204 and reaches nothing, so a preflight never
   * meets an `ANY` or greedy route's authorizer. The API must not have a CORS configuration of its own.
   * @default no CORS
   */
  readonly cors?: CorsOptions;
  /** The preflight function's log group. @default a new one, retained, one month */
  readonly corsPreflightLogGroup?: FunctionLogGroupOptions;
}

/**
 * The routes of a route definition on an HTTP API: each token route behind the token authorizer;
 * each public route without authorizer on an integration of its own (no token route may share it,
 * so nothing unauthenticated reaches a token route's backend); with `cors`, the API's CORS
 * configuration and a public `OPTIONS` route per path.
 *
 * Why both: "If you configure CORS for an API, API Gateway automatically sends a response to
 * preflight OPTIONS requests, even if there isn't an OPTIONS route configured for your API. For a
 * CORS request, API Gateway adds the configured CORS headers to the response from an integration"
 * — but route selection comes first: "The `$default` route catches requests for all methods and
 * routes that you haven't explicitly defined, including `OPTIONS` requests. To support
 * unauthorized `OPTIONS` requests, add an `OPTIONS /{proxy+}` route to your API that doesn't
 * require authorization and attach an integration to the route"
 * (https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-cors.html), and public
 * reports show the same for `ANY` routes with an authorizer (the preflight meets the authorizer, a
 * 401 without a token). An exact method beats `ANY` on its path, so every path's own `OPTIONS`
 * route takes its preflights; the CORS configuration gives the answer its headers.
 */
export class HttpApiRoutes extends Construct {
  /** The route definition as deployed: the given routes and, with CORS, the preflight routes. */
  public readonly routes: readonly ApiRoute[];
  /** The CORS settings in force, defaults filled in; undefined without CORS. */
  public readonly cors?: CorsSettings;
  /** The function of the preflight routes; only with CORS. */
  public readonly corsPreflightFunction?: lambda.Function;
  /** Each route, by its route key (`"GET /claims"`). */
  public readonly httpRoutes: Readonly<Record<string, apigatewayv2.HttpRoute>>;

  constructor(scope: Construct, id: string, props: HttpApiRoutesProps) {
    super(scope, id);
    const cors = props.cors && resolveCorsSettings(props.cors, props.routes);
    this.cors = cors;
    this.routes = cors === undefined ? props.routes : withCorsPreflightRoutes(props.routes);
    assertUsableRoutes(this.routes, 'HttpApiRoutes');

    let preflight: apigatewayv2.HttpRouteIntegration | undefined;
    if (cors !== undefined) {
      const cfnApi = props.api.node.defaultChild as apigatewayv2.CfnApi;
      if (cfnApi.corsConfiguration !== undefined) {
        throw new Error('HttpApiRoutes: the API already has a CORS configuration; give it through cors instead');
      }
      cfnApi.corsConfiguration = {
        allowOrigins: [...cors.allowOrigins],
        allowMethods: [...cors.allowMethods],
        allowHeaders: [...cors.allowHeaders],
        ...(cors.exposeHeaders.length > 0 ? { exposeHeaders: [...cors.exposeHeaders] } : {}),
        allowCredentials: cors.allowCredentials,
        maxAge: cors.maxAgeSeconds,
      };
      const logGroup = functionLogGroup(
        this,
        'CorsPreflightLogGroup',
        'HttpApiRoutes',
        props.corsPreflightLogGroup ?? {},
      );
      this.corsPreflightFunction = nodeFunction(this, 'CorsPreflightFunction', {
        asset: 'cors-preflight',
        description: 'CORS preflight routes of the HTTP API (public): answers 204, reaches nothing',
        memorySize: 128,
        timeout: Duration.seconds(3),
        role: functionRole(this, 'CorsPreflightRole', logGroup, 'CORS preflight: writes its own logs only'),
        logGroup,
        environment: {},
      });
      preflight = new HttpLambdaIntegration('CorsPreflightIntegration', this.corsPreflightFunction);
    }

    const httpRoutes: Record<string, apigatewayv2.HttpRoute> = {};
    for (const route of this.routes) {
      const routeKey = `${route.method} ${route.path}`;
      const isPublic = route.authorization === 'none';
      const target: HttpRouteTarget = isCorsPreflightRoute(route)
        ? {
            integration: preflight as apigatewayv2.HttpRouteIntegration,
            publicReason:
              'CORS preflight: browsers send it without credentials ("a CORS-preflight request never includes credentials", ' +
              'Fetch standard), so it cannot carry a token. Its function answers 204 and reaches nothing.',
          }
        : targetOf(props.integrations, route);
      const [added] = props.api.addRoutes({
        path: route.path,
        methods: [route.method as apigatewayv2.HttpMethod],
        integration: target.integration,
        authorizer: isPublic ? new apigatewayv2.HttpNoneAuthorizer() : props.authorizer,
      });
      if (added === undefined) throw new Error(`HttpApiRoutes: ${routeKey} was not added`);
      if (isPublic) {
        Validations.of(added).acknowledge({
          id: 'AwsSolutions-APIG4',
          reason:
            target.publicReason ??
            `${routeKey} is a public route of the route definition, answered by its own integration, which no token route uses.`,
        });
      }
      httpRoutes[routeKey] = added;
    }
    this.httpRoutes = httpRoutes;
  }
}

function targetOf(integrations: HttpApiRoutesProps['integrations'], route: ApiRoute): HttpRouteTarget {
  if (route.integration === CORS_PREFLIGHT_INTEGRATION) {
    throw new Error(`HttpApiRoutes: ${route.method} ${route.path} may not use ${CORS_PREFLIGHT_INTEGRATION}`);
  }
  const target = integrations[route.integration];
  if (target === undefined) {
    throw new Error(`HttpApiRoutes: no integration '${route.integration}' for ${route.method} ${route.path}`);
  }
  return target instanceof apigatewayv2.HttpRouteIntegration ? { integration: target } : target;
}
