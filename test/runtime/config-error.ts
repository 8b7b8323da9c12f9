import { expect } from 'chai';
import { ConfigError } from '../../runtime/errors.ts';

/** The ConfigError `fn` throws, for a look at its message and context; fails if it throws nothing or something else. */
export function configError(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (err) {
    expect(err).to.be.instanceOf(ConfigError);
    return err as ConfigError;
  }
  throw new Error('expected a ConfigError');
}
