/**
 * Maps positive values to logarithmic buckets whose width is a fixed ratio gamma, so any value
 * is estimated from its bucket with a relative error of at most `relativeAccuracy`
 * (DDSketch's mapping). Bucket 0 holds values at or below `min`, the last one values at or
 * above `max`.
 */
export class LogBuckets {
  readonly min: number;
  readonly max: number;
  readonly relativeAccuracy: number;
  readonly count: number;
  private readonly gamma: number;
  private readonly logGamma: number;

  constructor(min: number, max: number, relativeAccuracy: number) {
    if (!(min > 0 && max > min && relativeAccuracy > 0 && relativeAccuracy < 1)) throw new RangeError("invalid bucket range");
    this.min = min;
    this.max = max;
    this.relativeAccuracy = relativeAccuracy;
    this.gamma = (1 + relativeAccuracy) / (1 - relativeAccuracy);
    this.logGamma = Math.log(this.gamma);
    this.count = Math.ceil(Math.log(max / min) / this.logGamma) + 2;
  }

  /** O(1): one logarithm. */
  index(value: number): number {
    if (!(value > this.min)) return 0;
    if (value >= this.max) return this.count - 1;
    const i = 1 + Math.floor(Math.log(value / this.min) / this.logGamma);
    return i < this.count - 1 ? i : this.count - 2;
  }

  /** Lower edge of bucket i (1 .. count-2). */
  lowerBound(i: number): number {
    return this.min * this.gamma ** (i - 1);
  }

  /** The value that represents bucket i, within relativeAccuracy of every value in it. */
  representative(i: number): number {
    if (i <= 0) return this.min;
    if (i >= this.count - 1) return this.max;
    return (this.lowerBound(i) * 2 * this.gamma) / (1 + this.gamma);
  }
}
