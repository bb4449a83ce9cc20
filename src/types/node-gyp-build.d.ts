declare module 'node-gyp-build' {
  /** Loads the native addon of the package at `root`: a matching prebuild, else build/Release. */
  function nodeGypBuild(root: string): unknown;
  export default nodeGypBuild;
}
