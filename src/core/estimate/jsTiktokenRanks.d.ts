// js-tiktoken declares its rank files only through package.json#exports, which the project's
// `moduleResolution: node` does not read; esbuild and Node do.
declare module 'js-tiktoken/ranks/o200k_base' {
  import type { TiktokenBPE } from 'js-tiktoken/lite';
  const ranks: TiktokenBPE;
  export default ranks;
}
