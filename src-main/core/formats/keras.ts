// Keras 3 `.keras` files: a zip holding config.json, metadata.json and the
// weights, `model.weights.h5` (an HDF5 image, stored uncompressed by Keras).
// The HDF5 image's contiguous datasets are the regions, at their offsets in the
// zip, named by their path inside it ("layers/dense/vars/0"). Everything else —
// the zip records, the JSON entries, the HDF5 structures — is the residual.

import { readHdf5Regions } from './hdf5';
import { FileBytes } from './file-bytes';
import type { FileLayout } from '../base/layout';
import { withZip, ZIP_STORED } from './zip-entries';

const WEIGHTS_ENTRY = 'model.weights.h5';

/**
 * Layout of a `.keras` zip. 'generic' if it holds no stored model.weights.h5
 * (weights saved as .npz, or compressed: no bytes to point at); BAD_FORMAT if
 * the zip or the HDF5 image inside it is broken.
 */
export async function readKerasLayout(path: string, size: number): Promise<FileLayout> {
  return withZip(path, async (zip) => {
    const entry = zip.entries.find((e) => e.name === WEIGHTS_ENTRY);
    if (!entry || entry.method !== ZIP_STORED || entry.encrypted || entry.uncompressedSize === 0) {
      return { format: 'generic', size, tensors: [] };
    }
    const start = await zip.dataStart(entry);
    const span = { start, length: entry.uncompressedSize };
    return FileBytes.with(path, size, async (file) => {
      if (!file.contains(span.start, span.length)) {
        file.fail(`zip entry ${WEIGHTS_ENTRY}: expected ${span.length} bytes at byte ${span.start}, found the file ends at byte ${size}`);
      }
      const tensors = await readHdf5Regions({ file, ...span });
      return tensors.length === 0 ? { format: 'generic', size, tensors: [] } : { format: 'keras', size, tensors };
    });
  });
}
