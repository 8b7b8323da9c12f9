/**
 * The simulator's clock, in simulated Unix seconds. A static world stands still at its end time;
 * a live world starts there and moves at `speed` simulated seconds per real second. Tests can
 * also move it by hand (`advance`), so live behaviour is testable without waiting.
 */
export class SimClock {
  #origin: number;
  #speed: number;
  readonly #live: boolean;
  #realStart: number;
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

  /**
   * Changes how fast a live world moves from now on (the time so far stays as it was): a burst of
   * fills at the same world's per-second rates, as the freshness bench makes.
   */
  setSpeed(speed: number): void {
    if (!(speed > 0)) throw new RangeError('the speed must be positive');
    if (!this.#live) throw new RangeError('a static world has no speed');
    const now = performance.now();
    this.#origin += this.#extra + ((now - this.#realStart) / 1000) * this.#speed;
    this.#extra = 0;
    this.#realStart = now;
    this.#speed = speed;
  }

  get speed(): number {
    return this.#speed;
  }

  /** Moves the clock forward by `seconds` (live worlds only: a static world has nothing after its end). */
  advance(seconds: number): void {
    if (seconds < 0) throw new RangeError('the clock only moves forward');
    this.#extra += seconds;
  }
}
