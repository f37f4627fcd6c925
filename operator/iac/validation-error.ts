// The one error the construct library throws at synthesis.
import type { FieldError } from '../api/index.js';

/** Thrown when a construct declares an object the API would reject, or refers to one not declared. */
export class BlinkValidationError extends Error {
  constructor(
    /** Construct path of the construct at fault. */
    readonly path: string,
    /** What the API validators reported (empty for reference and setting errors). */
    readonly errors: readonly FieldError[],
    message: string,
  ) {
    super(message);
    this.name = 'BlinkValidationError';
  }
}
