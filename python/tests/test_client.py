"""The client against the real CLI: commit, log, show, restore, errors, background commits."""

import os
import stat
import unittest
from pathlib import Path
from unittest import mock

import weightline
from weightline import _cli
from weightline.store import meta_args

from support import ScratchCase, sha256_file, write_safetensors


class CommitLogShowRestore(ScratchCase):
    def test_commit_log_show_restore_round_trip(self) -> None:
        store = weightline.Store.init(self.dir)
        model = self.dir / "ckpt" / "model.safetensors"
        write_safetensors(model, {"w": [0.5, 1.5, -2.0, 3.25]})
        first_sha = sha256_file(model)
        first = store.commit(model, message="epoch 1")
        self.assertIsInstance(first, weightline.CommitResult)
        self.assertRegex(first.id, r"^[0-9a-f]{64}$")
        self.assertEqual(first.type, "CHECKPOINT")
        self.assertIsNone(first.parent)
        self.assertEqual(first.logical_bytes, model.stat().st_size)
        self.assertFalse(first.unchanged)

        write_safetensors(model, {"w": [0.5, 1.5, -2.0, 3.5]})
        second = store.commit(model, message="epoch 2")
        self.assertEqual(second.parent, first.id)
        self.assertEqual(second.type, "DELTA")

        # Same bytes again: no commit, the answer names the commit that holds them.
        again = store.commit(model, message="epoch 2 again")
        self.assertTrue(again.unchanged)
        self.assertEqual(again.id, second.id)

        log = store.log()
        self.assertEqual([c.id for c in log], [second.id, first.id])
        self.assertEqual([c.message for c in log], ["epoch 2", "epoch 1"])
        self.assertEqual(log[0].path, "ckpt/model.safetensors")
        self.assertEqual(log[0].tags, [])
        self.assertEqual(log[0].meta, {})
        self.assertEqual([c.id for c in store.log(max_count=1)], [second.id])

        shown = store.show("HEAD~1")
        self.assertEqual(shown.id, first.id)
        self.assertEqual(shown.files[0]["sha256"], first_sha)
        self.assertEqual(shown.raw["files"][0]["path"], "model.safetensors")

        out = self.dir / "elsewhere" / "old.safetensors"
        restored = store.restore(first.id[:8], to=out)
        self.assertEqual(restored.id, first.id)
        self.assertEqual(Path(restored.target), out)
        self.assertEqual(sha256_file(out), first_sha)
        # The working copy is untouched by a restore elsewhere.
        self.assertNotEqual(sha256_file(model), first_sha)

    def test_a_relative_path_is_relative_to_the_script_not_the_store(self) -> None:
        store = weightline.Store.init(self.dir / "store")
        write_safetensors(self.dir / "store" / "m.safetensors", {"w": [1.0]})
        here = os.getcwd()
        os.chdir(self.dir / "store")
        self.addCleanup(os.chdir, here)
        c = store.commit("m.safetensors")
        self.assertEqual(store.show(c.id).path, "m.safetensors")
        os.chdir(self.dir)
        self.assertEqual(store.log()[0].id, c.id)


