import { App, Duration, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as apigateway from 'aws-cdk-lib/aws-apigateway';
import * as apigatewayv2 from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpUrlIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import * as cloudwatchActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sns from 'aws-cdk-lib/aws-sns';
import { describe, expect, it } from 'vitest';
import { GatewayMonitoring, type GatewayMonitoringProps } from '../../lib/monitoring.ts';

// The monitored function is imported: monitoring needs only its name, and no bundling.
function build(props: (stack: Stack) => Partial<GatewayMonitoringProps> = () => ({})) {
  const stack = new Stack(new App(), 'Test', { env: { account: '111111111111', region: 'us-east-1' } });
  const authorizerFunction = lambda.Function.fromFunctionArn(
    stack,
    'Authorizer',
    'arn:aws:lambda:us-east-1:111111111111:function:token-authorizer',
  );
  const monitoring = new GatewayMonitoring(stack, 'Monitoring', { authorizerFunction, ...props(stack) });
  return { stack, monitoring, template: Template.fromStack(stack) };
}

describe('GatewayMonitoring', () => {
  it('alarms on failed-closed invocations (not Lambda Errors, which count every 401), p99 duration and throttles', () => {
    const { template } = build();
    template.resourceCountIs('AWS::CloudWatch::Alarm', 4);
    template.resourceCountIs('AWS::CloudWatch::Dashboard', 1);
    const dims = [{ Name: 'FunctionName', Value: 'token-authorizer' }];
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'OpaqueTokenGateway',
      MetricName: 'DependencyFailures',
      Dimensions: dims,
      Statistic: 'Sum',
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      TreatMissingData: 'notBreaching',
    });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'Duration',
      Dimensions: dims,
      ExtendedStatistic: 'p99',
      Threshold: 1000,
      EvaluationPeriods: 3,
    });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'Throttles',
      Dimensions: dims,
      Threshold: 1,
    });
  });

  it('alarms on an unusable key in the issuer key set, and on revocations the proxy refused when it is watched', () => {
    const { template } = build((stack) => ({
      tokenEndpointProxyFunction: lambda.Function.fromFunctionArn(
        stack,
        'Proxy',
        'arn:aws:lambda:us-east-1:111111111111:function:token-endpoint-proxy',
      ),
    }));

    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'OpaqueTokenGateway',
      MetricName: 'KeySetProblems',
      Dimensions: [{ Name: 'FunctionName', Value: 'token-authorizer' }],
      Threshold: 1,
    });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'OpaqueTokenGateway',
      MetricName: 'RevocationsRefused',
      Dimensions: [{ Name: 'FunctionName', Value: 'token-endpoint-proxy' }],
      Threshold: 1,
    });
  });

  it('alarms on replication latency to each replica region', () => {
    const { template, monitoring } = build(() => ({
      tokenTableName: 'tokens',
      replicaRegions: ['eu-west-1', 'ap-southeast-2'],
      replicationLatencyThreshold: Duration.seconds(10),
    }));
    expect(Object.keys(monitoring.replicationLatencyAlarms)).toEqual(['eu-west-1', 'ap-southeast-2']);
    for (const region of ['eu-west-1', 'ap-southeast-2']) {
      template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        Threshold: 10_000,
        EvaluationPeriods: 3,
        Metrics: [
          Match.objectLike({
            MetricStat: Match.objectLike({
              Metric: {
                Namespace: 'AWS/DynamoDB',
                MetricName: 'ReplicationLatency',
                Dimensions: Match.arrayWith([
                  { Name: 'ReceivingRegion', Value: region },
                  { Name: 'TableName', Value: 'tokens' },
                ]),
              },
              Stat: 'Average',
            }),
          }),
        ],
      });
    }
  });

  it('charts the table without replication alarms when there are no replicas', () => {
    const { template } = build(() => ({ tokenTableName: 'tokens' }));
    template.resourceCountIs('AWS::CloudWatch::Alarm', 4);
    const body = JSON.stringify(template.findResources('AWS::CloudWatch::Dashboard'));
    expect(body).toContain('SuccessfulRequestLatency');
    expect(body).not.toContain('ReplicationLatency');
  });

  it('alarms on 5xx of the REST and HTTP APIs', () => {
    const { template } = build((stack) => {
      const restApi = new apigateway.RestApi(stack, 'Rest', { restApiName: 'rest' });
      restApi.root.addMethod('GET', new apigateway.MockIntegration());
      const httpApi = new apigatewayv2.HttpApi(stack, 'Http');
      httpApi.addRoutes({ path: '/x', integration: new HttpUrlIntegration('X', 'https://example.test') });
      return { restApi, httpApi };
    });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'AWS/ApiGateway',
      MetricName: '5XXError',
      Dimensions: [{ Name: 'ApiName', Value: 'rest' }],
    });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', { Namespace: 'AWS/ApiGateway', MetricName: '5xx' });
  });

  it('uses the configured p99 threshold', () => {
    const { template } = build(() => ({ authorizerP99Threshold: Duration.millis(300) }));
    template.hasResourceProperties('AWS::CloudWatch::Alarm', { MetricName: 'Duration', Threshold: 300 });
  });

  it('sends every alarm to the given actions', () => {
    const { template } = build((stack) => ({
      tokenTableName: 'tokens',
      replicaRegions: ['eu-west-1'],
      alarmActions: [
        new cloudwatchActions.SnsAction(sns.Topic.fromTopicArn(stack, 'T', 'arn:aws:sns:us-east-1:111111111111:ops')),
      ],
    }));
    const alarms = Object.values(template.findResources('AWS::CloudWatch::Alarm'));
    expect(alarms).toHaveLength(5);
    for (const alarm of alarms) {
      expect(alarm.Properties.AlarmActions).toEqual(['arn:aws:sns:us-east-1:111111111111:ops']);
    }
  });

  it('names the dashboard when asked', () => {
    const { template } = build(() => ({ dashboardName: 'gateway' }));
    template.hasResourceProperties('AWS::CloudWatch::Dashboard', { DashboardName: 'gateway' });
  });

  it('refuses replica regions without a table name', () => {
    expect(() => build(() => ({ replicaRegions: ['eu-west-1'] }))).toThrow(/replicaRegions requires tokenTableName/);
  });
});
