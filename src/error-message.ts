/** The message of an error of any shape (an Error, a string, an object with a message), for warnings and events. */
export function messageOf(error: unknown): string {
  if (error instanceof Error) return error.message;
  if (typeof error === 'string') return error;
  if (error !== null && typeof error === 'object' && typeof (error as { message?: unknown }).message === 'string') {
    return (error as { message: string }).message;
  }
  return String(error);
}

/** The longest JSON an error message quotes of a value it rejects; past it, the value's kind. */
const MAX_SHOWN_JSON = 80;

/**
 * A value as an error message shows it: strings quoted, short arrays and plain objects as JSON,
 * anything else by kind. Never throws (a BigInt, a symbol or a cycle is shown, not serialized),
 * so rejecting a bad option always ends in the error that names it.
 */
export function show(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'function') return 'a function';
  if (typeof value === 'bigint') return `${value}n`;
  if (typeof value === 'symbol') return value.toString();
  if (value === null || typeof value !== 'object') return String(value);
  const kind = Array.isArray(value) ? 'an array' : 'an object';
  // An array of plain values element by element: JSON shows NaN and Infinity as null ([null,10]).
  if (Array.isArray(value) && value.every((element) => element === null || typeof element !== 'object')) {
    const shown = `[${value.map(show).join(',')}]`;
    return shown.length <= MAX_SHOWN_JSON ? shown : kind;
  }
  try {
    const json = JSON.stringify(value);
    return json !== undefined && json.length <= MAX_SHOWN_JSON ? json : kind;
  } catch {
    return kind; // a BigInt inside, or a cycle
  }
}
