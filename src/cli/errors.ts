/** How commands end with a given exit code: thrown, caught once in main. */

/** Ends the command with `exitCode`, printing `message` on stderr. */
export class ExitError extends Error {
  constructor(
    message: string,
    readonly exitCode: number,
  ) {
    super(message);
  }
}

/** A bad command line: exit code 2. */
export class UsageError extends ExitError {
  constructor(message: string) {
    super(`error: ${message}`, 2);
  }
}
