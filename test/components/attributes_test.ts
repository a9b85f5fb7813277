import { expect } from '@esm-bundle/chai';
import { nextTile } from '../../components/internal/tile-keys.js';
import { pickChannels, parseNames, parseLabels, parseRange, fmt, shapeText, defaultLayer } from '../../components/internal/attributes.js';

describe('element attributes and tile keys', () => {
  it('channels: a count, "all", or indices and ranges, clipped to the layer', () => {
    expect(pickChannels('4', 32)).to.deep.equal([0, 1, 2, 3]);
    expect(pickChannels('40', 3)).to.deep.equal([0, 1, 2]);
    expect(pickChannels('', 10)).to.deep.equal([0, 1, 2, 3, 4, 5, 6, 7]);
    expect(pickChannels('all', 3)).to.deep.equal([0, 1, 2]);
    expect(pickChannels('0, 3, 5-7, 3', 7)).to.deep.equal([0, 3, 5, 6]);
    expect(pickChannels('9', 1)).to.deep.equal([0]);
    expect(pickChannels('12 13', 4)).to.deep.equal([0], 'nothing valid falls back to channel 0');
  });

  it('layers, labels and the input range', () => {
    expect(parseNames(' conv1, pool1  dense ')).to.deep.equal(['conv1', 'pool1', 'dense']);
    expect(parseLabels('["zero", 1, "two"]')).to.deep.equal(['zero', '1', 'two']);
    expect(parseLabels('cat, dog')).to.deep.equal(['cat', 'dog']);
    expect(parseLabels('labels/imagenet.json')).to.equal(null, 'a URL to fetch');
    expect(parseLabels('blob:http://x/1234')).to.equal(null, 'a URL to fetch');
    expect(parseLabels('/labels')).to.equal(null, 'a URL to fetch');
    expect(() => parseLabels('[1,')).to.throw();
    expect(parseRange('0 255')).to.deep.equal([0, 255]);
    expect(parseRange('-1, 1')).to.deep.equal([-1, 1]);
    expect(parseRange('255')).to.deep.equal([0, 255]);
    expect(parseRange('nonsense')).to.deep.equal([0, 1]);
  });

  it('numbers and shapes for people; which layers are drawn by default', () => {
    expect(fmt(0)).to.equal('0');
    expect(fmt(13.1234)).to.equal('13.1');
    expect(fmt(-0.000012)).to.equal('-1.20e-5');
    expect(fmt(123456)).to.equal('1.23e5');
    expect(shapeText([1, 26, 26, 8])).to.equal('26×26×8');
    expect(shapeText([1, 10])).to.equal('10');
    expect(defaultLayer('InputLayer')).to.equal(false);
    expect(defaultLayer('Dropout')).to.equal(false);
    expect(defaultLayer('Conv2D')).to.equal(true);
  });

  it('arrow keys, Home and End move over the tiles and stop at the edges', () => {
    const counts = [8, 3, 1];
    expect(nextTile('ArrowRight', { layer: 0, tile: 7 }, counts)).to.deep.equal({ layer: 0, tile: 7 });
    expect(nextTile('ArrowDown', { layer: 0, tile: 5 }, counts)).to.deep.equal({ layer: 1, tile: 2 });
    expect(nextTile('ArrowUp', { layer: 1, tile: 2 }, counts)).to.deep.equal({ layer: 0, tile: 2 });
    expect(nextTile('ArrowDown', { layer: 2, tile: 0 }, counts)).to.deep.equal({ layer: 2, tile: 0 });
    expect(nextTile('End', { layer: 1, tile: 0 }, counts)).to.deep.equal({ layer: 1, tile: 2 });
    expect(nextTile('Home', { layer: 0, tile: 4 }, counts)).to.deep.equal({ layer: 0, tile: 0 });
    expect(nextTile('a', { layer: 0, tile: 4 }, counts)).to.equal(null);
  });
});
