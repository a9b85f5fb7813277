/** What <cnn-filter-viewer> says, in English and Simplified Chinese. */
import { defineMessages } from './i18n.js';

export const filterText = defineMessages({
  en: {
    meta: '{className} · {n} filters of {h}×{w}×{c} · weights {min} … {max}',
    gridAria: '{shown} of the {n} filters of {layer}',
    filterAria: 'Filter {o}: {h} by {w}, weights {lo} to {hi}',
    rgb: 'Each filter’s weights on the red, green and blue input: grey is 0, brighter is positive, darker negative.',
    channelBefore: 'Weights on input channel {c}:',
    channelAfter: 'blue negative, white 0, red positive.',
    ownScale: 'Each filter on its own scale.',
    oneScale: 'All filters on one scale.',
    modelFailed: 'The model {url} could not be loaded',
    drawFailed: 'The filters could not be drawn',
  },
  'zh-Hans': {
    meta: '{className} · {n} 个 {h}×{w}×{c} 的滤波器 · 权重 {min} … {max}',
    gridAria: '{layer} 的 {n} 个滤波器中的 {shown} 个',
    filterAria: '滤波器 {o}：{h} × {w}，权重 {lo} 到 {hi}',
    rgb: '每个滤波器在红、绿、蓝输入上的权重：灰色为 0，较亮为正，较暗为负。',
    channelBefore: '输入通道 {c} 上的权重：',
    channelAfter: '蓝为负，白为 0，红为正。',
    ownScale: '每个滤波器按各自的范围着色。',
    oneScale: '所有滤波器使用同一范围。',
    modelFailed: '无法加载模型 {url}',
    drawFailed: '无法绘制滤波器',
  },
});
