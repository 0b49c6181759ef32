// Resampling (NHWC): nearest-neighbour resize/upsample and depthToSpace/spaceToDepth, against the
// float64 references of kernels/resample.ts, with finite-difference gradients.
import './setup.ts';
import { suite } from 'uvu';
import { kiln, assert, expectClose, randArray } from './helpers.ts';
import { checkGrad } from './gradcheck.ts';
import { resizeNearestRef, depthToSpaceRef, spaceToDepthRef, nearestSource, resizeBilinearRef, bilinearAxis } from '../kernels/resample.ts';

const t = suite('resample');

t('resizeNearestNeighbor: up, down and mixed sizes match tf semantics (floor(i * in / out))', async () => {
  const cases: [number[], [number, number]][] = [
    [[2, 3, 4, 3], [6, 8]], [[1, 5, 7, 2], [3, 4]], [[1, 4, 4, 1], [9, 2]], [[3, 1, 1, 17], [2, 3]], [[1, 3, 5, 1], [3, 5]], [[2, 3, 2, 4], [7, 5]], [[1, 5, 4, 8], [2, 3]],
  ];
  for (const [shape, size] of cases) {
    const xv = randArray(shape.reduce((a, b) => a * b, 1), 3);
    const y = kiln.tidy(() => kiln.resizeNearestNeighbor(kiln.tensor(xv, shape), size));
    assert.equal([...y.shape], [shape[0], size[0], size[1], shape[3]]);
    expectClose(await y.data(), resizeNearestRef(xv, shape, size[0], size[1]), { rtol: 0, atol: 0 }, `${shape} -> ${size}`);
    y.dispose();
  }
  // a 2x2 image doubled: every pixel becomes a 2x2 block
  const y = kiln.tidy(() => kiln.upsampleNearest(kiln.tensor([1, 2, 3, 4], [1, 2, 2, 1]), 2));
  assert.equal(Array.from(await y.data()), [1, 1, 2, 2, 1, 1, 2, 2, 3, 3, 4, 4, 3, 3, 4, 4]);
  y.dispose();
  const z = kiln.tidy(() => kiln.upsampleNearest(kiln.tensor([1, 2], [1, 1, 2, 1]), [3, 1]));
  assert.equal([...z.shape], [1, 3, 2, 1]);
  assert.equal(Array.from(await z.data()), [1, 2, 1, 2, 1, 2]);
  z.dispose();
});

t('resize gradients sum the copies (up and down sampling)', async () => {
  await checkGrad('upsample x2', (x) => kiln.upsampleNearest(x, 2), (x) => resizeNearestRef(x, [2, 2, 3, 2], 4, 6), [[2, 2, 3, 2]]);
  await checkGrad('upsample [3, 2]', (x) => kiln.upsampleNearest(x, [3, 2]), (x) => resizeNearestRef(x, [1, 2, 2, 3], 6, 4), [[1, 2, 2, 3]]);
  await checkGrad('upsample x2 vec4', (x) => kiln.upsampleNearest(x, 2), (x) => resizeNearestRef(x, [1, 2, 3, 8], 4, 6), [[1, 2, 3, 8]]);
  await checkGrad('resize vec4 5x3 -> 2x4', (x) => kiln.resizeNearestNeighbor(x, [2, 4]), (x) => resizeNearestRef(x, [1, 5, 3, 4], 2, 4), [[1, 5, 3, 4]]);
  await checkGrad('resize 5x7 -> 3x4', (x) => kiln.resizeNearestNeighbor(x, [3, 4]), (x) => resizeNearestRef(x, [1, 5, 7, 1], 3, 4), [[1, 5, 7, 1]]);
  await checkGrad('resize 3x2 -> 7x5', (x) => kiln.resizeNearestNeighbor(x, [7, 5]), (x) => resizeNearestRef(x, [1, 3, 2, 2], 7, 5), [[1, 3, 2, 2]]);
});

