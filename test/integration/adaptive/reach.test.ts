import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { bestRecallAtPrecision } from '../../../src/adaptive/classification-metrics';
import { recallByTimeToTrip, type TimedRows } from '../../../src/adaptive/evaluate';

/** Every threshold tried: precision and recall of flagging the rows scored at or above it. */
function bruteForce(labels: number[], scores: number[], precision: number): { recall: number; threshold: number } {
  const positives = labels.filter((label) => label === 1).length;
  let best = { recall: 0, threshold: Number.POSITIVE_INFINITY };
  for (const threshold of [...new Set(scores)].sort((a, b) => b - a)) {
    const flagged = scores.map((score, i) => (score >= threshold ? i : -1)).filter((i) => i >= 0);
    const caught = flagged.filter((i) => labels[i] === 1).length;
    const recall = positives > 0 ? caught / positives : 0;
    if (caught / flagged.length >= precision && recall > best.recall) best = { recall, threshold };
  }
  return best;
}

describe('how far a score can reach', () => {
  it('the best recall at a precision is what trying every threshold finds, ties flagged together', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.integer({ min: 0, max: 1 }), fc.integer({ min: 0, max: 8 })), {
          minLength: 1,
          maxLength: 60,
        }),
        fc.constantFrom(0.5, 0.7, 0.8, 1),
        (rows, precision) => {
          const labels = rows.map(([label]) => label);
          const scores = rows.map(([, score]) => score / 8);
          expect(bestRecallAtPrecision(labels, scores, precision)).toEqual(bruteForce(labels, scores, precision));
        },
      ),
      { numRuns: 500 },
    );
    // Four rows tied at the top, two of them positive: precision 0.5 there, so 0.8 is never reached.
    expect(bestRecallAtPrecision([1, 1, 0, 0], [0.9, 0.9, 0.9, 0.9], 0.8)).toEqual({
      recall: 0,
      threshold: Number.POSITIVE_INFINITY,
    });
    expect(() => bestRecallAtPrecision([1, 0], [0.5], 0.8)).toThrow(/one score per label/);
  });

  it('recall by seconds to the trip counts only the positive rows of each band', () => {
    const data = {
      rowCount: 6,
      labels: Uint8Array.from([1, 1, 1, 1, 0, 1]),
      secondsToTrip: Float32Array.from([1, 2, 3, 9, 15, 10]),
    } as unknown as TimedRows;
    const scores = [0.9, 0.2, 0.8, 0.1, 0.99, 0.75];
    expect(recallByTimeToTrip(data, scores, 0.7, [2, 5, 10])).toEqual([
      { fromSeconds: 0, toSeconds: 2, rows: 2, recall: 0.5 },
      { fromSeconds: 2, toSeconds: 5, rows: 1, recall: 1 },
      { fromSeconds: 5, toSeconds: 10, rows: 2, recall: 0.5 },
    ]);
  });
});
