"""Tags and the background follower, against the real CLI."""

import os
import time
import unittest
from pathlib import Path
from typing import Callable, List

import weightline

from support import ScratchCase, sha256_file, write_safetensors


class Tags(ScratchCase):
    def setUp(self) -> None:
        super().setUp()
        self.store = weightline.Store.init(self.dir)
        self.model = self.dir / "model.safetensors"
        self.ids: List[str] = []
        self.shas: List[str] = []
        for i in range(3):
            write_safetensors(self.model, {"w": [float(i), 1.0, 2.0, 3.0]})
            self.shas.append(sha256_file(self.model))
            self.ids.append(self.store.commit(self.model, message=f"epoch {i + 1}").id)

    def test_tag_list_restore_by_name_move_and_delete(self) -> None:
        made = self.store.tag("best", self.ids[0])
        self.assertIsInstance(made, weightline.TagResult)
        self.assertEqual((made.name, made.commit, made.previous), ("best", self.ids[0], None))
        self.assertEqual(self.store.tag("latest").commit, self.ids[2])

        listed = {t.name: t.commit for t in self.store.tags()}
        self.assertEqual(listed, {"best": self.ids[0], "latest": self.ids[2]})
        by_id = {c.id: c for c in self.store.log()}
        self.assertEqual(by_id[self.ids[0]].tags, ["best"])
        self.assertEqual(by_id[self.ids[1]].tags, [])

        out = self.dir / "out" / "best.safetensors"
        self.assertEqual(self.store.restore("best", to=out).id, self.ids[0])
        self.assertEqual(sha256_file(out), self.shas[0])
        self.assertEqual(self.store.show("best").id, self.ids[0])

        moved = self.store.tag("best", self.ids[1])
        self.assertEqual((moved.commit, moved.previous), (self.ids[1], self.ids[0]))

        gone = self.store.untag("best")
        self.assertEqual((gone.name, gone.commit), ("best", None))
        self.assertEqual([t.name for t in self.store.tags()], ["latest"])
        # A deleted tag's name is no ref at all (not hex, no tag): bad usage, as a typo would be.
        with self.assertRaises(weightline.BadUsageError):
            self.store.show("best")

    def test_tag_errors_carry_codes(self) -> None:
        with self.assertRaises(weightline.NotFoundError):
            self.store.untag("never-set")
        with self.assertRaises(weightline.NotFoundError):
            self.store.tag("x", "deadbeef")
        with self.assertRaises(weightline.BadUsageError) as caught:
            self.store.tag("no spaces allowed", "HEAD")
        self.assertEqual(caught.exception.exit_code, 2)


def until(what: str, check: Callable[[], bool], limit: float = 120.0) -> None:
    """Wait for a condition the watch process makes true; the limit only keeps a broken watch from hanging the run."""
    deadline = time.monotonic() + limit
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"gave up waiting for {what} after {limit} s")
        time.sleep(0.2)


