/** The object `text` holds as JSON, or undefined when it is not JSON or not an object (a line or message from elsewhere). */
export function parseJsonObject(text: string): Record<string, unknown> | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  return value !== null && typeof value === 'object' ? (value as Record<string, unknown>) : undefined;
}
