import { pathToFileURL } from 'node:url';

/** The Lambda entry's `handler`, as API Gateway calls it. */
export type LambdaHandler = (event: unknown) => Promise<unknown>;

/**
 * A separate instance of the authorizer's bundle (`bundle`: lambda/authorizer/handler.ts bundled as
 * the construct bundles it; its own module state, as a separate Lambda instance would have),
 * initialised from `env` as Lambda would: the environment is set before the module loads, whose
 * init (config, secret, JWKS) ends before the import does; the warm-up event is its first.
 */
export async function loadAuthorizerHandler(
  bundle: string,
  instance: string,
  env: Readonly<Record<string, string>>,
  warmUpEvent: unknown,
): Promise<LambdaHandler> {
  Object.assign(process.env, env);
  const module = (await import(`${pathToFileURL(bundle).href}?instance=${encodeURIComponent(instance)}`)) as {
    handler: LambdaHandler;
  };
  await module.handler(warmUpEvent);
  return module.handler;
}
