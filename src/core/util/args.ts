/** Command-line arguments, read alike by the CLI and its loader (which must not load the CLI). */

/** The value given to the option at `argv[at]`: the next argument, unless there is none or it is another option. */
export function optionValue(argv: readonly string[], at: number): string | undefined {
  const v = argv[at + 1];
  return v === undefined || v.startsWith('--') ? undefined : v;
}
