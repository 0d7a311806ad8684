import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { IConstruct } from 'constructs';
import { describe, expect, it } from 'vitest';
import { buildExampleApp } from '../../lib/example-app.ts';

// cdk-nag's AwsSolutions pack over the whole example app, as `npx cdk synth` runs it (the app
// registers the pack as a validation plugin), with the demo defaults, with a real-use context
// that switches on the optional parts (issuer role, home-region fallback, existing secret, alarms),
// and with the token endpoint proxy as the authorization server's front.

const OUTDIR = mkdtempSync(join(tmpdir(), 'app-nag-test-'));

const CONTEXTS: Record<string, Record<string, string>> = {
  'demo defaults': {},
  'real-use context': {
    account: '123456789012',
    homeRegion: 'eu-west-1',
    regions: 'eu-west-1,us-east-1,ap-southeast-2',
    issuerPrincipalArn: 'arn:aws:iam::999999999999:user/curity-token-publisher',
    issuerExternalId: 'curity-publisher',
    homeRegionFallback: 'true',
    introspectionSecretArn: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:gateway-client-AbCdEf',
    alarmTopicArn: 'arn:aws:sns:eu-west-1:123456789012:gateway-alarms',
  },
  'sender-constrained tokens, a replay table and a mutual TLS domain': {
    senderConstrainedTokens: 'true',
    dpopReplayTable: 'true',
    restMtlsDomainName: 'api.example.com',
    restMtlsCertificateArn: 'arn:aws:acm:us-east-1:123456789012:certificate/11111111-2222-3333-4444-555555555555',
    restMtlsTruststoreUri: 's3://truststore-bucket/ca.pem',
  },
  'the authorization server front on a custom domain': {
    frontDomainName: 'login.example.com',
    frontUpstreamOrigin: 'https://as.internal.example.com',
    frontHostedZoneId: 'Z0123456789ABCDEFGHIJ',
    frontHostedZoneName: 'example.com',
    tokenPath: '/oauth/v2/token',
    revocationPath: '/oauth/v2/revoke',
  },
  'CORS for browser pages (preflight routes on both APIs)': {
    corsAllowedOrigins: 'http://localhost:5173,https://app.example.com',
  },
  'no introspection, JWT validation on': {
    introspectionEndpoint: 'off',
    jwtValidation: 'true',
    jwtClientIds: 'mobile-app',
  },
};

interface Acknowledgement {
  readonly path: string;
  readonly id: string;
  readonly reason: string;
}

function acknowledgements(root: IConstruct): Acknowledgement[] {
  return root.node.findAll().flatMap((construct) =>
    construct.node.metadata
      .filter((entry) => entry.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY && entry.data)
      .flatMap((entry) =>
        Object.entries(entry.data as Record<string, string>).map(([id, reason]) => ({
          path: construct.node.path,
          id: id.replace(/^annotation::/i, ''),
          reason,
        })),
      ),
  );
}

/** Every finding the pack would report if nothing were acknowledged. */
function rawFindings(app: App): Array<{ rule: string; path: string }> {
  const pack = new AwsSolutionsChecks(app);
  (pack as unknown as { isAcknowledged: () => boolean }).isAcknowledged = () => false;
  return pack
    .validateScope(app)
    .violations.flatMap((v) => v.violatingResources.map((r) => ({ rule: v.ruleName, path: r.constructPath ?? '' })));
}

describe.each(Object.entries(CONTEXTS))('cdk-nag AwsSolutions over the example app (%s)', (_name, context) => {
  const app = new App({ outdir: OUTDIR, context });
  buildExampleApp(app);

  it('synthesizes with the AwsSolutions pack registered as a validation plugin', () => {
    expect(() => app.synth({ force: true })).not.toThrow();
  });

  it('has zero unacknowledged findings', () => {
    const report = new AwsSolutionsChecks(app).validateScope(app);
    const findings = report.violations.flatMap((v) =>
      v.violatingResources.map((r) => `${v.ruleName} at ${r.constructPath}: ${v.description}`),
    );
    expect(findings).toEqual([]);
    expect(report.success).toBe(true);
  });

  it('acknowledges only findings that exist, each with a reason', () => {
    const acks = acknowledgements(app);
    expect(acks.length).toBeGreaterThan(0);
    const findings = rawFindings(app);
    for (const ack of acks) {
      expect(ack.reason.length, `${ack.id} at ${ack.path} needs a real reason`).toBeGreaterThan(80);
      const covered = findings.filter(
        (f) => f.rule === ack.id && (f.path === ack.path || f.path.startsWith(`${ack.path}/`)),
      );
      expect(covered.length, `${ack.id} at ${ack.path} acknowledges nothing`).toBeGreaterThan(0);
    }
  });
});
