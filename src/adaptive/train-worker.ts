import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';
import { validateTrainingSet, type TrainingSet } from './dataset';
import type { TrainingSummary } from './gbdt/model';
import type { GbdtOptions } from './gbdt/options';
import { trainGbdt, type RoundProgress } from './gbdt/train';
import { exportTensorised } from './onnx/export-tensorised';
import { exportTreeEnsemble } from './onnx/export-tree-ensemble';
import type { ModelForm } from './onnx/model-file';
import { knownOptions } from '../options-object';

/** The workerData key that marks a thread as a training job of this module. */
const JOB = 'breakwater.trainJob';

export interface TrainInWorkerOptions {
  readonly gbdt?: GbdtOptions;
  /** The graph to export. Default 'tree-ensemble'. */
  readonly form?: ModelForm;
  /** Free-form strings stored in the model (training data, horizon, ...). */
  readonly extra?: Readonly<Record<string, string>>;
  /** Rows for early stopping instead of a share of the training rows. */
  readonly validation?: TrainingSet;
  /** Called on the calling thread after every boosting round. */
  readonly onProgress?: (progress: RoundProgress) => void;
  /** Aborting terminates the worker and rejects with the signal's reason. */
  readonly signal?: AbortSignal;
  /**
   * The module the worker runs: a built file of this package that contains trainInWorker (its own
   * file by default). Needed only when running from TypeScript source, which a worker cannot load.
   */
  readonly workerEntry?: string;
}

/** A trained, exported model. */
export interface TrainedModel {
  /** The ONNX file's bytes. */
  readonly onnx: Uint8Array;
  readonly summary: TrainingSummary;
}

interface Job {
  set: TrainingSet;
  validation?: TrainingSet;
  gbdt: GbdtOptions;
  form: ModelForm;
  extra: Record<string, string>;
}

type Reply =
  | { type: 'progress'; progress: RoundProgress }
  | { type: 'done'; onnx: Uint8Array; summary: TrainingSummary }
  | { type: 'error'; name: string; message: string };

/**
 * Trains and exports a model on a worker thread, so the event loop (and every guarded call) keeps
 * running while the trees grow. Resolves with the ONNX bytes; option errors reject before the
 * worker starts, training errors reject with the worker's message.
 *
 * The worker runs this very module (its CommonJS file in dist/, which the ES module entries wrap):
 * when loaded with the job's workerData it trains instead of exporting. That file is `__filename`.
 */
export function trainInWorker(set: TrainingSet, given?: TrainInWorkerOptions): Promise<TrainedModel> {
  validateTrainingSet(set);
  const options = knownOptions(given, 'breakwater/adaptive: trainInWorker options', {
    gbdt: true,
    form: true,
    extra: true,
    validation: true,
    onProgress: true,
    signal: true,
    workerEntry: true,
  });
  const form = options.form ?? 'tree-ensemble';
  if (form !== 'tree-ensemble' && form !== 'tensorised')
    throw new RangeError(
      `breakwater/adaptive: option form must be 'tree-ensemble' or 'tensorised', got ${String(form)}`,
    );
  const entry = options.workerEntry ?? __filename;
  if (/\.[cm]?ts$/.test(entry)) {
    throw new Error(
      `breakwater/adaptive: trainInWorker cannot start a worker on TypeScript source (${entry}); use the built package, or pass options.workerEntry = a built file that contains trainInWorker`,
    );
  }
  const job: Job = {
    set,
    validation: options.validation,
    gbdt: { ...options.gbdt },
    form,
    extra: { ...options.extra },
  };
  return new Promise<TrainedModel>((resolve, reject) => {
    const { signal } = options;
    if (signal?.aborted) {
      reject(signal.reason);
      return;
    }
    const worker = new Worker(entry, { workerData: { [JOB]: job } });
    let settled = false;
    const settle = (finish: () => void): void => {
      if (settled) return;
      settled = true;
      signal?.removeEventListener('abort', onAbort);
      finish();
    };
    const onAbort = (): void => {
      settle(() => reject(signal?.reason));
      void worker.terminate();
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    worker.on('message', (reply: Reply) => {
      if (reply.type === 'progress') options.onProgress?.(reply.progress);
      else if (reply.type === 'done') settle(() => resolve({ onnx: reply.onnx, summary: reply.summary }));
      else settle(() => reject(Object.assign(new Error(reply.message), { name: reply.name })));
    });
    worker.on('error', (error) => settle(() => reject(error)));
    worker.on('exit', (code) =>
      settle(() =>
        reject(new Error(`breakwater/adaptive: the training worker exited (code ${code}) before returning a model`)),
      ),
    );
  });
}

/** The worker's side: train, export, post the bytes back (transferred, not copied). */
function runJob(job: Job): void {
  const port = parentPort;
  if (port === null) return;
  try {
    const model = trainGbdt(job.set, job.gbdt, {
      validation: job.validation,
      onRound: (progress) => port.postMessage({ type: 'progress', progress } satisfies Reply),
    });
    const onnx =
      job.form === 'tensorised'
        ? exportTensorised(model, { extra: job.extra })
        : exportTreeEnsemble(model, { extra: job.extra });
    port.postMessage({ type: 'done', onnx, summary: model.summary } satisfies Reply, [onnx.buffer as ArrayBuffer]);
  } catch (error) {
    const { name, message } = error instanceof Error ? error : new Error(String(error));
    port.postMessage({ type: 'error', name, message } satisfies Reply);
  }
}

const data = workerData as Record<string, unknown> | null | undefined;
if (!isMainThread && data?.[JOB] !== undefined) runJob(data[JOB] as Job);
