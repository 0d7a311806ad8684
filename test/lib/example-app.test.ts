/**
 * `cdk deploy --all` orders stacks by the dependencies the cloud assembly records: the home region's
 * stack (the global table and its replicas) must come before every other region's stack, whose
 * authorizer reads a replica the home stack creates. Read from the synthesized manifest, as the CLI reads it.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App } from 'aws-cdk-lib';
import type { CloudAssembly } from 'aws-cdk-lib/cx-api';
import { describe, expect, it } from 'vitest';
import { buildExampleApp } from '../../lib/example-app.ts';

const OUTDIR = mkdtempSync(join(tmpdir(), 'example-app-test-'));

function synth(context: Record<string, string>): CloudAssembly {
  const app = new App({ outdir: OUTDIR, context });
  buildExampleApp(app, { nag: false });
  return app.synth();
}

/** The stacks each stack depends on, transitively, by the manifest's artifact dependencies. */
function stackDependencies(assembly: CloudAssembly): Map<string, Set<string>> {
  const artifacts = assembly.manifest.artifacts ?? {};
  const stacks = Object.keys(artifacts).filter((id) => artifacts[id]?.type === 'aws:cloudformation:stack');
  const direct = (id: string) =>
    (artifacts[id]?.dependencies ?? []).filter((dependency) => stacks.includes(dependency));
  const closure = (id: string, seen = new Set<string>()): Set<string> => {
    for (const dependency of direct(id)) {
      if (!seen.has(dependency)) {
        seen.add(dependency);
        closure(dependency, seen);
      }
    }
    return seen;
  };
  return new Map(stacks.map((id) => [id, closure(id)]));
}

/** A deployment order the dependencies allow, as the CLI computes one (every stack after what it needs). */
function deployOrder(dependencies: Map<string, Set<string>>): string[] {
  const order: string[] = [];
  const pending = new Set(dependencies.keys());
  while (pending.size > 0) {
    const ready = [...pending].filter((id) => [...(dependencies.get(id) ?? [])].every((d) => order.includes(d)));
    if (ready.length === 0) throw new Error('dependency cycle');
    for (const id of ready.sort()) {
      order.push(id);
      pending.delete(id);
    }
  }
  return order;
}

describe('the example app in the cloud assembly', () => {
  it('makes every other region depend on the home region, and the home region on none', () => {
    const dependencies = stackDependencies(synth({ regions: 'us-east-1,eu-west-1,ap-southeast-2' }));

    expect([...dependencies.keys()].sort()).toEqual([
      'OpaqueTokenGateway-ap-southeast-2',
      'OpaqueTokenGateway-eu-west-1',
      'OpaqueTokenGateway-us-east-1',
    ]);
    expect([...(dependencies.get('OpaqueTokenGateway-us-east-1') ?? [])]).toEqual([]);
    expect([...(dependencies.get('OpaqueTokenGateway-eu-west-1') ?? [])]).toEqual(['OpaqueTokenGateway-us-east-1']);
    expect([...(dependencies.get('OpaqueTokenGateway-ap-southeast-2') ?? [])]).toEqual([
      'OpaqueTokenGateway-us-east-1',
    ]);
    expect(deployOrder(dependencies)[0]).toBe('OpaqueTokenGateway-us-east-1');
  });

  it('deploys the home region first when it is not the first region listed', () => {
    const dependencies = stackDependencies(
      synth({ homeRegion: 'eu-west-1', regions: 'us-east-1,eu-west-1', stackPrefix: 'Gw' }),
    );

    expect([...(dependencies.get('Gw-eu-west-1') ?? [])]).toEqual([]);
    expect([...(dependencies.get('Gw-us-east-1') ?? [])]).toEqual(['Gw-eu-west-1']);
    expect(deployOrder(dependencies)).toEqual(['Gw-eu-west-1', 'Gw-us-east-1']);
  });

  it("names the home stack among the other stack's dependencies, as the CLI's CloudAssembly API reads them", () => {
    const assembly = synth({ regions: 'us-east-1,eu-west-1', stackPrefix: 'Why' });

    expect(assembly.getStackByName('Why-eu-west-1').dependencies.map((artifact) => artifact.id)).toContain(
      'Why-us-east-1',
    );
  });
});
