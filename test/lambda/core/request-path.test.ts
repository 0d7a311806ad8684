import { describe, expect, it } from 'vitest';
import { hasDotSegment, pathReadings } from '../../../lambda/core/request-path.ts';

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

  it('finds every spelling of a dot segment that some reading resolves: parameters, tab or LF inside, compatibility forms', () => {
    // Arrange: each is `..` to a reading (servlets drop `;x`, a URL parser drops a tab, NFKC folds
    // fullwidth and leader dots), as sent or escaped
    const spellings = [
      '..;',
      '..;x',
      '.;x',
      '.\t.',
      '.\n.',
      '%2e%09%2e',
      '．．',
      '‥',
      '․․',
      '﹒﹒',
      '%EF%BC%8E%EF%BC%8E',
      '%E2%80%A5',
    ];

    // Act
    const missed = spellings.filter((dots) => !hasDotSegment(`/a/b/${dots}/admin/x`));

    // Assert
    expect(missed).toEqual([]);
  });

  it('finds a dot segment a URL parser sees at the end of a URL, once it strips trailing spaces and control characters', () => {
    // Arrange: `/users/x/..%20` reaches a Lambda backend decoded, and `new URL` reads it as `/users/`
    const paths = ['/users/x/.. ', '/users/x/..\u0000', '/users/.\u0001', '/users/x/..%20'];

    // Act
    const missed = paths.filter((path) => !hasDotSegment(path));

    // Assert
    expect(missed).toEqual([]);
  });
});

describe('path readings of long hostile paths', () => {
  it('reads a segment of 100,000 dots before a letter in one pass (the trailing-dot trim once backtracked)', () => {
    // Arrange
    const segment = `${'.'.repeat(100_000)}x`;

    // Act
    const readings = pathReadings(`/${segment}`);

    // Assert
    expect(readings.filter((reading) => reading.caseFolded).map((reading) => reading.segments)).toContainEqual([
      segment,
    ]);
  });
});
