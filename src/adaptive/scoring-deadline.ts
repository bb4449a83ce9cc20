/**
 * A model's answer to one scoring round, awaited no longer than a deadline. A score() that never
 * settles would otherwise end the early warning for good, in silence: the registry never runs two
 * rounds of a task at once, so every later round would wait on it. After the deadline the round
 * fails (a registry task warning names it), and while that overdue answer is still out no round
 * calls the model, so a model that hangs every time piles up no calls.
 */
export class ScoringDeadline {
  /** When (performance.now()) the overdue call still unanswered started, if one is. */
  private overdueSince: number | undefined;

  constructor(private readonly timeoutMs: number) {}

  async answer(score: () => Float32Array | Promise<Float32Array>): Promise<Float32Array> {
    if (this.overdueSince !== undefined)
      throw new Error(
        `breakwater/adaptive: the model has not answered a round it was given ${Math.round(performance.now() - this.overdueSince)} ms ago; rounds are skipped until it does`,
      );
    const startedAt = performance.now();
    const scoring = Promise.resolve(score());
    let answered = false;
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        if (answered) return;
        this.overdueSince = startedAt;
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
      if (this.overdueSince === startedAt) this.overdueSince = undefined;
    };
    scoring.then(settle, settle);
    try {
      return await Promise.race([scoring, deadline]);
    } finally {
      clearTimeout(timer);
    }
  }
}
