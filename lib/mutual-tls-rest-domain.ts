import * as apigateway from 'aws-cdk-lib/aws-apigateway';
import type * as acm from 'aws-cdk-lib/aws-certificatemanager';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';

/** Properties of a {@link MutualTlsRestDomain}. */
export interface MutualTlsRestDomainProps {
  /** The REST API served on the domain; its execute-api endpoint is disabled. */
  readonly restApi: apigateway.RestApi;
  /** The custom domain, e.g. `api.example.com`. */
  readonly domainName: string;
  /** An ACM certificate for the domain, in the stack's region. */
  readonly certificate: acm.ICertificate;
  /**
   * The truststore: a PEM bundle in S3 with the CA chain(s) client certificates must chain to
   * (at most four certificates deep).
   */
  readonly truststoreBucket: s3.IBucket;
  /** The truststore object's key. */
  readonly truststoreKey: string;
  /**
   * The truststore object's S3 version (turn versioning on; a new version needs a new value).
   *
   * @default - the latest version at deployment
   */
  readonly truststoreVersion?: string;
  /**
   * The base path the API is mapped under on the domain.
   *
   * @default - the domain's root
   */
  readonly basePath?: string;
}

/**
 * A regional custom domain with mutual TLS (TLS 1.2) for a REST API: API Gateway checks the client
 * certificate against the truststore during the handshake and hands it to REQUEST authorizers
 * (`requestContext.identity.clientCert`), which is what makes certificate-bound tokens (RFC 8705)
 * verifiable. The API's default `execute-api` endpoint is disabled: clients could otherwise call
 * the same API without a certificate. HTTP APIs support mutual TLS on custom domains too, but this
 * project's HTTP API has no mTLS domain construct.
 */
export class MutualTlsRestDomain extends Construct {
  public readonly domain: apigateway.DomainName;
  /** `https://<domain>[/<basePath>]`: the API's URL on the domain. */
  public readonly url: string;

  constructor(scope: Construct, id: string, props: MutualTlsRestDomainProps) {
    super(scope, id);
    this.domain = new apigateway.DomainName(this, 'Domain', {
      domainName: props.domainName,
      certificate: props.certificate,
      endpointType: apigateway.EndpointType.REGIONAL,
      securityPolicy: apigateway.SecurityPolicy.TLS_1_2,
      mtls: {
        bucket: props.truststoreBucket,
        key: props.truststoreKey,
        ...(props.truststoreVersion === undefined ? {} : { version: props.truststoreVersion }),
      },
    });
    this.domain.addBasePathMapping(props.restApi, {
      ...(props.basePath === undefined ? {} : { basePath: props.basePath }),
    });
    // "To ensure that clients can access your API only by using a custom domain name with mutual
    // TLS, disable the default execute-api endpoint" (API Gateway developer guide, mutual TLS).
    (props.restApi.node.defaultChild as apigateway.CfnRestApi).disableExecuteApiEndpoint = true;
    this.url = `https://${props.domainName}${props.basePath === undefined ? '' : `/${props.basePath}`}`;
  }
}
