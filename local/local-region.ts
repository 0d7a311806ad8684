import type { JsonLog } from '../lambda/adapters/json-log.ts';
import { SigV4DynamoDbTokenStore } from '../lambda/adapters/sigv4-dynamodb-token-store.ts';
import { createAuthorizer } from '../lambda/authorizer/authorizer.ts';
import type { AuthorizerConfig } from '../lambda/authorizer/config.ts';
import type { TokenStore } from '../lambda/core/ports.ts';
import { LOCAL_CREDENTIALS } from './dynamodb-client.ts';
import { startDynamoDbServer } from './dynamodb-server.ts';
import { type LocalGateway, type LocalGatewayOptions, startLocalGateway } from './local-gateway.ts';
import type { OutageSwitch } from './loopback-http.ts';
import { createTokenTable } from './token-table.ts';

/** The gateway settings every region shares: everything but the port, the authorizer and the flush. */
export type RegionGatewayOptions = Omit<LocalGatewayOptions, 'port' | 'authorizer' | 'flush' | 'mutualTls'>;

/** Options for {@link startLocalRegion}. */
export interface LocalRegionOptions {
  /** The region's name, e.g. `eu-west-1`: the table's signing region, and the name the ready line shows. */
  readonly region: string;
  /** Gateway port on 127.0.0.1. @default 0 (a free port) */
  readonly port?: number;
  /** The token table every replica holds. */
  readonly table: { readonly tableName: string; readonly keyAttribute: string };
  /**
   * The authorizer's settings; where it reads the table (this region's replica, and the home region
   * with {@link homeTable}) is this function's to set.
   */
  readonly authorizerConfig: AuthorizerConfig;
  /** The gateway's settings, given whether it asks for client certificates. */
  readonly gateway: (mutualTls: boolean) => RegionGatewayOptions;
  /**
   * A second gateway for the same API over HTTPS that asks for client certificates (a custom domain
   * with mutual TLS), invoking the same authorizer. @default none
   */
  readonly mutualTlsGateway?: { readonly key: string; readonly cert: string; readonly clientCa: string };
  /**
   * The home region's table, read after a miss in this region's replica (`TOKEN_TABLE_HOME_REGION`,
   * the `ReplicaFallbackTokenStore`). Not for the home region itself.
   * @default - only this region's replica is read
   */
  readonly homeTable?: { readonly region: string; readonly endpoint: string };
  readonly log: JsonLog;
}

/** One region of the local stack, running. */
export interface LocalRegion {
  readonly region: string;
  /** The gateway (its `url` is the API's invoke URL in this region). */
  readonly gateway: LocalGateway;
  /** The mutual TLS gateway, when one was asked for. */
  readonly mutualTlsGateway?: LocalGateway;
  /** This region's replica of the token table: a dynalite of its own, in memory. */
  readonly table: {
    /** `http://127.0.0.1:PORT` of the replica itself (writes here are not replicated). */
    readonly endpoint: string;
    /** Takes the replica down and back up with its data. */
    readonly outage: OutageSwitch;
  };
  /**
   * The emergency flush in this region: empties the gateway's authorizer result cache and replaces
   * the authorizer with a fresh instance, as a new Lambda configuration version retires warm instances.
   */
  flushAuthorizerCaches(): void;
  /** Stops the gateway, then the replica. Safe to call twice. */
  stop(): Promise<void>;
}

/**
 * Starts one region of the local stack: a dynalite holding this region's replica of the token
 * table, the authorizer reading it (and the home region's table after a miss, when asked), and
 * the local gateway invoking that authorizer. What regions share (the authorization server and its
 * front, the backend) is the caller's; so is getting writes into the replica.
 */
export async function startLocalRegion(options: LocalRegionOptions): Promise<LocalRegion> {
  const { region, log } = options;
  const { tableName, keyAttribute } = options.table;
  const db = await startDynamoDbServer();
  const stoppers: (() => Promise<void>)[] = [() => db.stop()];
  const stopAll = async (): Promise<void> => {
    for (const stop of stoppers.splice(0).reverse()) await stop();
  };
  try {
    await createTokenTable({ endpoint: db.endpoint, tableName, keyAttribute, region });
    const homeTable = options.homeTable?.region === region ? undefined : options.homeTable;
    const config: AuthorizerConfig = {
      ...options.authorizerConfig,
      tokenTableRegion: region,
      tokenTableHomeRegion: homeTable?.region,
      dynamoDbEndpoint: db.endpoint,
    };
    // Each region's table has its own endpoint here (on AWS: dynamodb.<region>.amazonaws.com).
    const endpoints = new Map([[region, db.endpoint]]);
    if (homeTable) endpoints.set(homeTable.region, homeTable.endpoint);
    const tokenStoreFor = (storeRegion: string | undefined): TokenStore => {
      const endpoint = endpoints.get(storeRegion ?? region);
      if (endpoint === undefined) throw new Error(`no local table in ${storeRegion}`);
      return new SigV4DynamoDbTokenStore({
        tableName,
        keyAttribute,
        region: storeRegion ?? region,
        endpoint,
        credentials: LOCAL_CREDENTIALS,
        timeoutMs: config.dynamoDbTimeoutMs,
        consistentRead: config.tokenTableConsistentRead ?? false,
      });
    };
    const newAuthorizer = () =>
      createAuthorizer(config, { log, awsCredentials: LOCAL_CREDENTIALS, awsRegion: region, tokenStoreFor });
    let authorizer = newAuthorizer();
    const gateways: LocalGateway[] = [];
    const flushAuthorizerCaches = (): void => {
      for (const started of gateways) started.authorization.flush();
      authorizer = newAuthorizer();
    };
    const startGateway = async (port: number, mutualTls?: LocalRegionOptions['mutualTlsGateway']) => {
      const started: LocalGateway = await startLocalGateway({
        ...options.gateway(mutualTls !== undefined),
        port,
        authorizer: (event) => authorizer(event),
        flush: () => flushAuthorizerCaches(),
        ...(mutualTls ? { mutualTls } : {}),
      });
      stoppers.push(() => started.stop());
      gateways.push(started);
      return started;
    };
    const gateway = await startGateway(options.port ?? 0);
    const mutualTlsGateway = options.mutualTlsGateway ? await startGateway(0, options.mutualTlsGateway) : undefined;
    let stopping: Promise<void> | undefined;
    return {
      region,
      gateway,
      ...(mutualTlsGateway ? { mutualTlsGateway } : {}),
      table: { endpoint: db.endpoint, outage: db.outage },
      flushAuthorizerCaches,
      stop: () => {
        stopping ??= stopAll();
        return stopping;
      },
    };
  } catch (error) {
    await stopAll();
    throw error;
  }
}
