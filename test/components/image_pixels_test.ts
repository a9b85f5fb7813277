import { expect } from '@esm-bundle/chai';
import { drawInput, MAX_INPUT_SIDE } from '../../components/internal/image-pixels.js';
import { ElementError } from '../../components/internal/errors.js';

describe('image pixels (what every element draws a model input through)', () => {
  it('refuses an input larger than the elements draw, naming its size and the limit, before making a canvas', () => {
    const src = document.createElement('canvas');
    src.width = src.height = 4;
    const made = document.createElement.bind(document);
    let canvases = 0;
    document.createElement = ((tag: string) => (tag === 'canvas' && canvases++, made(tag))) as typeof document.createElement;
    try {
      for (const [w, h] of [[100000, 100000], [MAX_INPUT_SIDE + 1, 8], [8, MAX_INPUT_SIDE + 1]] as const) {
        expect(() => drawInput(src, w, h), `${w}×${h}`).to.throw(ElementError, new RegExp(`^drawInput: an input of ${w}×${h} pixels is more than the ${MAX_INPUT_SIDE}×${MAX_INPUT_SIDE} an element can draw`));
      }
      expect(() => drawInput(src, 0.5, 8)).to.throw(ElementError, /an input of 0\.5×8 pixels/);
      expect(canvases).to.equal(0);
    } finally {
      document.createElement = made;
    }
    const ok = drawInput(src, MAX_INPUT_SIDE, 2);
    expect([ok.width, ok.height]).to.deep.equal([MAX_INPUT_SIDE, 2]);
  });
});
