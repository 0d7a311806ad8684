/** Region every local part pretends to be in. */
export const BENCH_REGION = 'us-east-1';
export const TABLE_NAME = 'split-tokens';
/** The route every bench request is for, and the scope it needs. */
export const ROUTE = { method: 'GET', path: '/orders' } as const;
export const ROUTE_SCOPES = [
  { method: 'GET', path: '/orders', scopes: ['orders:read'] },
  { method: 'POST', path: '/orders', scopes: ['orders:write'] },
] as const;
/** What dynalite accepts as credentials (it checks none); the same as local/dynamodb-client.ts. */
export const BENCH_CREDENTIALS = { accessKeyId: 'local', secretAccessKey: 'local' } as const;
