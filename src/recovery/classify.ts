import { CircuitOpenError } from '../errors/CircuitOpenError';
import { TimeoutError } from '../errors/TimeoutError';
import { messageOf } from '../error-message';
import type { FailureKind } from './failure';

const TIMEOUT_CODES = new Set([
  'ETIMEDOUT',
  'ESOCKETTIMEDOUT',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
]);
/** The connection existed and broke: usually gone on the next try. */
const CONNECTION_CODES = new Set(['ECONNRESET', 'EPIPE', 'ECONNABORTED', 'UND_ERR_SOCKET', 'UND_ERR_CLOSED']);
/** Nobody listens there: retrying the same worker won't help soon. */
const UNREACHABLE_CODES = new Set(['ECONNREFUSED', 'EHOSTUNREACH', 'ENETUNREACH', 'EHOSTDOWN', 'ENOTFOUND']);
const MEMORY_CODES = new Set(['ERR_OUT_OF_MEMORY', 'ENOMEM', 'ERR_WORKER_OUT_OF_MEMORY', 'CUDA_ERROR_OUT_OF_MEMORY']);
/** CUDA ("CUDA out of memory", "CUDA error: out of memory"), ONNX Runtime ("Failed to allocate memory"), V8 ("heap out of memory"), WebGPU ("OutOfMemory"). */
const MEMORY_MESSAGE = /out of memory|outofmemory|\boom\b|failed to allocate|allocation failed|cannot allocate memory/i;
const TIMEOUT_MESSAGE = /timed? ?out\b|timeout/i;

/** How many causes deep the classifier looks (fetch wraps the socket error in `cause`). */
const CAUSE_DEPTH = 3;

/**
 * The default classifier: timeouts, connection errors (reset vs refused) and out-of-memory codes
 * and messages, looking through `cause` chains; anything else is `unknown` (a delayed retry).
 */
export function defaultClassifier(error: unknown): FailureKind {
  let current: unknown = error;
  for (let depth = 0; depth <= CAUSE_DEPTH && current !== undefined && current !== null; depth++) {
    const kind = classifyOne(current);
    if (kind !== undefined) return kind;
    current = typeof current === 'object' ? (current as { cause?: unknown }).cause : undefined;
  }
  return 'unknown';
}

function classifyOne(error: unknown): FailureKind | undefined {
  if (error instanceof CircuitOpenError) return 'circuit-open';
  if (error instanceof TimeoutError) return 'timeout';
  const code = typeof error === 'object' && error !== null ? (error as { code?: unknown }).code : undefined;
  if (typeof code === 'string') {
    if (MEMORY_CODES.has(code)) return 'out-of-memory';
    if (TIMEOUT_CODES.has(code)) return 'timeout';
    if (UNREACHABLE_CODES.has(code)) return 'unreachable';
    if (CONNECTION_CODES.has(code)) return 'connection';
  }
  // AbortSignal.timeout() aborts with a DOMException named TimeoutError.
  if (error instanceof Error && error.name === 'TimeoutError') return 'timeout';
  const message = messageOf(error);
  if (MEMORY_MESSAGE.test(message)) return 'out-of-memory';
  if (TIMEOUT_MESSAGE.test(message)) return 'timeout';
  return undefined;
}
