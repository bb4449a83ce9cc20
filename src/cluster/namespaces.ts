import type { Registry } from '../registry/registry';

/** The namespaces each registry is connected to: a second connection to one would push every window twice. */
const connectedNamespaces = new WeakMap<Registry, Set<string>>();

/**
 * Throws when `registry` is connected to `namespace` already; otherwise returns what marks it
 * connected (called once the connection is made, so a connection that fails to open claims nothing).
 */
export function claimNamespace(registry: Registry, namespace: string): () => void {
  let namespaces = connectedNamespaces.get(registry);
  if (namespaces === undefined) connectedNamespaces.set(registry, (namespaces = new Set()));
  if (namespaces.has(namespace))
    throw new Error(
      `breakwater/cluster: this registry is already connected to namespace "${namespace}": a second connection would count each of its windows twice (close() the first, or give another namespace)`,
    );
  const claimed = namespaces;
  return () => void claimed.add(namespace);
}

/** Frees `namespace` for another connection of `registry` (its connection closed). */
export function releaseNamespace(registry: Registry, namespace: string): void {
  connectedNamespaces.get(registry)?.delete(namespace);
}
