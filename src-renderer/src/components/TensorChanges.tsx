// What changed in a version's tensors, as the details pane and the compare
// view both show it: the layers that moved most, then every tensor.

import type { FileSummary } from '../../../src-shared/model';
import { LayerChart } from './LayerChart';
import { TensorTable } from './TensorTable';

export function TensorChanges({ files, tensorsClassName }: { files: readonly FileSummary[]; tensorsClassName: string }) {
  return (
    <>
      <section aria-label="Layers that changed most">
        <h3>Layers that changed most</h3>
        <LayerChart files={files} />
      </section>
      <section aria-label="Tensors" className={tensorsClassName}>
        <h3>Tensors</h3>
        <TensorTable files={files} />
      </section>
    </>
  );
}