t('alignCorners / halfPixelCenters pick source rows as tfjs; forward and gradients', async () => {
  // tfjs: 2 -> 3 with alignCorners: scale 1/2, round -> [0, 1, 1]; halfPixelCenters: floor((i + .5) * 2/3) -> [0, 1, 1]
  assert.equal(Array.from(nearestSource(2, 3, true, false)), [0, 1, 1]);
  assert.equal(Array.from(nearestSource(2, 3, false, true)), [0, 1, 1]);
  assert.equal(Array.from(nearestSource(5, 2, false, true)), [1, 3]);
  assert.equal(Array.from(nearestSource(5, 2, true, false)), [0, 4]);
  assert.equal(Array.from(nearestSource(3, 1, true, false)), [0]);
  const cases: [number[], [number, number]][] = [[[2, 3, 4, 3], [7, 5]], [[1, 5, 7, 4], [2, 3]], [[1, 2, 2, 8], [3, 3]], [[1, 4, 4, 1], [1, 9]]];
  for (const [shape, size] of cases) {
    const xv = randArray(shape.reduce((a, b) => a * b, 1), 9);
    for (const [ac, hp] of [[true, false], [false, true]]) {
      const y = kiln.tidy(() => kiln.resizeNearestNeighbor(kiln.tensor(xv, shape), size, ac, hp));
      expectClose(await y.data(), resizeNearestRef(xv, shape, size[0], size[1], ac, hp), { rtol: 0, atol: 0 }, `${shape} -> ${size} ac=${ac} hp=${hp}`);
      y.dispose();
    }
  }
  for (const [shape, size] of cases.slice(0, 3)) {
    const small = [1, shape[1], shape[2], shape[3] % 4 ? 2 : 4];
    for (const [ac, hp] of [[true, false], [false, true]]) {
      await checkGrad(`resize ${small} -> ${size} ac=${ac} hp=${hp}`, (x) => kiln.resizeNearestNeighbor(x, size, ac, hp),
        (x) => resizeNearestRef(x, small, size[0], size[1], ac, hp), [small]);
    }
  }
});

t('resizeBilinear: default, alignCorners, halfPixelCenters; up, down, 1, awkward sizes; scalar and vec4 channels', async () => {
  // hand-computed: a 1x2 row [0, 10] widened to 4: sources 0, .5, 1, 1.5 -> [0, 5, 10, 10];
  // alignCorners: 0, 1/3, 2/3, 1 -> [0, 10/3, 20/3, 10]; halfPixelCenters: -.25, .25, .75, 1.25 -> [0, 2.5, 7.5, 10]
  const row = kiln.tensor([0, 10], [1, 1, 2, 1]);
  const want: [boolean, boolean, number[]][] = [[false, false, [0, 5, 10, 10]], [true, false, [0, 10 / 3, 20 / 3, 10]], [false, true, [0, 2.5, 7.5, 10]]];
  for (const [ac, hp, v] of want) {
    const y = kiln.resizeBilinear(row, [1, 4], ac, hp);
    expectClose(await y.data(), v, { rtol: 1e-6, atol: 1e-6 }, `row ac=${ac} hp=${hp}`);
    y.dispose();
  }
  row.dispose();
  assert.equal(Array.from(bilinearAxis(3, 1, true, false).lo), [0]);
  const cases: [number[], [number, number]][] = [
    [[1, 1, 1, 3], [3, 17]], [[2, 3, 4, 3], [7, 5]], [[1, 17, 9, 1], [3, 129]], [[1, 129, 3, 4], [17, 2]], [[1, 5, 7, 8], [2, 3]], [[3, 4, 4, 17], [4, 4]], [[1, 224, 150, 3], [224, 224]],
  ];
  for (const [shape, size] of cases) {
    const xv = randArray(shape.reduce((a, b) => a * b, 1), 13);
    for (const [ac, hp] of [[false, false], [true, false], [false, true]]) {
      const y = kiln.tidy(() => kiln.resizeBilinear(kiln.tensor(xv, shape), size, ac, hp));
      assert.equal([...y.shape], [shape[0], size[0], size[1], shape[3]]);
      expectClose(await y.data(), resizeBilinearRef(xv, shape, size[0], size[1], ac, hp), { rtol: 1e-5, atol: 1e-6 }, `${shape} -> ${size} ac=${ac} hp=${hp}`);
      y.dispose();
    }
  }
});

