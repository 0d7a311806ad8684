/**
 * Stands in for `@aws-sdk/client-dynamodb` in `lambda/authorizer.ts` when the bench bundles the
 * SigV4 wiring: it only carries the region and endpoint the composition root gives the client.
 */
export class DynamoDBClient {
  readonly config: { readonly region?: string; readonly endpoint?: string };

  constructor(config: { readonly region?: string; readonly endpoint?: string }) {
    this.config = config;
  }
}
