"""A real torch training loop that versions itself through the client.

A tiny regression model trained for a few epochs; every epoch's
``torch.save(model.state_dict(), "model.pt")`` over the same path is
committed with its step, epoch and metrics (every other epoch in the
background while the next one trains). The last epoch is made to overshoot
(a learning rate far too high) so the best epoch by eval loss is an older
commit, not HEAD: restoring it must give back exactly what was saved then.
"""

import copy
import shutil
import tempfile
import unittest
from pathlib import Path
from typing import Any, Dict, List

import weightline

from support import sha256_file, torch_missing, use_cli

EPOCHS = 5
STEPS_PER_EPOCH = 20


@unittest.skipIf(torch_missing() is not None, torch_missing() or "")
class TorchTrainingLoop(unittest.TestCase):
    saved: List[Dict[str, Any]]

    @classmethod
    def setUpClass(cls) -> None:
        use_cli()
        import torch

        cls.torch = torch
        cls.dir = Path(tempfile.mkdtemp(prefix="weightline-torch-"))
        cls.store = weightline.Store.init(cls.dir)
        cls.model_path = cls.dir / "run" / "model.pt"
        cls.model_path.parent.mkdir()

        torch.manual_seed(0)
        model = torch.nn.Sequential(torch.nn.Linear(8, 16), torch.nn.ReLU(), torch.nn.Linear(16, 1))
        x = torch.randn(256, 8)
        y = x @ torch.randn(8, 1) + 0.1 * torch.randn(256, 1)
        train_x, train_y, eval_x, eval_y = x[:192], y[:192], x[192:], y[192:]
        loss_fn = torch.nn.MSELoss()

        cls.saved = []
        pending = None
        step = 0
        for epoch in range(1, EPOCHS + 1):
            # The last epoch overshoots, so the best checkpoint is an older one.
            lr = 0.05 if epoch < EPOCHS else 0.3
            opt = torch.optim.SGD(model.parameters(), lr=lr)
            model.train()
            for i in range(STEPS_PER_EPOCH):
                batch = slice((i * 16) % 192, (i * 16) % 192 + 16)
                opt.zero_grad()
                loss = loss_fn(model(train_x[batch]), train_y[batch])
                loss.backward()
                opt.step()
                step += 1
            model.eval()
            with torch.no_grad():
                eval_loss = loss_fn(model(eval_x), eval_y).item()
            # The file is rewritten in place: the commit before must have read it.
            if pending is not None:
                pending.wait()
            torch.save(model.state_dict(), cls.model_path)
            kept = {"epoch": epoch, "step": step, "eval_loss": eval_loss, "train_loss": loss.item(),
                    "state": copy.deepcopy(model.state_dict()), "sha256": sha256_file(cls.model_path)}
            meta = {"step": step, "epoch": epoch, "metrics": {"eval_loss": eval_loss, "train_loss": loss.item()}}
            if epoch % 2 == 0:
                pending = cls.store.commit(cls.model_path, message=f"epoch {epoch}", wait=False, **meta)
                kept["pending"] = pending
            else:
                pending = None
                kept["commit"] = cls.store.commit(cls.model_path, message=f"epoch {epoch}", **meta).id
            cls.saved.append(kept)
        if pending is not None:
            pending.wait()
        for kept in cls.saved:
            if "pending" in kept:
                kept["commit"] = kept.pop("pending").wait().id
        cls.best = min(cls.saved, key=lambda k: k["eval_loss"])

    @classmethod
    def tearDownClass(cls) -> None:
        shutil.rmtree(cls.dir, ignore_errors=True)

    def assert_same_state(self, path: Path, expected: Dict[str, Any]) -> None:
        loaded = self.torch.load(path)
        self.assertEqual(list(loaded), list(expected))
        for name, tensor in expected.items():
            self.assertTrue(self.torch.equal(loaded[name], tensor), f"{name} differs after the restore")

    def test_every_epoch_is_one_commit_and_the_best_is_not_head(self) -> None:
        log = self.store.log()
        self.assertEqual([c.id for c in log], [k["commit"] for k in reversed(self.saved)])
        self.assertEqual([c.message for c in log], [f"epoch {e}" for e in range(EPOCHS, 0, -1)])
        self.assertEqual(len({k["sha256"] for k in self.saved}), EPOCHS)
        self.assertNotEqual(self.best["epoch"], EPOCHS, "the overshooting last epoch must not be the best")

    def test_the_best_epoch_restores_bit_exact(self) -> None:
        out = self.dir / "restored" / "best.pt"
        result = self.store.restore(self.best["commit"], to=out)
        self.assertEqual(result.id, self.best["commit"])
        self.assertEqual(sha256_file(out), self.best["sha256"])
        self.assert_same_state(out, self.best["state"])
        # The training's own file still holds the last epoch, not the best.
        self.assertEqual(sha256_file(self.model_path), self.saved[-1]["sha256"])
        self.assert_same_state(self.model_path, self.saved[-1]["state"])

    def test_every_commit_restores_the_state_it_saved(self) -> None:
        for kept in self.saved:
            out = self.dir / "every" / f"epoch-{kept['epoch']}.pt"
            self.store.restore(kept["commit"], to=out)
            self.assertEqual(sha256_file(out), kept["sha256"])
            self.assert_same_state(out, kept["state"])

    def test_the_log_carries_step_epoch_and_metrics_and_finds_the_best(self) -> None:
        by_id = {c.id: c for c in self.store.log()}
        for kept in self.saved:
            c = by_id[kept["commit"]]
            self.assertEqual((c.step, c.epoch), (kept["step"], kept["epoch"]))
            self.assertEqual(c.metrics, {"eval_loss": kept["eval_loss"], "train_loss": kept["train_loss"]})
        self.assertEqual(self.store.best("eval_loss").id, self.best["commit"])

    def test_tag_the_best_and_restore_it_by_name(self) -> None:
        tagged = self.store.tag("best", self.best["commit"])
        self.assertEqual((tagged.name, tagged.commit), ("best", self.best["commit"]))
        self.assertIn("best", next(c for c in self.store.log() if c.id == self.best["commit"]).tags)
        out = self.dir / "by-tag" / "best.pt"
        self.assertEqual(self.store.restore("best", to=out).id, self.best["commit"])
        self.assertEqual(sha256_file(out), self.best["sha256"])
        self.assert_same_state(out, self.best["state"])


