import { describe, expect, it } from 'vitest';
import { parsePoles } from '../src/polesfile.js';

describe('parsePoles', () => {
  it('reads JSON pairs, objects, numbers and {poles: [...]}', () => {
    expect(parsePoles('[[-1, 2], {"re": -3, "im": -4}, -5]')).toEqual([
      { re: -1, im: 2 },
      { re: -3, im: -4 },
      { re: -5, im: 0 },
    ]);
    expect(parsePoles('{"poles": [[-0.5, 1.5]]}')).toEqual([{ re: -0.5, im: 1.5 }]);
  });
  it('reads text lines "re im" and "re", skipping comments', () => {
    expect(parsePoles('# poles\n-1 2\n\n-3\n-0.5,-1.5\n')).toEqual([
      { re: -1, im: 2 },
      { re: -3, im: 0 },
      { re: -0.5, im: -1.5 },
    ]);
  });
  it('names the offending entry', () => {
    expect(() => parsePoles('[[1, 2, 3]]', 'p.json')).toThrow(/p\.json\[0\]/);
    expect(() => parsePoles('-1 x', 'p.txt')).toThrow(/p\.txt:1/);
    expect(() => parsePoles('[', 'p.json')).toThrow(/invalid JSON/);
    expect(() => parsePoles('', 'p.txt')).toThrow(/no poles/);
  });
});
