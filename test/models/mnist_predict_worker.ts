// A module worker for mnist_model_test.ts: TensorFlow.js (the same CPU oracle bundle the tests
// import) loads the shipped model and predicts the class of a share of the test digits, so the
// 10,000 predictions spread over the machine's cores instead of one thread.
import * as tf from '../helpers/tf_oracle.js';

export interface PredictJob {
  modelUrl: string;
  /** [count, 28, 28, 1] pixels. */
  images: Float32Array;
  count: number;
}

export type PredictResult = { predicted: Int32Array } | { error: string };

const scope = self as unknown as {
  onmessage: ((ev: MessageEvent<PredictJob>) => void) | null;
  postMessage(message: PredictResult, transfer?: Transferable[]): void;
};

scope.onmessage = async ({ data: { modelUrl, images, count } }) => {
  try {
    await tf.setBackend('cpu');
    const model = await tf.loadLayersModel(modelUrl);
    const predicted = new Int32Array(count);
    // Batches of 1000, as the test ran them on the page before it used workers.
    for (let start = 0; start < count; start += 1000) {
      const n = Math.min(1000, count - start);
      const classes = tf.tidy(() => {
        const x = tf.tensor4d(images.subarray(start * 784, (start + n) * 784), [n, 28, 28, 1]);
        return tf.argMax(model.predict(x) as tf.Tensor, -1).dataSync();
      });
      predicted.set(classes, start);
    }
    model.dispose();
    scope.postMessage({ predicted }, [predicted.buffer]);
  } catch (err) {
    scope.postMessage({ error: String((err as Error)?.stack ?? err) });
  }
};