@unittest.skipIf(torch_missing() is not None, torch_missing() or "")
class TorchLoopFollowedByWatch(unittest.TestCase):
    """The same kind of loop with no commit call in it: a background watch
    follows the numbered saves, and ``then="remove"`` leaves only the newest."""

    def setUp(self) -> None:
        use_cli()
        self.dir = Path(tempfile.mkdtemp(prefix="weightline-torch-watch-"))
        self.addCleanup(shutil.rmtree, self.dir, True)

    def test_every_save_is_committed_and_restores_to_the_same_state(self) -> None:
        import torch

        store = weightline.Store.init(self.dir)
        run = self.dir / "runs" / "tiny"
        run.mkdir(parents=True)
        torch.manual_seed(1)
        model = torch.nn.Linear(6, 3)
        opt = torch.optim.SGD(model.parameters(), lr=0.1)
        x, y = torch.randn(64, 6), torch.randn(64, 3)
        saved = {}
        with weightline.watch(run, store=store, then="remove", settle_ms=100) as follower:
            for step in range(10, 50, 10):
                for _ in range(10):
                    opt.zero_grad()
                    torch.nn.functional.mse_loss(model(x), y).backward()
                    opt.step()
                torch.save(model.state_dict(), run / f"step_{step}.pt")
                saved[step] = (copy.deepcopy(model.state_dict()), sha256_file(run / f"step_{step}.pt"))
        result = follower.stop()
        log = store.log()
        self.assertEqual([c.step for c in log], [40, 30, 20, 10])
        self.assertEqual(sorted(result.commits), sorted(c.id for c in log))
        for c in log:
            out = self.dir / "restored" / f"step_{c.step}.pt"
            store.restore(c.id, to=out)
            state, sha = saved[c.step]
            self.assertEqual(sha256_file(out), sha)
            loaded = torch.load(out)
            self.assertEqual(list(loaded), list(state))
            for name, tensor in state.items():
                self.assertTrue(torch.equal(loaded[name], tensor), f"{name} of step {c.step} differs")
        self.assertEqual(sorted(p.name for p in run.iterdir()), ["step_40.pt"])


if __name__ == "__main__":
    unittest.main()
