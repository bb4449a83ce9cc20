import type { CircuitBreaker } from '../breaker';
import type { CircuitBreakerOptions } from '../options';
import { Registry, type BreakerKind } from './registry';

let shared: Registry | undefined;

/** The process's default registry, made on first use (importing breakwater creates nothing). */
export function defaultRegistry(): Registry {
  return (shared ??= new Registry());
}

/** The default registry's breaker for a worker. */
export function workerBreaker(id: string, options?: CircuitBreakerOptions): CircuitBreaker {
  return defaultRegistry().workerBreaker(id, options);
}

/** The default registry's breaker for an endpoint (a URL or any name of a remote service). */
export function endpointBreaker(url: string, options?: CircuitBreakerOptions): CircuitBreaker {
  return defaultRegistry().endpointBreaker(url, options);
}

/** The default registry's breaker for a hardware class (cpu, gpu, webgpu, webnn, ...). */
export function hardwareBreaker(hardwareClass: string, options?: CircuitBreakerOptions): CircuitBreaker {
  return defaultRegistry().hardwareBreaker(hardwareClass, options);
}

/** The default registry's breaker for a task type. */
export function taskTypeBreaker(taskType: string, options?: CircuitBreakerOptions): CircuitBreaker {
  return defaultRegistry().taskTypeBreaker(taskType, options);
}

/** The default registry's breaker of any kind. */
export function getOrCreate(kind: BreakerKind, name: string, options?: CircuitBreakerOptions): CircuitBreaker {
  return defaultRegistry().getOrCreate(kind, name, options);
}
