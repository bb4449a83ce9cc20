// breakwater/adaptive: the early-warning model. Training, export and the data interfaces need no
// optional package; Predictor loads onnxruntime-node when a model is loaded, never before.
export type { FeatureList } from '../features/feature-list';
export {
  FeatureListMismatchError,
  describeFeatureList,
  featureListMismatch,
  validateFeatureList,
} from '../features/feature-list';
export type { TrainingSet } from './dataset';
export { selectRows, trainingSetFromRows, validateTrainingSet } from './dataset';
export type { EventHistoryOptions, HistoryWindow } from './event-history';
export {
  HISTORY_FEATURES,
  HistoryFileError,
  loadEventHistory,
  readEventHistory,
  trainingSetFromEvents,
} from './event-history';
export type { GbdtOptions } from './gbdt/options';
export type { GbdtModel, LeafNode, SplitNode, Tree, TreeNode, TrainingSummary } from './gbdt/model';
export { predictProbabilities, predictRaw } from './gbdt/model';
export type { RoundProgress, TrainHooks } from './gbdt/train';
export { trainGbdt } from './gbdt/train';
export { logLoss, rocAuc } from './metrics';
export type { ExportOptions } from './onnx/export-tree-ensemble';
export { exportTreeEnsemble } from './onnx/export-tree-ensemble';
export { exportTensorised } from './onnx/export-tensorised';
export { modelFromTreeEnsemble } from './onnx/import-tree-ensemble';
export type { ModelDescription, ModelForm, ModelInfo } from './onnx/model-file';
export { ModelFileError, decodeModel, readModelInfo } from './onnx/model-file';
export type { ExecutionProvider, PredictorOptions } from './predictor';
export { Predictor } from './predictor';
export type { TrainInWorkerOptions, TrainedModel } from './train-worker';
export { trainInWorker } from './train-worker';
export { CORE_FEATURES, CORE_FEATURE_COUNT, CoreFeatureExtractor, EVIDENCE_FEATURES } from '../features/core-features';
export { CORE_FEATURES_V1 } from '../features/core-features-v1';
export { CORE_FEATURES_V2 } from '../features/core-features-v2';
export { CORE_FEATURES_V3 } from '../features/core-features-v3';
export type { CoreFeatureOptions } from '../features/core-features';
export { AdaptiveTuner, DEFAULT_BOUNDS } from './tuner';
export type { Bounds, TunedOption, TunerOptions, TuningChange } from './tuner';
export { EarlyWarning } from './early-warning';
export type { EarlyWarningOptions, Prediction, ScoringModel } from './early-warning';
export { simulationTrainingData } from './simulation-data';
export type { SimulationData, SimulationDataOptions } from './simulation-data';
export { evaluateEarlyWarning, falseAlarmsPerHour } from './evaluate';
export type { EarlyWarningEvaluation, TimedRows } from './evaluate';
export { calibrate, calibrated, fitPlatt, reliabilityTable } from './calibration';
export type { PlattScaling, ReliabilityBin } from './calibration';
export { RECENT_QUARTER_RULE, RULE_BASELINES, TREND_RULE } from './rule-baselines';
export type { RuleBaseline } from './rule-baselines';
export { EARLY_WARNING_GBDT } from './early-warning-gbdt';
export { modelCardMarkdown } from './model-card';
export type { HeldOutScore, ModelCard } from './model-card';
export { DEFAULT_MODEL_FILE, defaultModelPath } from './default-model';
export { createAdaptiveBreaker } from './adaptive-breaker';
export type { AdaptiveBreaker, AdaptiveBreakerOptions } from './adaptive-breaker';