class Errors(ScratchCase):
    def test_commit_of_a_missing_path_raises_not_found_with_the_file(self) -> None:
        store = weightline.Store.init(self.dir)
        missing = self.dir / "nope.pt"
        with self.assertRaises(weightline.NotFoundError) as caught:
            store.commit(missing)
        e = caught.exception
        self.assertIsInstance(e, weightline.WeightlineError)
        self.assertEqual(e.code, "NOT_FOUND")
        self.assertEqual(e.exit_code, 1)
        self.assertEqual(e.file, str(missing))
        self.assertIn(str(missing), e.message)

    def test_a_folder_with_no_store_raises_not_a_store(self) -> None:
        write_safetensors(self.dir / "m.safetensors", {"w": [1.0]})
        with self.assertRaises(weightline.NotAStoreError) as caught:
            weightline.Store(self.dir).commit(self.dir / "m.safetensors")
        self.assertEqual(caught.exception.code, "NOT_A_STORE")

    def test_an_unknown_ref_raises_not_found_and_bad_usage_exits_2(self) -> None:
        store = weightline.Store.init(self.dir)
        write_safetensors(self.dir / "m.safetensors", {"w": [1.0]})
        store.commit(self.dir / "m.safetensors")
        with self.assertRaises(weightline.NotFoundError):
            store.show("abcdef12")
        with self.assertRaises(weightline.BadUsageError) as caught:
            store.log(max_count=0)
        self.assertEqual(caught.exception.exit_code, 2)

    def test_meta_the_store_would_refuse_is_refused_before_the_cli_runs(self) -> None:
        for bad in ({"step": -1}, {"step": 1.5}, {"epoch": float("nan")}, {"metrics": {"eval loss": 1.0}},
                    {"metrics": {"a=b": 1.0}}, {"metrics": {"loss": float("inf")}}, {"metrics": {"loss": "low"}}):
            with self.subTest(bad=bad), self.assertRaises(weightline.BadUsageError):
                meta_args(bad.get("step"), bad.get("epoch"), bad.get("metrics"))  # type: ignore[arg-type]
        self.assertEqual(
            meta_args(1200, 3, {"eval_loss": 0.41, "acc": 1}),
            ["--step", "1200", "--epoch", "3", "--metric", "eval_loss=0.41", "--metric", "acc=1.0"],
        )

    def test_a_cli_that_answers_no_json_is_an_internal_error_quoting_it(self) -> None:
        fake = self.dir / "fake-weightline"
        fake.write_text("#!/bin/sh\necho 'weightline: error: not built; run npm run build' >&2\nexit 1\n")
        fake.chmod(fake.stat().st_mode | stat.S_IXUSR)
        with self.assertRaises(weightline.InternalError) as caught:
            weightline.Store(self.dir, cli=[str(fake)]).log()
        self.assertIn("not built; run npm run build", caught.exception.message)
        self.assertEqual(caught.exception.exit_code, 1)

    def test_a_cli_that_cannot_be_started_is_not_found(self) -> None:
        with self.assertRaises(weightline.NotFoundError):
            weightline.Store(self.dir, cli=[str(self.dir / "no-such-program")]).log()

    def test_every_error_code_of_the_store_has_its_class(self) -> None:
        codes = Path(__file__).resolve().parents[2] / "src-shared" / "errors.ts"
        if not codes.is_file():
            self.skipTest("src-shared/errors.ts is not here (the package is installed outside the repository)")
        import re

        declared = set(re.findall(r"^\s*\| '([A-Z_]+)'", codes.read_text(), re.M))
        self.assertGreater(len(declared), 20)
        self.assertEqual(declared, set(weightline.ERROR_CLASSES))
        for code, cls in weightline.ERROR_CLASSES.items():
            e = _cli.error_from_stderr('{"error":{"code":"%s","message":"m"}}' % code, 1, ["weightline"])
            self.assertIs(type(e), cls)
        unknown = _cli.error_from_stderr('{"error":{"code":"SOMETHING_NEW","message":"m"}}', 1, ["weightline"])
        self.assertIs(type(unknown), weightline.WeightlineError)
        self.assertEqual(unknown.code, "SOMETHING_NEW")


