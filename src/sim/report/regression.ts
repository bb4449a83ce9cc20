/** A measure that got worse than its tolerance allows. */
export interface Regression {
  scenario: string;
  policy: string;
  measure: string;
  before: number | null;
  after: number | null;
  /** The tolerance it broke, in words. */
  tolerance: string;
}
