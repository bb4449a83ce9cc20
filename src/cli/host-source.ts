import { existsSync } from 'node:fs';
import { HostArena } from '../core/host-arena';
import { Registry } from '../registry/registry';
import type { DashboardRegistry } from '../observe/dashboard/handler';

/** How often the dashboard looks for breakers that processes named since. */
const ADOPT_EVERY_MS = 1000;

/**
 * The live breakers of host arena `name`, in a registry of this process that adopts every breaker
 * the arena names (now, and each second after), without ever creating the arena.
 */
export function hostSource(
  name: string,
  directory: string | undefined,
  print: (line: string) => void,
): { registry: DashboardRegistry; readOnly: boolean; close: () => void } {
  const path = HostArena.pathOf({ name, directory });
  if (!existsSync(path))
    throw new TypeError(
      `breakwater dashboard: no host arena "${name}": ${path} does not exist (a process creates it with new Registry({ host: { name: ${JSON.stringify(name)} } }))`,
    );
  const registry = new Registry({ host: { name, directory } });
  registry.adoptHostBreakers();
  const adopting = setInterval(() => registry.adoptHostBreakers(), ADOPT_EVERY_MS);
  adopting.unref();
  print(`breakwater dashboard: host arena ${path}: ${registry.size} breakers`);
  return {
    registry,
    readOnly: false,
    close: () => {
      clearInterval(adopting);
      void registry.shutdown();
    },
  };
}
