// The one error type of src/fst: names what failed and, for text input, `file:line`.
export class KilnFstError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'KilnFstError';
  }
}
