import { type App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { type ExampleAppConfig, readExampleAppConfig } from './example-config.ts';
import { GatewayStack } from './gateway-stack.ts';

/** The example app's stacks: one per region, the home region's first (it owns the table). */
export interface ExampleApp {
  readonly config: ExampleAppConfig;
  readonly home: GatewayStack;
  readonly stacks: readonly GatewayStack[];
}

/**
 * Adds the example gateway to `app`: one {@link GatewayStack} per configured region, settings
 * from context with demo defaults. Other regions deploy after the home region (its table and
 * replicas must exist before their authorizers read them). cdk-nag's AwsSolutions pack runs at
 * synth unless `nag` is false.
 */
export function buildExampleApp(app: App, options: { readonly nag?: boolean } = {}): ExampleApp {
  const config = readExampleAppConfig(app.node);
  const stacks = config.regions.map(
    (region) =>
      new GatewayStack(app, `${config.stackPrefix}-${region}`, {
        env: { account: config.account, region },
        description: `Opaque-token gateway in ${region}${region === config.homeRegion ? ' (home region: split-token table)' : ''}`,
        config,
      }),
  );
  const [home, ...others] = stacks;
  if (!home) throw new Error('buildExampleApp: no regions configured');
  for (const stack of others)
    stack.addStackDependency(home, 'the global table and its replicas are created in the home region');
  if (options.nag ?? true) Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  return { config, home, stacks };
}
