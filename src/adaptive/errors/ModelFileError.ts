/** A model file that is missing, truncated, not ONNX, or not a breakwater model. */
export class ModelFileError extends Error {
  override readonly name = 'ModelFileError';
  constructor(
    /** The file path, or `<bytes>` for an in-memory model. */
    readonly source: string,
    reason: string,
  ) {
    super(`breakwater/adaptive: model ${source}: ${reason}`);
  }
}
