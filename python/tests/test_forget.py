"""Forget, the operations log and undo, against the real CLI."""

from typing import List

import weightline

from support import ScratchCase, sha256_file, write_safetensors


class Forget(ScratchCase):
    def setUp(self) -> None:
        super().setUp()
        self.store = weightline.Store.init(self.dir)
        self.model = self.dir / "model.safetensors"
        self.ids: List[str] = []
        self.shas: List[str] = []
        losses = [0.9, 0.5, 0.7, 0.6, 0.8, 0.65]
        for i, loss in enumerate(losses):
            write_safetensors(self.model, {"w": [float(i), 1.0, 2.0, float(i * i)], "b": [0.5, float(i)]})
            self.shas.append(sha256_file(self.model))
            self.ids.append(self.store.commit(self.model, message=f"step {i * 100}", step=i * 100, metrics={"eval_loss": loss}).id)

    def test_preview_forget_ops_undo(self) -> None:
        preview = self.store.forget(keep_last=2, keep_best=["1:eval_loss:min"], dry_run=True)
        self.assertIsInstance(preview, weightline.ForgetPlan)
        self.assertTrue(preview.dry_run)
        # Kept: the newest 2 (ids 4, 5) and the best eval_loss (id 1, 0.5); the rest go.
        self.assertEqual(sorted(preview.forgotten_ids), sorted([self.ids[0], self.ids[2], self.ids[3]]))
        self.assertEqual(preview.kept, 3)
        self.assertEqual([c.id for c in self.store.log()].count(self.ids[0]), 1, "a preview changes nothing")

        done = self.store.forget(keep_last=2, keep_best=["1:eval_loss:min"])
        self.assertFalse(done.dry_run)
        self.assertEqual(sorted(done.forgotten_ids), sorted(preview.forgotten_ids))
        self.assertEqual(done.bytes_freed, preview.bytes_freed, "the preview's bytes are the run's, to the byte")
        left = {c.id for c in self.store.log()}
        self.assertEqual(left, {self.ids[1], self.ids[4], self.ids[5]})
        for i in (1, 4, 5):
            out = self.dir / "out" / f"v{i}.safetensors"
            self.store.restore(self.ids[i], to=out)
            self.assertEqual(sha256_file(out), self.shas[i])

        ops = self.store.ops()
        self.assertEqual(ops[0].kind, "forget")
        self.assertTrue(ops[0].undoable)
        self.assertEqual(sorted(ops[0].commits), sorted(done.forgotten_ids))

        back = self.store.undo()
        self.assertIsInstance(back, weightline.UndoResult)
        self.assertEqual(sorted(back.restored), sorted(done.forgotten_ids))
        self.assertEqual({c.id for c in self.store.log()}, set(self.ids))
        for i in range(len(self.ids)):
            out = self.dir / "back" / f"v{i}.safetensors"
            self.store.restore(self.ids[i], to=out)
            self.assertEqual(sha256_file(out), self.shas[i])
        self.assertFalse(self.store.ops()[1].undoable, "an undone forget cannot be undone again")

    def test_an_empty_policy_is_bad_usage(self) -> None:
        with self.assertRaises(weightline.BadUsageError):
            self.store.forget()
