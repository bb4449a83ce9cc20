import { AttributeType, DataType } from './schema';
import type { AttributeMessage, NodeMessage, TensorMessage, ValueInfoMessage } from './proto-types';

const utf8 = new TextEncoder();

/** A float tensor initializer, stored as raw little-endian bytes (ONNX's layout; compact for big matrices). */
export function floatTensor(name: string, dims: number[], values: ArrayLike<number>): TensorMessage {
  const rawData = new Uint8Array(values.length * 4);
  const view = new DataView(rawData.buffer);
  for (let i = 0; i < values.length; i++) view.setFloat32(i * 4, values[i], true);
  return { name, dims, dataType: DataType.FLOAT, rawData };
}

/** An int64 tensor initializer. */
export function int64Tensor(name: string, dims: number[], values: number[]): TensorMessage {
  return { name, dims, dataType: DataType.INT64, int64Data: values };
}

/** A graph input or output: a tensor of `elemType` whose dims are numbers or symbolic names. */
export function tensorValue(name: string, elemType: number, dims: Array<number | string>): ValueInfoMessage {
  const dim = dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d }));
  return { name, type: { tensorType: { elemType, shape: { dim } } } };
}

/** One operator; `domain` is '' for the standard ops and 'ai.onnx.ml' for the tree ensembles. */
export function node(
  opType: string,
  input: string[],
  output: string[],
  attribute: AttributeMessage[] = [],
  domain = '',
): NodeMessage {
  return { name: output[0], opType, domain, input, output, attribute };
}

export const attribute = {
  int: (name: string, i: number): AttributeMessage => ({ name, type: AttributeType.INT, i }),
  float: (name: string, f: number): AttributeMessage => ({ name, type: AttributeType.FLOAT, f }),
  string: (name: string, s: string): AttributeMessage => ({ name, type: AttributeType.STRING, s: utf8.encode(s) }),
  ints: (name: string, ints: number[]): AttributeMessage => ({ name, type: AttributeType.INTS, ints }),
  floats: (name: string, floats: number[]): AttributeMessage => ({ name, type: AttributeType.FLOATS, floats }),
  strings: (name: string, strings: string[]): AttributeMessage => ({
    name,
    type: AttributeType.STRINGS,
    strings: strings.map((s) => utf8.encode(s)),
  }),
  tensor: (name: string, t: TensorMessage): AttributeMessage => ({ name, type: AttributeType.TENSOR, t }),
};
