/** The Lambda entry's `handler`, as API Gateway calls it. */
export type LambdaHandler = (event: unknown) => Promise<unknown>;

const AUTHORIZER_HANDLER = new URL('../../lambda/authorizer-handler.ts', import.meta.url).href;

/**
 * A separate instance of `lambda/authorizer-handler.ts` (its own module state, as a separate Lambda
 * instance would have), initialised from `env` as Lambda would: the environment is set before the
 * module loads, and the first call waits for the init (config, secret) to finish.
 */
export async function loadAuthorizerHandler(
  instance: string,
  env: Readonly<Record<string, string>>,
  warmUpEvent: unknown,
): Promise<LambdaHandler> {
  Object.assign(process.env, env);
  const module = (await import(`${AUTHORIZER_HANDLER}?instance=${encodeURIComponent(instance)}`)) as {
    handler: LambdaHandler;
  };
  await module.handler(warmUpEvent);
  return module.handler;
}