class Watch(ScratchCase):
    def setUp(self) -> None:
        super().setUp()

    def test_a_background_watch_commits_each_checkpoint_and_stop_returns_what_it_did(self) -> None:
        store = weightline.Store.init(self.dir)
        run = self.dir / "runs" / "r1"
        run.mkdir(parents=True)
        shas = {}
        with weightline.watch(run, store=store, settle_ms=100) as follower:
            self.assertTrue(follower.running())
            for step in (100, 200):
                target = run / f"step_{step}.safetensors"
                partial = run / f".step_{step}.tmp"
                write_safetensors(partial, {"w": [float(step), 2.0, 3.0]})
                os.replace(partial, target)
                shas[step] = sha256_file(target)
                until(f"the commit of step {step}", lambda: any(c.step == step for c in store.log()))
        result = follower.stop()  # already stopped by the with block: the same result again
        self.assertIsInstance(result, weightline.RunFollowResult)
        log = store.log()
        self.assertEqual([c.step for c in log], [200, 100])
        self.assertEqual(result.commits, [c.id for c in reversed(log)])
        self.assertEqual(result.removed, [])
        for c in log:
            out = self.dir / "out" / f"{c.step}.safetensors"
            store.restore(c.id, to=out)
            self.assertEqual(sha256_file(out), shas[c.step])
        # --then keep (the default): the trainer's files are all still there.
        self.assertEqual(sorted(p.name for p in run.iterdir() if not p.name.startswith(".")), ["step_100.safetensors", "step_200.safetensors"])

    def test_leaving_the_block_right_after_the_last_save_still_commits_it(self) -> None:
        # A training script ends its with-block the moment its last save
        # returns: no checkpoint may be lost to the stop, none committed twice.
        store = weightline.Store.init(self.dir)
        run = self.dir / "runs" / "r3"
        shas = {}
        with weightline.watch(run, store=store, then="remove", settle_ms=100) as follower:
            for step in (1, 2, 3):
                partial = run / f".step_{step}.tmp"
                write_safetensors(partial, {"w": [float(step)] * 32})
                os.replace(partial, run / f"step_{step}.safetensors")
                shas[step] = sha256_file(run / f"step_{step}.safetensors")
                if step == 1:
                    # The watch is running (not still starting) when the block ends.
                    until("the commit of step 1", lambda: any(c.step == 1 for c in store.log()))
        result = follower.stop()
        log = store.log()
        self.assertEqual([c.step for c in log], [3, 2, 1])
        self.assertEqual(sorted(result.commits), sorted(c.id for c in log))
        self.assertEqual(len(result.commits), 3)
        for c in log:
            out = self.dir / "out" / f"{c.step}.safetensors"
            store.restore(c.id, to=out)
            self.assertEqual(sha256_file(out), shas[c.step])
        # --then remove keeps the newest complete checkpoint for the trainer to resume from.
        self.assertEqual(sorted(p.name for p in run.iterdir() if not p.name.startswith(".")), ["step_3.safetensors"])

    def test_a_watch_stopped_as_soon_as_started_still_commits_what_is_there(self) -> None:
        # Stopped while node may still be starting (before the CLI handles
        # Ctrl+C), or just after: the outcome is the same.
        store = weightline.Store.init(self.dir)
        run = self.dir / "runs" / "r4"
        write_safetensors(run / "step_7.safetensors", {"w": [7.0, 7.0]})
        result = weightline.watch(run, store=store, settle_ms=0).stop()
        self.assertEqual([c.step for c in store.log()], [7])
        self.assertEqual(result.commits, [store.log()[0].id])

    def test_once_commits_what_is_complete_and_stops_by_itself(self) -> None:
        store = weightline.Store.init(self.dir)
        run = self.dir / "runs" / "r2"
        for step in (10, 20, 30):
            write_safetensors(run / f"step_{step}.safetensors", {"w": [float(step), 1.0]})
        result = store.watch(run, settle_ms=0, once=True).wait()
        self.assertEqual(result.stopped, "done")
        self.assertEqual([c.step for c in store.log()], [30, 20, 10])
        self.assertEqual(result.commits, [c.id for c in reversed(store.log())])

    def test_import_run_commits_a_finished_run_in_step_order_and_again_finds_it_all(self) -> None:
        store = weightline.Store.init(self.dir)
        run = self.dir / "runs" / "done"
        shas = {}
        # Written out of step order: the import orders by step, not by name or time.
        for step in (300, 100, 200):
            write_safetensors(run / f"step_{step}.safetensors", {"w": [float(step), 5.0, 6.0]})
            shas[step] = sha256_file(run / f"step_{step}.safetensors")
        first = store.import_run(run)
        self.assertIsInstance(first, weightline.RunFollowResult)
        log = store.log()
        self.assertEqual([c.step for c in log], [300, 200, 100])
        self.assertEqual(first.commits, [c.id for c in reversed(log)])
        for c in log:
            out = self.dir / "out" / f"{c.step}.safetensors"
            store.restore(c.id, to=out)
            self.assertEqual(sha256_file(out), shas[c.step])
        again = store.import_run(run)
        self.assertEqual(again.commits, first.commits)
        self.assertTrue(all(c.get("already") for c in again.checkpoints))
        self.assertEqual(len(store.log()), 3)

    def test_a_watch_that_fails_raises_its_error_from_stop(self) -> None:
        run = self.dir / "no-store-here" / "run"
        run.mkdir(parents=True)
        follower = weightline.watch(run, store=self.dir / "no-store-here")
        with self.assertRaises(weightline.NotAStoreError):
            follower.wait()
        with self.assertRaises(weightline.NotAStoreError):
            follower.stop()


class ArgumentsWithoutTheCli(unittest.TestCase):
    def test_watch_arguments_are_checked_first(self) -> None:
        # No CLI is started for arguments the watch command would refuse: the CLI given here does not exist.
        for bad in ({"then": "delete"}, {"keep_newest": 0}, {"keep_newest": True}, {"settle_ms": -1}):
            with self.subTest(bad=bad), self.assertRaises(weightline.BadUsageError):
                weightline.watch(Path("."), cli=["/nonexistent/weightline"], **bad)  # type: ignore[arg-type]


if __name__ == "__main__":
    unittest.main()
