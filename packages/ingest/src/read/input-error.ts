/** A permanent problem with the list's file as a whole: the list fails with this code and message. */
export class InputError extends Error {
  constructor(
    public code: string,
    message: string,
  ) {
    super(message);
  }
}