class Background(ScratchCase):
    def test_wait_false_returns_a_handle_whose_wait_gives_the_commit(self) -> None:
        store = weightline.Store.init(self.dir)
        model = self.dir / "model.safetensors"
        write_safetensors(model, {"w": [float(i) for i in range(256)]})
        pending = store.commit(model, message="background", wait=False)
        self.assertIsInstance(pending, weightline.PendingCommit)
        result = pending.wait()
        self.assertTrue(pending.done())
        self.assertEqual(store.log()[0].id, result.id)
        self.assertEqual(store.log()[0].message, "background")

    def test_commits_of_one_store_never_overlap(self) -> None:
        # The store takes one writer at a time: a second commit started while
        # the first runs would be LOCKED; the Store waits for the first instead.
        store = weightline.Store.init(self.dir)
        a, b = self.dir / "a.safetensors", self.dir / "b.safetensors"
        write_safetensors(a, {"w": [1.0] * 64})
        write_safetensors(b, {"w": [2.0] * 64})
        first = store.commit(a, wait=False)
        second = store.commit(b, wait=False)
        ids = {first.wait().id, second.wait().id}
        self.assertEqual({c.id for c in store.log()}, ids)

    def test_cancel_leaves_the_store_as_before_the_commit(self) -> None:
        store = weightline.Store.init(self.dir)
        model = self.dir / "model.safetensors"
        write_safetensors(model, {"w": [float(i) for i in range(4096)]})
        pending = store.commit(model, wait=False)
        pending.cancel()
        try:
            made = pending.wait()
        except weightline.CancelledError as e:
            self.assertEqual(e.code, "CANCELLED")
            self.assertEqual(store.log(), [])
            # The store takes the next commit: no lock was left behind.
            self.assertEqual(store.commit(model).type, "CHECKPOINT")
        else:
            # It had finished before the signal: the commit stands, whole.
            self.assertEqual([c.id for c in store.log()], [made.id])

    def test_a_background_failure_is_raised_by_wait(self) -> None:
        store = weightline.Store.init(self.dir)
        pending = store.commit(self.dir / "missing.pt", wait=False)
        with self.assertRaises(weightline.NotFoundError):
            pending.wait()


class WithMeta(ScratchCase):
    def setUp(self) -> None:
        super().setUp()

    def test_step_epoch_and_metrics_are_on_the_commit(self) -> None:
        store = weightline.Store.init(self.dir)
        model = self.dir / "model.safetensors"
        write_safetensors(model, {"w": [1.0, 2.0]})
        c = store.commit(model, message="epoch 3", step=1200, epoch=3, metrics={"eval_loss": 0.41, "acc": 0.875})
        entry = store.log()[0]
        self.assertEqual(entry.id, c.id)
        self.assertEqual(entry.step, 1200)
        self.assertEqual(entry.epoch, 3)
        self.assertEqual(entry.metrics, {"eval_loss": 0.41, "acc": 0.875})
        self.assertEqual(store.show(c.id).meta.get("step"), 1200)


class FindingTheCli(unittest.TestCase):
    def test_the_env_var_is_a_command_line(self) -> None:
        with mock.patch.dict(os.environ, {"WEIGHTLINE_CLI": "node '/opt/my weightline/bin/weightline.mjs'"}):
            self.assertEqual(weightline.find_cli(), ["node", "/opt/my weightline/bin/weightline.mjs"])

    def test_then_path_then_the_repository(self) -> None:
        env = {k: v for k, v in os.environ.items() if k != "WEIGHTLINE_CLI"}
        with mock.patch.dict(os.environ, env, clear=True), mock.patch("shutil.which", side_effect=lambda n: "/usr/local/bin/weightline" if n == "weightline" else "/usr/bin/node"):
            self.assertEqual(weightline.find_cli(), ["/usr/local/bin/weightline"])
        with mock.patch.dict(os.environ, env, clear=True), mock.patch("shutil.which", side_effect=lambda n: None if n == "weightline" else "/usr/bin/node"):
            repo_bin = Path(weightline.__file__).resolve().parents[2] / "bin" / "weightline.mjs"
            if repo_bin.is_file():
                self.assertEqual(weightline.find_cli(), ["/usr/bin/node", str(repo_bin)])
            else:
                with self.assertRaises(weightline.NotFoundError):
                    weightline.find_cli()

    def test_json_values_are_read_pretty_or_one_per_line(self) -> None:
        self.assertEqual(_cli.decode_values('{\n  "a": 1\n}\n{"b": 2}\n[3]\n'), [{"a": 1}, {"b": 2}, [3]])
        e = _cli.error_from_stderr('weightline: warning: a note\n{"error":{"code":"LOCKED","message":"held"}}\n', 1, ["w"])
        self.assertIsInstance(e, weightline.LockedError)


if __name__ == "__main__":
    unittest.main()
