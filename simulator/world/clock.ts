/**
 * The simulator's clock, in simulated Unix seconds. A static world stands still at its end time;
 * a live world starts there and moves at `speed` simulated seconds per real second. Tests can
 * also move it by hand (`advance`), so live behaviour is testable without waiting.
 */
export class SimClock {
  readonly #origin: number;
  readonly #speed: number;
  readonly #live: boolean;
  readonly #realStart: number;
  #extra = 0;

  constructor(origin: number, live: boolean, speed = 1, realStart = performance.now()) {
    this.#origin = origin;
    this.#live = live;
    this.#speed = speed;
    this.#realStart = realStart;
  }

  get isLive(): boolean {
    return this.#live;
  }

  /** Simulated seconds (fractional in live mode). */
  now(): number {
    if (!this.#live) return this.#origin + this.#extra;
    return this.#origin + this.#extra + ((performance.now() - this.#realStart) / 1000) * this.#speed;
  }

  /** Whole simulated seconds, as the APIs report them. */
  nowSec(): number {
    return Math.floor(this.now());
  }

  nowMs(): number {
    return Math.floor(this.now() * 1000);
  }

  /** Moves the clock forward by `seconds` (live worlds only: a static world has nothing after its end). */
  advance(seconds: number): void {
    if (seconds < 0) throw new RangeError('the clock only moves forward');
    this.#extra += seconds;
  }
}
