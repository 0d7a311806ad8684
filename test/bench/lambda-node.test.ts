import { describe, expect, it } from 'vitest';
import { LAMBDA_NODE_VERSION } from '../../bench/harness/lambda-node.ts';
import { NODE_RUNTIME } from '../../lib/lambda-defaults.ts';

describe('the runtime cold starts are measured on', () => {
  it('is a release of the Node.js major version the constructs deploy', () => {
    // Arrange
    const deployedMajor = /^nodejs(\d+)\.x$/.exec(NODE_RUNTIME.name)?.[1];

    // Act
    const measuredMajor = /^(\d+)\.\d+\.\d+$/.exec(LAMBDA_NODE_VERSION)?.[1];

    // Assert
    expect(deployedMajor).toBeDefined();
    expect(measuredMajor).toBe(deployedMajor);
  });
});
