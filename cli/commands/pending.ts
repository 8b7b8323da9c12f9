import { PmaError } from '../../runtime/errors.ts';

/** The action of a command whose part is not built yet: says so and which issue builds it. */
export function notYet(command: string, issue: number): () => never {
  return () => {
    throw new PmaError('PMA_ERR_NOT_AVAILABLE', `"pma ${command}" is not available in this build yet (issue #${issue})`, {
      command,
    });
  };
}
