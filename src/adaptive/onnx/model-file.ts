import { ModelFileError } from '../errors/ModelFileError';
import { validateFeatureList, type FeatureList } from '../../features/feature-list';
import type { TrainingSummary } from '../gbdt/model';
import type { GraphMessage, ModelMessage } from './proto-types';
import { IR_VERSION, OPSET_ONNX, OPSET_ONNX_ML, modelProtoType } from './schema';

/** metadata_props keys under which a breakwater model describes itself. */
export const FEATURES_KEY = 'breakwater.features';
export const MODEL_KEY = 'breakwater.model';

/** The two graphs an ensemble is exported as. */
export type ModelForm = 'tree-ensemble' | 'tensorised';

/** What a breakwater model file says about itself (the MODEL_KEY entry). */
export interface ModelDescription {
  /** Always `breakwater.gbdt` for now; the version of this description's layout. */
  readonly format: 'breakwater.gbdt';
  readonly formatVersion: 1;
  readonly form: ModelForm;
  readonly trees: number;
  /** Leaves of the widest tree: the tensorised graph's intermediates hold trees × leaves values per row. */
  readonly maxLeaves: number;
  readonly baseScore: number;
  readonly summary: TrainingSummary;
  /** The graph's input (float [N, features]) and its probability output (float [N, 2]). */
  readonly input: string;
  readonly output: string;
  /** Free-form entries supplied at export (training data, horizon, ...). */
  readonly extra: Readonly<Record<string, string>>;
}

/** Everything a scorer needs to know about a model before running it. */
export interface ModelInfo {
  readonly featureList: FeatureList;
  readonly description: ModelDescription;
}

const PRODUCER_VERSION = '1';

/** Wraps a graph into ModelProto bytes (IR 8, opset 17, ai.onnx.ml 3) with the feature list and description inside. */
export function encodeModel(graph: GraphMessage, featureList: FeatureList, description: ModelDescription): Uint8Array {
  const model: ModelMessage = {
    irVersion: IR_VERSION,
    producerName: 'breakwater',
    producerVersion: PRODUCER_VERSION,
    domain: 'dev.breakwater',
    modelVersion: 1,
    docString: `P(failure) of a circuit breaker from ${featureList.name}@${featureList.version}`,
    graph,
    opsetImport: [
      { domain: '', version: OPSET_ONNX },
      { domain: 'ai.onnx.ml', version: OPSET_ONNX_ML },
    ],
    metadataProps: [
      { key: FEATURES_KEY, value: JSON.stringify(featureList) },
      { key: MODEL_KEY, value: JSON.stringify(description) },
    ],
  };
  const type = modelProtoType();
  // A copy of its own: protobufjs may hand out a view into a shared pool, unsafe to transfer.
  return new Uint8Array(type.encode(type.fromObject(model)).finish());
}

/** Decodes ModelProto bytes; anything that is not a protobuf ModelProto with a graph is a ModelFileError. */
export function decodeModel(bytes: Uint8Array, source = '<bytes>'): ModelMessage {
  if (!(bytes instanceof Uint8Array))
    throw new ModelFileError(source, `expected the bytes of an ONNX file (Uint8Array), got ${typeof bytes}`);
  if (bytes.length === 0) throw new ModelFileError(source, 'the file is empty');
  let decoded: ModelMessage;
  try {
    const type = modelProtoType();
    decoded = type.toObject(type.decode(bytes), { longs: Number, arrays: true }) as ModelMessage;
  } catch (error) {
    throw new ModelFileError(source, `not an ONNX model (truncated or not protobuf): ${(error as Error).message}`);
  }
  if (decoded.graph === undefined || decoded.irVersion === undefined)
    throw new ModelFileError(source, 'not an ONNX model (no graph or IR version)');
  return decoded;
}

/** The feature list and description stored in a decoded model; a ModelFileError when absent or malformed. */
export function modelInfo(model: ModelMessage, source = '<bytes>'): ModelInfo {
  const props = new Map(model.metadataProps.map(({ key, value }) => [key, value]));
  const features = props.get(FEATURES_KEY);
  const description = props.get(MODEL_KEY);
  if (features === undefined || description === undefined) {
    throw new ModelFileError(
      source,
      `not a breakwater model: metadata_props lack "${FEATURES_KEY}" and "${MODEL_KEY}", so its feature list is unknown`,
    );
  }
  let featureList: FeatureList;
  let parsed: ModelDescription;
  try {
    featureList = validateFeatureList(JSON.parse(features), FEATURES_KEY);
    parsed = JSON.parse(description) as ModelDescription;
  } catch (error) {
    throw new ModelFileError(source, `malformed breakwater metadata: ${(error as Error).message}`);
  }
  if (parsed.format !== 'breakwater.gbdt' || parsed.formatVersion !== 1) {
    throw new ModelFileError(
      source,
      `unsupported model format ${String(parsed.format)} v${String(parsed.formatVersion)} (this version reads breakwater.gbdt v1)`,
    );
  }
  if (parsed.form !== 'tree-ensemble' && parsed.form !== 'tensorised')
    throw new ModelFileError(source, `unknown model form ${String(parsed.form)}`);
  return { featureList, description: parsed };
}

/** Decodes the bytes and reads the breakwater metadata in one step. */
export function readModelInfo(bytes: Uint8Array, source = '<bytes>'): ModelInfo {
  return modelInfo(decodeModel(bytes, source), source);
}
