/** `value` to `digits` decimal places, with Math.round at that scale: the monitor's messages and the API's figures round alike. */
export function round(value: number, digits: number): number {
  const factor = 10 ** digits;
  return Math.round(value * factor) / factor;
}
