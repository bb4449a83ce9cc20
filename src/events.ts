import { RepeatedFailure } from './repeated-failure';

/** Removes the listener it was returned for; calling it twice is harmless. */
export type Disposer = () => void;

/**
 * A small typed emitter. A throwing listener becomes a process warning: it never breaks the
 * guarded call that emitted the event, nor the listeners after it.
 */
export class Emitter<Events extends object> {
  private readonly listeners: { [K in keyof Events]?: Array<(event: Events[K]) => void> } = {};
  /** Listener errors by event type: a listener that throws on every call warns once, not every call. */
  private thrown: Map<keyof Events, RepeatedFailure> | undefined;

  on<K extends keyof Events>(type: K, listener: (event: Events[K]) => void): Disposer {
    if (typeof listener !== 'function')
      throw new TypeError(`breakwater: listener for "${String(type)}" must be a function, got ${typeof listener}`);
    const list = (this.listeners[type] ??= []);
    list.push(listener);
    this.changed(type);
    return () => {
      const index = list.indexOf(listener);
      if (index < 0) return;
      list.splice(index, 1);
      this.changed(type);
    };
  }

  once<K extends keyof Events>(type: K, listener: (event: Events[K]) => void): Disposer {
    const dispose = this.on(type, (event) => {
      dispose();
      listener(event);
    });
    return dispose;
  }

  has(type: keyof Events): boolean {
    return (this.listeners[type]?.length ?? 0) > 0;
  }

  emit<K extends keyof Events>(type: K, event: Events[K]): void {
    const list = this.listeners[type];
    if (list === undefined || list.length === 0) return;
    for (const listener of [...list]) {
      try {
        listener(event);
      } catch (error) {
        this.listenerThrew(type, error);
      }
    }
  }

  private listenerThrew(type: keyof Events, error: unknown): void {
    this.thrown ??= new Map();
    let failures = this.thrown.get(type);
    if (failures === undefined) this.thrown.set(type, (failures = new RepeatedFailure()));
    const warning = failures.failed(error, performance.now());
    if (warning !== undefined)
      process.emitWarning(`breakwater: a "${String(type)}" listener threw: ${warning}`, {
        code: 'BREAKWATER_LISTENER_ERROR',
      });
  }

  /** Called when a type gains or loses a listener (the breaker turns its fast path on or off). */
  protected changed(_type: keyof Events): void {}
}
