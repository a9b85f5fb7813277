/**
 * Resize (opset 10 on: scales or sizes, every coordinate transformation, nearest rounding) and
 * Upsample (opsets 7 to 9, whose nearest rounding floors when enlarging and rounds up when
 * shrinking, on asymmetric coordinates) on feature maps, for segmentation-style networks. Only the
 * height and width may change; cubic interpolation, antialiasing and tf_crop_and_resize are refused.
 */
import { shapeStr } from '../../../errors.js';
import { attrFloat, attrFloats, attrInt, attrString } from '../attributes.js';
import type { Converter } from '../convert.js';
import type { Handler } from './types.js';

const TRANSFORMS = ['half_pixel', 'half_pixel_symmetric', 'pytorch_half_pixel', 'align_corners', 'asymmetric', 'tf_half_pixel_for_nn'];
const NEAREST = ['round_prefer_floor', 'round_prefer_ceil', 'floor', 'ceil'];

function emit(cv: Converter, scales: number[] | undefined, sizes: number[] | undefined, legacy: boolean): void {
  const x = cv.act(0);
  if (x.shape.length !== 4) cv.fail(`its input has shape ${shapeStr(x.shape)}; only 4-D feature maps are supported`);
  const [n, c, h, w] = x.shape as [number, number, number, number];
  let out: [number, number];
  let sc: [number, number] | undefined;
  if (sizes) {
    if (sizes.length !== 4 || sizes[0] !== n || sizes[1] !== c) cv.fail(`sizes ${shapeStr(sizes)} must keep the batch and channels of ${shapeStr(x.shape)}`);
    out = [sizes[2]!, sizes[3]!];
  } else if (scales) {
    if (scales.length !== 4 || scales[0] !== 1 || scales[1] !== 1) cv.fail(`scales ${shapeStr(scales)} must be 1 for the batch and channels`);
    sc = [scales[2]!, scales[3]!];
    out = [Math.floor(h * sc[0]), Math.floor(w * sc[1])];
  } else {
    return cv.fail('has neither scales nor sizes');
  }
  if (out.some((d) => d < 1)) cv.fail(`the output size [${out.join(', ')}] is empty`);
  const mode = attrString(cv.node, 'mode', 'nearest', cv);
  if (mode !== 'nearest' && mode !== 'linear' && mode !== 'bilinear') cv.fail(`mode '${mode}' is not supported (only nearest and linear)`);
  let transform: string;
  let nearest: string;
  if (legacy) {
    // Opset 9's Upsample and opset 10's Resize: asymmetric coordinates, nearest floors when
    // enlarging and rounds up when shrinking (ONNX Runtime's "simple" rounding).
    transform = 'asymmetric';
    const up = [out[0] >= h, out[1] >= w];
    if (mode === 'nearest' && up[0] !== up[1]) cv.fail('enlarges one axis and shrinks the other in nearest mode, which this opset rounds differently per axis; not supported');
    nearest = up[0] ? 'floor' : 'ceil';
  } else {
    transform = attrString(cv.node, 'coordinate_transformation_mode', 'half_pixel', cv);
    nearest = attrString(cv.node, 'nearest_mode', 'round_prefer_floor', cv);
    if (!TRANSFORMS.includes(transform)) cv.fail(`coordinate_transformation_mode '${transform}' is not supported (supported: ${TRANSFORMS.join(', ')})`);
    if (!NEAREST.includes(nearest)) cv.fail(`nearest_mode '${nearest}' is not supported`);
    if (attrInt(cv.node, 'antialias', 0, cv) !== 0) cv.fail('antialias = 1 is not supported');
    if (attrString(cv.node, 'keep_aspect_ratio_policy', 'stretch', cv) !== 'stretch') cv.fail('keep_aspect_ratio_policy other than stretch is not supported');
    if (cv.node.attributes.has('axes')) cv.fail('the axes attribute is not supported');
  }
  cv.emit('OnnxResize', {
    size: out, mode: mode === 'nearest' ? 'nearest' : 'linear', coordinate_transform: transform, nearest_mode: nearest, ...(sc ? { scales: sc } : {}),
  }, [x], { shape: [n, c, ...out] });
}

const resize: Handler = (cv) => {
  if (cv.opset < 11) {
    emit(cv, Array.from(cv.constValues(1, 'scales')?.data ?? []), undefined, true);
    return;
  }
  const scales = cv.constValues(2, 'scales');
  const sizes = cv.constValues(3, 'sizes');
  emit(cv, scales && scales.data.length ? Array.from(scales.data) : undefined, sizes && sizes.data.length ? Array.from(sizes.data) : undefined, false);
};

const upsample: Handler = (cv) => {
  const scales = cv.opset < 9 ? attrFloats(cv.node, 'scales', cv) : Array.from(cv.constValues(1, 'scales')?.data ?? []);
  if (cv.opset < 9 && !scales) {
    // Opset 7 before the scales list: height_scale and width_scale.
    emit(cv, [1, 1, attrFloat(cv.node, 'height_scale', 1, cv), attrFloat(cv.node, 'width_scale', 1, cv)], undefined, true);
    return;
  }
  emit(cv, scales, undefined, true);
};

export const resizeHandlers: Record<string, Handler> = { Resize: resize, Upsample: upsample };
