/** Human formatting shared by the CLI, the status bar and the recap. */

/** `182k`, `1.2M`: three significant figures at most, for glancing. */
export function compactTokens(n: number): string {
  if (n < 1000) return String(n);
  if (n < 1e6) return `${trim(n / 1e3)}k`;
  if (n < 1e9) return `${trim(n / 1e6)}M`;
  return `${trim(n / 1e9)}B`;
}

function trim(x: number): string {
  return x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1).replace(/\.0$/, '') : x.toFixed(2).replace(/\.?0+$/, '');
}

/** `$1.24`; below a cent, `$0.004`; null (unpriced) is spelled out, never shown as $0. */
export function dollars(value: number | null, unpricedLabel = 'unpriced'): string {
  if (value === null) return unpricedLabel;
  if (value < 0) return `-${dollars(-value)}`;
  if (value !== 0 && value < 0.01) return `$${value.toFixed(4).replace(/0+$/, '')}`;
  // Thousands grouped: `$1,227.70`, never `$1227.70`.
  const [whole, cents] = value.toFixed(2).split('.');
  return `$${whole.replace(/\B(?=(\d{3})+$)/g, ',')}.${cents}`;
}

/** `1,234,567`. */
export function grouped(n: number): string {
  return n.toLocaleString('en-US');
}

/** A share of a budget (1 = 100%) as `62%`; some spend is never `0%` but `<1%`. */
export function budgetShare(fraction: number): string {
  const percent = Math.round(fraction * 100);
  return percent === 0 && fraction > 0 ? '<1%' : `${percent}%`;
}

/** `1 request`, `2,417 requests`: a count and its noun, singular for one. */
export function counted(n: number, singular: string, plural = `${singular}s`): string {
  return `${grouped(n)} ${n === 1 ? singular : plural}`;
}
