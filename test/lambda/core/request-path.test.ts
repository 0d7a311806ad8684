import { describe, expect, it } from 'vitest';
import { hasDotSegment } from '../../../lambda/core/request-path.ts';

describe('hasDotSegment', () => {
  it('finds a dot segment as sent, escaped once or twice, or beside a backslash', () => {
    // Arrange
    const withDots = [
      '/a/./b',
      '/a/../admin',
      '/..',
      '/a/%2e%2e/b',
      '/a/%2E/b',
      '/a/%252e%252e/b',
      '/a\\..\\b',
      '/a/.%2e',
    ];

    // Act
    const found = withDots.filter((path) => hasDotSegment(path));

    // Assert
    expect(found).toEqual(withDots);
  });

  it('finds none where dots are only part of a segment, or where there is neither a dot nor an escape', () => {
    // Arrange
    const withoutDots = ['/orders/42', '/a.b/c', '/a/...', '/v1.2/x..y', '/a/%41/b', '', '/'];

    // Act
    const found = withoutDots.filter((path) => hasDotSegment(path));

    // Assert
    expect(found).toEqual([]);
  });
});
