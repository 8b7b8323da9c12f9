import { expect } from 'chai';
import { SimClock } from '../../simulator/world/clock.ts';

describe('simulator clock', () => {
  it('changes speed from now on, keeping the time reached so far', () => {
    let real = 0;
    const original = performance.now;
    performance.now = () => real;
    try {
      const clock = new SimClock(1_000, true, 1, 0);
      real = 10_000;
      expect(clock.now()).to.equal(1_010);
      clock.setSpeed(20);
      expect(clock.now()).to.equal(1_010);
      real = 11_000;
      expect(clock.now()).to.equal(1_030);
      clock.advance(5);
      clock.setSpeed(1);
      real = 12_000;
      expect(clock.now()).to.equal(1_036);
      expect(clock.speed).to.equal(1);
    } finally {
      performance.now = original;
    }
  });

  it('refuses a speed for a static world, and a speed that is not positive', () => {
    expect(() => new SimClock(1_000, false).setSpeed(2)).to.throw(RangeError);
    expect(() => new SimClock(1_000, true).setSpeed(0)).to.throw(RangeError);
  });
});
