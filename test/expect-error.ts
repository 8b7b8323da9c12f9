/** The error a call throws or a promise rejects with, failing the test if there is none or it is of the wrong class. */
import { expect } from 'chai';

// biome-ignore lint/suspicious/noExplicitAny: error classes take any constructor arguments
type ErrorClass<E> = abstract new (...args: any[]) => E;

export function thrownBy<E extends Error>(fn: () => unknown, type: ErrorClass<E>): E {
  try {
    fn();
  } catch (err) {
    expect(err).to.be.instanceOf(type);
    return err as E;
  }
  expect.fail(`expected a ${type.name}`);
}

export async function rejectionOf<E extends Error = Error>(promise: Promise<unknown>, type?: ErrorClass<E>): Promise<E> {
  try {
    await promise;
  } catch (err) {
    if (type) expect(err).to.be.instanceOf(type);
    return err as E;
  }
  expect.fail(`expected a rejection${type ? ` with a ${type.name}` : ''}`);
}
