import { show } from '../error-message';

/**
 * A model's answer to one scoring round, awaited no longer than a deadline. A score() that never
 * settles would otherwise end the early warning for good, in silence: the registry never runs two
 * rounds of a task at once, so every later round would wait on it. After the deadline the round
 * fails (a registry task warning names it) and the next round asks again: a scorer that lost one
 * reply scores on. While MAX_OVERDUE calls are still unanswered past their deadline no round calls
 * the model, so one that hangs every time piles up no more than those.
 */
const MAX_OVERDUE = 3;

export class ScoringDeadline {
  /** When (performance.now()) each call still unanswered past its deadline started. */
  private readonly overdue = new Set<number>();

  constructor(private readonly timeoutMs: number) {}

  async answer(score: () => Float32Array | Promise<Float32Array>): Promise<Float32Array> {
    if (this.overdue.size >= MAX_OVERDUE)
      throw new Error(
        `breakwater/adaptive: the model has not answered ${MAX_OVERDUE} rounds past scoreTimeoutMs (${this.timeoutMs} ms), the oldest ${Math.round(performance.now() - Math.min(...this.overdue))} ms ago; rounds are skipped until one of them answers`,
      );
    const startedAt = performance.now();
    const scoring = scoreOf(score);
    let answered = false;
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        if (answered) return;
        this.overdue.add(startedAt);
        reject(
          new Error(
            `breakwater/adaptive: the model did not answer within scoreTimeoutMs (${this.timeoutMs} ms); the round is dropped`,
          ),
        );
      }, this.timeoutMs);
      timer.unref();
    });
    const settle = () => {
      answered = true;
      this.overdue.delete(startedAt);
    };
    scoring.then(settle, settle);
    try {
      return await Promise.race([scoring, deadline]);
    } finally {
      clearTimeout(timer);
    }
  }
}

/**
 * What score() answers, thrown or rejected alike; what it throws that is not an Error (a string, a
 * Symbol) becomes one that says where it came from, with it as the cause.
 */
async function scoreOf(score: () => Float32Array | Promise<Float32Array>): Promise<Float32Array> {
  try {
    return await score();
  } catch (thrown) {
    if (thrown instanceof Error) throw thrown;
    throw new Error(`breakwater/adaptive: the model's score(rows) threw ${show(thrown)}, not an Error`, {
      cause: thrown,
    });
  }
}
