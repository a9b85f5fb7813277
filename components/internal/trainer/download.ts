/** Saving a trained model as the two files TensorFlow.js reads: model.json and weights.bin. */
import type { SavedModel } from '../../../src/index.js';

/** The file names the saved model.json's weightsManifest refers to. */
export const MODEL_FILES = ['model.json', 'weights.bin'] as const;

/** The two files as Blobs, named as the manifest expects. */
export function modelFiles(saved: SavedModel): { name: string; blob: Blob }[] {
  return [
    { name: MODEL_FILES[0], blob: new Blob([JSON.stringify(saved.modelJson)], { type: 'application/json' }) },
    { name: MODEL_FILES[1], blob: new Blob([saved.weightData], { type: 'application/octet-stream' }) },
  ];
}

/** Starts a download of each file (the browser may ask once whether the page may save several files). */
export function download(files: { name: string; blob: Blob }[]): void {
  for (const { name, blob } of files) {
    const url = URL.createObjectURL(blob);
    const a = document.createElement('a');
    a.href = url;
    a.download = name;
    a.style.display = 'none';
    document.body.append(a);
    a.click();
    a.remove();
    // The download has taken its copy by the next task; a minute leaves room for slow disks.
    setTimeout(() => URL.revokeObjectURL(url), 60_000);
  }
}