t('resizeBilinear gradients: the interpolation weights gathered into each input pixel', async () => {
  const shapes: [number[], [number, number]][] = [[[1, 3, 4, 2], [5, 7]], [[2, 5, 6, 1], [2, 3]], [[1, 2, 3, 4], [4, 4]], [[1, 4, 1, 3], [7, 1]]];
  for (const [shape, size] of shapes) {
    for (const [ac, hp] of [[false, false], [true, false], [false, true]]) {
      await checkGrad(`resizeBilinear ${shape} -> ${size} ac=${ac} hp=${hp}`, (x) => kiln.resizeBilinear(x, size, ac, hp),
        (x) => resizeBilinearRef(x, shape, size[0], size[1], ac, hp), [shape]);
    }
  }
});

t('depthToSpace / spaceToDepth: TF DCR order, inverse of each other, gradients', async () => {
  const shape = [2, 2, 3, 8];
  const xv = randArray(96, 4);
  const y = kiln.tidy(() => kiln.depthToSpace(kiln.tensor(xv, shape), 2));
  assert.equal([...y.shape], [2, 4, 6, 2]);
  expectClose(await y.data(), depthToSpaceRef(xv, shape, 2), { rtol: 0, atol: 0 });
  const back = kiln.tidy(() => kiln.spaceToDepth(y, 2));
  assert.equal([...back.shape], shape);
  expectClose(await back.data(), xv, { rtol: 0, atol: 0 });
  expectClose(spaceToDepthRef(depthToSpaceRef(xv, shape, 2), [2, 4, 6, 2], 2), xv, { rtol: 0, atol: 0 }, 'references');
  kiln.dispose([y, back]);
  // tf.depthToSpace's documented example: [1, 1, 1, 4] -> [1, 2, 2, 1]
  const d = kiln.tidy(() => kiln.depthToSpace(kiln.tensor([1, 2, 3, 4], [1, 1, 1, 4]), 2));
  assert.equal(Array.from(await d.data()), [1, 2, 3, 4]);
  d.dispose();
  await checkGrad('depthToSpace', (x) => kiln.depthToSpace(x, 2), (x) => depthToSpaceRef(x, [1, 2, 2, 12], 2), [[1, 2, 2, 12]]);
  await checkGrad('spaceToDepth', (x) => kiln.spaceToDepth(x, 3), (x) => spaceToDepthRef(x, [1, 3, 6, 2], 3), [[1, 3, 6, 2]]);
});

t('errors', () => kiln.tidy(() => {
  const x = kiln.zeros([1, 2, 2, 3]);
  assert.throws(() => kiln.resizeNearestNeighbor(kiln.zeros([2, 2]), [4, 4]), /kiln\.resizeNearestNeighbor: x must be NHWC/);
  assert.throws(() => kiln.resizeNearestNeighbor(x, [0, 4]), /size must be \[newHeight, newWidth\]/);
  assert.throws(() => kiln.resizeNearestNeighbor(x, [4, 4], true, true), /alignCorners and halfPixelCenters cannot both be true/);
  assert.throws(() => kiln.resizeBilinear(kiln.zeros([2, 2]), [4, 4]), /kiln\.resizeBilinear: x must be NHWC/);
  assert.throws(() => kiln.resizeBilinear(x, [2.5, 4]), /kiln\.resizeBilinear: size must be \[newHeight, newWidth\]/);
  assert.throws(() => kiln.resizeBilinear(x, [4, 4], true, true), /kiln\.resizeBilinear: alignCorners and halfPixelCenters cannot both be true/);
  assert.throws(() => kiln.resizeBilinear(kiln.zeros([1, 2, 2, 1], 'int32'), [4, 4]), /kiln\.resizeBilinear: 'x' has dtype int32/);
  assert.throws(() => kiln.upsampleNearest(x, 1.5), /kiln\.upsampleNearest: scale must be a positive integer/);
  assert.throws(() => kiln.depthToSpace(x, 2), /must be divisible by blockSize\^2 = 4/);
  assert.throws(() => kiln.spaceToDepth(kiln.zeros([1, 3, 2, 1]), 2), /divisible by blockSize 2/);
}));

t.run();
