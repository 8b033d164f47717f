#!/usr/bin/python3
"""Writes checkpoints into a folder the way a trainer does, for the watch and
import tests: the same file names, in the same order, with the same deletions
right after a save completes. A small real torch model is trained a few steps
between saves, so the weights change a little from one checkpoint to the next.

Run with Debian's python (python3-torch, python3-numpy, python3-h5py):

    /usr/bin/python3 scripts/trainer-writers/write_run.py --layout hf --out RUN \
        --checkpoints 5 --save-total-limit 2 --manifest RUN.manifest.json

Layouts, each following the save code cited in docs/TRAINERS.md:

  hf            HF Trainer._save_checkpoint: checkpoint-<step>/ with config.json,
                model.safetensors, training_args.bin, optimizer.pt, scheduler.pt,
                rng_state.pth, then trainer_state.json LAST; then
                _rotate_checkpoints deletes the oldest folders beyond
                --save-total-limit (the best one is kept, as HF does).
  hf-sharded    the same with model-0000i-of-0000n.safetensors shards and
                model.safetensors.index.json written after them.
  lightning     ModelCheckpoint(filename="{epoch}-{step}-{val_loss:.2f}",
                monitor="val_loss", save_top_k=K, save_last=True): the top-k
                file, the removal of the file that fell out of the top k, then
                last.ckpt rewritten; each written to a temp file and moved into
                place, as _atomic_save's fsspec transaction does.
  keras         ModelCheckpoint("weights.{epoch:02d}-{val_loss:.2f}.weights.h5",
                save_weights_only=True): one HDF5 file per epoch, never deleted.
                --keras-format keras writes .keras zips (metadata.json,
                config.json, model.weights.h5) instead.
  tf            CheckpointManager(max_to_keep=K).save(): ckpt-N.data-00000-of-00001
                and ckpt-N.index staged in ckpt-N_temp/ and moved into place
                (index last), then the `checkpoint` state file rewritten
                atomically, old prefixes deleted, the state file rewritten again.
  plain-numbered  a script's save_file(state_dict, f"step_{step}.safetensors")
                straight to the final name (safetensors' save_file does not
                stage), deleting the oldest beyond --save-total-limit.
  plain-inplace   a script's torch.save(model.state_dict(), "model.pt") over the
                same name each epoch.

Keras and TensorFlow are not installed here: the keras and tf layouts mimic the
files' names, order and structure (HDF5 through h5py; TF bundles through the
writer in test/fixtures/make_formats_b.py, from the published format), not the
libraries' exact bytes. safetensors files are written by hand from the format
(the `safetensors` package is not installed either): an 8-byte header length,
the JSON header, the tensors' bytes.

--kill-after-bytes B ends the process abruptly (os._exit, no cleanup) once B
bytes have been written in all, in the middle of whatever file it is writing.
--manifest OUT.json records, after each checkpoint's completion sign is on disk
and before any rotation, its name, step, epoch, metrics and the sha256 of each
of its files: the oracle the watch tests compare restores against. The
manifest is rewritten (atomically) after each checkpoint, so a killed writer
leaves the list of the checkpoints it completed.
--sidecar writes <name>.meta.json ({"step", "epoch", "metrics"}) after each
plain save, the sidecar format Weightline reads (docs/TRAINERS.md).
"""

import argparse
import dataclasses
import hashlib
import importlib.util
import io
import json
import os
import random
import shutil
import struct
import sys
import tempfile
import time
import zipfile

import h5py
import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
KILLED_EXIT = 137


# --------------------------------------------------------------------------
# Writing with a byte budget, to be killed mid-save
# --------------------------------------------------------------------------

class Budget:
    def __init__(self, limit):
        self.limit = limit
        self.written = 0

    def take(self, n):
        """How many of n bytes may still be written; exits the process once the budget is spent."""
        if self.limit is None:
            return n
        left = self.limit - self.written
        return max(0, min(n, left))

    def spent(self, n):
        self.written += n
        if self.limit is not None and self.written >= self.limit:
            os._exit(KILLED_EXIT)


BUDGET = Budget(None)


class CountingFile:
    """A real file whose writes count against BUDGET; torch.save, h5py and zipfile write through it."""

    def __init__(self, path, mode="wb"):
        self.f = open(path, mode)

    def write(self, b):
        b = bytes(b)
        n = BUDGET.take(len(b))
        self.f.write(b[:n])
        if n < len(b):
            self.f.flush()
            os.fsync(self.f.fileno())
            BUDGET.spent(n)
            os._exit(KILLED_EXIT)
        BUDGET.spent(n)
        return len(b)

    def read(self, n=-1):
        return self.f.read(n)

    def seek(self, *a):
        return self.f.seek(*a)

    def tell(self):
        return self.f.tell()

    def truncate(self, *a):
        return self.f.truncate(*a)

    def flush(self):
        self.f.flush()

    def seekable(self):
        return True

    def readable(self):
        return "+" in self.f.mode or "r" in self.f.mode

    def writable(self):
        return True

    def close(self):
        self.f.close()


def write_bytes(path, data):
    f = CountingFile(path)
    try:
        # In pieces, so a budget can end the process mid-file.
        for i in range(0, len(data), 65536):
            f.write(data[i:i + 65536])
    finally:
        f.close()


def torch_save(obj, path):
    f = CountingFile(path)
    try:
        torch.save(obj, f)
    finally:
        f.close()


# --------------------------------------------------------------------------
# Formats written by hand
# --------------------------------------------------------------------------

ST_DTYPES = {torch.float32: "F32", torch.float16: "F16", torch.int64: "I64", torch.bfloat16: "BF16"}


def safetensors_bytes(tensors, metadata=None):
    """The safetensors format: u64 header length, JSON header, the data in header order."""
    header = {}
    chunks = []
    offset = 0
    for name, t in tensors.items():
        data = t.detach().contiguous().cpu().numpy().tobytes()
        header[name] = {"dtype": ST_DTYPES[t.dtype], "shape": list(t.shape), "data_offsets": [offset, offset + len(data)]}
        chunks.append(data)
        offset += len(data)
    if metadata:
        header["__metadata__"] = metadata
    h = json.dumps(header, separators=(",", ":")).encode()
    h += b" " * (-len(h) % 8)  # the reference writer pads the header to 8 bytes
    return struct.pack("<Q", len(h)) + h + b"".join(chunks)


def load_bundle_writer():
    path = os.path.join(HERE, "..", "..", "test", "fixtures", "make_formats_b.py")
    spec = importlib.util.spec_from_file_location("make_formats_b", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


# --------------------------------------------------------------------------
# The model and its training
# --------------------------------------------------------------------------

class Net(torch.nn.Module):
    def __init__(self, width):
        super().__init__()
        self.fc1 = torch.nn.Linear(32, width)
        self.fc2 = torch.nn.Linear(width, width)
        self.head = torch.nn.Linear(width, 4)

    def forward(self, x):
        return self.head(torch.relu(self.fc2(torch.relu(self.fc1(x)))))


class Training:
    def __init__(self, seed, width, lr=1e-2):
        torch.manual_seed(seed)
        random.seed(seed)
        np.random.seed(seed)
        self.model = Net(width)
        self.opt = torch.optim.Adam(self.model.parameters(), lr=lr)
        self.sched = torch.optim.lr_scheduler.StepLR(self.opt, step_size=10, gamma=0.9)
        self.x = torch.randn(64, 32)
        self.y = torch.randn(64, 4)
        self.vx = torch.randn(32, 32)
        self.vy = torch.randn(32, 4)
        self.step = 0
        self.log = []

    def train(self, steps):
        for _ in range(steps):
            self.opt.zero_grad()
            loss = torch.nn.functional.mse_loss(self.model(self.x), self.y)
            loss.backward()
            grad_norm = float(torch.nn.utils.clip_grad_norm_(self.model.parameters(), 1e9))
            self.opt.step()
            self.sched.step()
            self.step += 1
        return round(float(loss), 4), grad_norm

    def val_loss(self):
        with torch.no_grad():
            return float(torch.nn.functional.mse_loss(self.model(self.vx), self.vy))

    def lr(self):
        return float(self.sched.get_last_lr()[0])


def sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


class Manifest:
    def __init__(self, path, out):
        self.path = path
        self.out = out
        self.entries = []

    def record(self, name, paths, step=None, epoch=None, metrics=None):
        if not self.path:
            return
        files = {os.path.relpath(p, self.out).replace(os.sep, "/"): sha256(p) for p in sorted(paths)}
        self.entries.append({"name": name, "step": step, "epoch": epoch, "metrics": metrics or {}, "files": files})
        tmp = self.path + ".tmp"
        with open(tmp, "w") as f:
            json.dump({"checkpoints": self.entries}, f, indent=1)
        os.replace(tmp, self.path)


def files_under(d):
    out = []
    for root, _, names in os.walk(d):
        out.extend(os.path.join(root, n) for n in names)
    return out


# --------------------------------------------------------------------------
# Layouts
# --------------------------------------------------------------------------

@dataclasses.dataclass
class TrainerState:
    # The fields and order of transformers' TrainerState (trainer_callback.py).
    epoch: float = None
    global_step: int = 0
    max_steps: int = 0
    logging_steps: int = 500
    eval_steps: int = 500
    save_steps: int = 500
    train_batch_size: int = None
    num_train_epochs: int = 0
    num_input_tokens_seen: int = 0
    total_flos: float = 0
    log_history: list = None
    best_metric: float = None
    best_global_step: int = None
    best_model_checkpoint: str = None
    is_local_process_zero: bool = True
    is_world_process_zero: bool = True
    is_hyper_param_search: bool = False
    trial_name: str = None
    trial_params: dict = None
    stateful_callbacks: dict = None

    def save_to_json(self, json_path):
        # TrainerState.save_to_json: json.dumps(asdict, indent=2, sort_keys=True) + "\n", one write.
        json_string = json.dumps(dataclasses.asdict(self), indent=2, sort_keys=True) + "\n"
        write_bytes(json_path, json_string.encode("utf-8"))


def hf_sorted_checkpoints(out, best):
    folders = [d for d in os.listdir(out) if d.startswith("checkpoint-") and os.path.isdir(os.path.join(out, d))]
    ordered = sorted(folders, key=lambda d: int(d.split("-")[1]))
    # _sorted_checkpoints: the best checkpoint is moved to the second-to-last place so rotation keeps it.
    if best and os.path.basename(best) in ordered:
        i = ordered.index(os.path.basename(best))
        for j in range(i, len(ordered) - 2):
            ordered[j], ordered[j + 1] = ordered[j + 1], ordered[j]
    return ordered


def run_hf(args, t, manifest, sharded):
    out = args.out
    steps_per_save = args.steps_per_save
    n_per_epoch = steps_per_save * 2
    state = TrainerState(max_steps=steps_per_save * args.checkpoints, save_steps=steps_per_save, eval_steps=steps_per_save,
                         logging_steps=steps_per_save, train_batch_size=8, num_train_epochs=args.checkpoints // 2 + 1,
                         log_history=[], stateful_callbacks={"TrainerControl": {"args": {"should_save": True}, "attributes": {}}})
    config = {"architectures": ["Net"], "model_type": "weightline-test", "hidden_size": args.width, "torch_dtype": "float32",
              "transformers_version": "4.57.0"}
    for i in range(args.checkpoints):
        loss, grad_norm = t.train(steps_per_save)
        epoch = round(t.step / n_per_epoch, 4)
        state.global_step = t.step
        state.epoch = epoch
        state.log_history.append({"epoch": epoch, "grad_norm": grad_norm, "learning_rate": t.lr(), "loss": loss, "step": t.step})
        val = t.val_loss()
        state.log_history.append({"epoch": epoch, "eval_loss": val, "eval_runtime": 0.0123, "eval_samples_per_second": 2601.6,
                                  "eval_steps_per_second": 325.2, "step": t.step})
        name = f"checkpoint-{t.step}"
        folder = os.path.join(out, name)
        # _determine_best_metric (metric_for_best_model="eval_loss", greater_is_better=False)
        if state.best_metric is None or val < state.best_metric:
            state.best_metric = val
            state.best_global_step = t.step
        os.makedirs(folder, exist_ok=True)
        # save_model -> _save -> save_pretrained: config.json, then the weights; then training_args.bin.
        write_bytes(os.path.join(folder, "config.json"), (json.dumps(config, indent=2, sort_keys=True) + "\n").encode())
        sd = t.model.state_dict()
        if sharded:
            names = list(sd)
            half = (len(names) + 1) // 2
            parts = [names[:half], names[half:]]
            weight_map = {}
            total = 0
            for k, part in enumerate(parts):
                shard = f"model-{k + 1:05d}-of-{len(parts):05d}.safetensors"
                write_bytes(os.path.join(folder, shard), safetensors_bytes({n: sd[n] for n in part}, {"format": "pt"}))
                for n in part:
                    weight_map[n] = shard
                    total += sd[n].numel() * sd[n].element_size()
            index = {"metadata": {"total_size": total}, "weight_map": weight_map}
            write_bytes(os.path.join(folder, "model.safetensors.index.json"), (json.dumps(index, indent=2, sort_keys=True) + "\n").encode())
        else:
            write_bytes(os.path.join(folder, "model.safetensors"), safetensors_bytes(sd, {"format": "pt"}))
        torch_save({"output_dir": out, "save_total_limit": args.save_total_limit, "metric_for_best_model": "eval_loss", "seed": args.seed},
                   os.path.join(folder, "training_args.bin"))
        # best_model_checkpoint is set once the best step's folder exists (it may be this one, just written).
        best_dir = os.path.join(out, f"checkpoint-{state.best_global_step}")
        if os.path.exists(best_dir):
            state.best_model_checkpoint = best_dir
        torch_save(t.opt.state_dict(), os.path.join(folder, "optimizer.pt"))
        torch_save(t.sched.state_dict(), os.path.join(folder, "scheduler.pt"))
        torch_save({"python": random.getstate(), "numpy": np.random.get_state(), "cpu": torch.random.get_rng_state()},
                   os.path.join(folder, "rng_state.pth"))
        state.save_to_json(os.path.join(folder, "trainer_state.json"))
        manifest.record(name, files_under(folder), step=t.step, epoch=epoch,
                        metrics={"eval_loss": val, "loss": loss, "learning_rate": t.lr(), "grad_norm": grad_norm})
        # _rotate_checkpoints(use_mtime=True): right after the save, shutil.rmtree the oldest beyond the limit.
        if args.save_total_limit:
            ordered = hf_sorted_checkpoints(out, state.best_model_checkpoint)
            limit = args.save_total_limit
            if limit == 1 and state.best_model_checkpoint and os.path.basename(state.best_model_checkpoint) != ordered[-1]:
                limit = 2
            for old in ordered[:max(0, len(ordered) - limit)]:
                shutil.rmtree(os.path.join(out, old), ignore_errors=True)
        pause(args)


def lightning_state(t, epoch, cb):
    return {
        "epoch": epoch, "global_step": t.step, "pytorch-lightning_version": "2.5.0",
        "state_dict": t.model.state_dict(), "loops": {}, "callbacks": cb,
        "optimizer_states": [t.opt.state_dict()], "lr_schedulers": [t.sched.state_dict()],
    }


def atomic_torch_save(obj, path):
    # _atomic_save: an fsspec transaction writes a temp file, then moves it onto the name.
    fd, tmp = tempfile.mkstemp(dir=os.path.dirname(path))
    os.close(fd)
    torch_save(obj, tmp)
    os.replace(tmp, path)


def run_lightning(args, t, manifest):
    out = args.out
    k = args.save_total_limit or 1
    best_k = {}
    key = "ModelCheckpoint{'monitor': 'val_loss', 'mode': 'min', 'every_n_train_steps': 0, 'every_n_epochs': 1, 'train_time_interval': None}"
    for epoch in range(args.checkpoints):
        t.train(args.steps_per_save)
        val = t.val_loss()
        name = f"epoch={epoch}-step={t.step}-val_loss={val:.2f}.ckpt"
        path = os.path.join(out, name)
        # _save_topk_checkpoint -> _update_best_and_save
        del_path = None
        if len(best_k) < k or val < max(best_k.values()):
            if len(best_k) == k:
                del_path = max(best_k, key=best_k.get)
                best_k.pop(del_path)
            best_k[path] = val
            best = min(best_k, key=best_k.get)
            cb = {key: {"monitor": "val_loss", "best_model_score": best_k[best], "best_model_path": best, "current_score": val,
                        "dirpath": out, "best_k_models": dict(best_k), "kth_best_model_path": max(best_k, key=best_k.get),
                        "kth_value": max(best_k.values()), "last_model_path": os.path.join(out, "last.ckpt")}}
            atomic_torch_save(lightning_state(t, epoch, cb), path)
            manifest.record(name, [path], step=t.step, epoch=epoch, metrics={"val_loss": float(f"{val:.2f}")})
            if del_path and os.path.exists(del_path):
                os.remove(del_path)  # strategy.remove_checkpoint
        # _save_last_checkpoint: last.ckpt, a full save under the fixed name each time.
        best = min(best_k, key=best_k.get)
        cb = {key: {"monitor": "val_loss", "best_model_score": best_k[best], "best_model_path": best, "current_score": val, "dirpath": out,
                    "best_k_models": dict(best_k), "last_model_path": os.path.join(out, "last.ckpt")}}
        last = os.path.join(out, "last.ckpt")
        atomic_torch_save(lightning_state(t, epoch, cb), last)
        manifest.record("last.ckpt", [last], step=t.step, epoch=epoch)
        pause(args)


def keras_weights_h5(f, t, epoch):
    # Keras 3 save_weights layout: layers/<layer>/vars/<i>, optimizer/vars/<i>, vars.
    layers = f.create_group("layers")
    sd = t.model.state_dict()
    for layer in ("fc1", "fc2", "head"):
        v = layers.create_group(f"dense_{layer}").create_group("vars")
        v.create_dataset("0", data=sd[f"{layer}.weight"].T.numpy())
        v.create_dataset("1", data=sd[f"{layer}.bias"].numpy())
    opt = f.create_group("optimizer").create_group("vars")
    opt.create_dataset("0", data=np.array(t.step, dtype=np.int64))
    opt.create_dataset("1", data=np.array(t.lr(), dtype=np.float32))
    f.create_group("vars")
    f.attrs["epoch"] = epoch


def run_keras(args, t, manifest):
    out = args.out
    for epoch in range(1, args.checkpoints + 1):
        t.train(args.steps_per_save)
        val = t.val_loss()
        # filepath.format(epoch=epoch + 1, **logs): Keras numbers epochs from 1 in names.
        if args.keras_format == "keras":
            name = f"weights.{epoch:02d}-{val:.2f}.keras"
            path = os.path.join(out, name)
            buf = io.BytesIO()
            with h5py.File(buf, "w") as h:
                keras_weights_h5(h, t, epoch)
            f = CountingFile(path)
            try:
                # _save_model_to_fileobj: metadata.json, config.json, then model.weights.h5, into a zip on the final name.
                with zipfile.ZipFile(f, "w") as z:
                    z.writestr("metadata.json", json.dumps({"keras_version": "3.8.0", "date_saved": "2026-01-01@00:00:00"}))
                    z.writestr("config.json", json.dumps({"module": "keras", "class_name": "Sequential", "config": {"name": "net"}}))
                    z.writestr("model.weights.h5", buf.getvalue())
            finally:
                f.close()
        else:
            name = f"weights.{epoch:02d}-{val:.2f}.weights.h5"
            path = os.path.join(out, name)
            # save_weights_only: H5IOStore(filepath, mode="w") writes the file in place, closed at the end.
            f = CountingFile(path, "w+b")
            try:
                with h5py.File(f, "w") as h:
                    keras_weights_h5(h, t, epoch)
            finally:
                f.close()
        manifest.record(name, [path], step=t.step, epoch=epoch, metrics={})
        pause(args)


def tf_state_text(latest, paths, times, preserved):
    lines = [f'model_checkpoint_path: "{latest}"']
    lines += [f'all_model_checkpoint_paths: "{p}"' for p in paths]
    lines += [f"all_model_checkpoint_timestamps: {ts}" for ts in times]
    lines.append(f"last_preserved_timestamp: {preserved}")
    return ("\n".join(lines) + "\n").encode()


def atomic_write(path, data):
    # file_io.atomic_write_string_to_file: a temp file beside it, then rename.
    tmp = f"{path}.tmp{os.urandom(16).hex()}"
    write_bytes(tmp, data)
    os.replace(tmp, path)


def run_tf(args, t, manifest):
    bw = load_bundle_writer()
    out = args.out
    keep = args.save_total_limit
    maybe_delete = []  # (prefix, timestamp), oldest first
    preserved = time.time() - 1.0
    for n in range(1, args.checkpoints + 1):
        t.train(args.steps_per_save)
        prefix = f"ckpt-{n}"
        tensors = []
        for name, v in t.model.state_dict().items():
            key = f"model/{name.replace('.', '/')}/.ATTRIBUTES/VARIABLE_VALUE"
            tensors.append((key, "F32", list(v.shape), v.numpy().tobytes(), 0))
        tensors.append(("save_counter/.ATTRIBUTES/VARIABLE_VALUE", "I64", [], struct.pack("<q", n), 0))
        tensors.sort()
        # Sharded save: shards and a partial index in <prefix>_temp/, then MergeV2Checkpoints moves the
        # data into place and writes the merged index last.
        temp = os.path.join(out, f"{prefix}_temp")
        os.makedirs(temp, exist_ok=True)
        data = bytearray()
        entries = [(b"", bw.header_proto(1))]
        for key, dtype, shape, raw, _ in tensors:
            entries.append((key.encode(), bw.entry_proto(bw.TF_DTYPES[dtype], shape, 0, len(data), len(raw), bw.mask(bw.crc32c(raw)))))
            data.extend(raw)
        shard_name = f"{prefix}.data-00000-of-00001"
        write_bytes(os.path.join(temp, f"part-00000-of-00001.data-00000-of-00001"), bytes(data))
        os.replace(os.path.join(temp, "part-00000-of-00001.data-00000-of-00001"), os.path.join(out, shard_name))
        write_bytes(os.path.join(out, f"{prefix}.index"), bw.table(entries))
        shutil.rmtree(temp, ignore_errors=True)
        # write_done_callback=_record_and_sweep_state: record, sweep, record again.
        maybe_delete.append((prefix, time.time()))
        state_path = os.path.join(out, "checkpoint")
        atomic_write(state_path, tf_state_text(prefix, [p for p, _ in maybe_delete], [ts for _, ts in maybe_delete], preserved))
        manifest.record(prefix, [os.path.join(out, shard_name), os.path.join(out, f"{prefix}.index")], step=None, epoch=None)
        if keep:
            while len(maybe_delete) > keep:
                old, _ = maybe_delete.pop(0)
                for suffix in (".index", ".data-00000-of-00001"):
                    p = os.path.join(out, old + suffix)
                    if os.path.exists(p):
                        os.remove(p)
            atomic_write(state_path, tf_state_text(prefix, [p for p, _ in maybe_delete], [ts for _, ts in maybe_delete], preserved))
        pause(args)


def write_sidecar(args, path, step, epoch, metrics):
    if args.sidecar:
        write_bytes(path + ".meta.json", json.dumps({"step": step, "epoch": epoch, "metrics": metrics}, indent=1).encode())


def run_plain_numbered(args, t, manifest):
    out = args.out
    saved = []
    for i in range(args.checkpoints):
        loss, _ = t.train(args.steps_per_save)
        name = f"step_{t.step}.safetensors"
        path = os.path.join(out, name)
        write_bytes(path, safetensors_bytes(t.model.state_dict()))
        metrics = {"loss": loss, "val_loss": t.val_loss()}
        write_sidecar(args, path, t.step, i + 1, metrics)
        manifest.record(name, [path], step=t.step, epoch=i + 1, metrics=metrics)
        saved.append(path)
        while args.save_total_limit and len(saved) > args.save_total_limit:
            old = saved.pop(0)
            for p in (old, old + ".meta.json"):
                if os.path.exists(p):
                    os.remove(p)
        pause(args)


def run_plain_inplace(args, t, manifest):
    path = os.path.join(args.out, "model.pt")
    for epoch in range(1, args.checkpoints + 1):
        loss, _ = t.train(args.steps_per_save)
        torch_save(t.model.state_dict(), path)
        metrics = {"loss": loss, "val_loss": t.val_loss()}
        write_sidecar(args, path, t.step, epoch, metrics)
        manifest.record("model.pt", [path], step=t.step, epoch=epoch, metrics=metrics)
        pause(args)


def pause(args):
    if args.every_ms:
        time.sleep(args.every_ms / 1000.0)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--layout", required=True, choices=["hf", "hf-sharded", "lightning", "keras", "tf", "plain-numbered", "plain-inplace"])
    p.add_argument("--out", required=True, help="the run folder (created)")
    p.add_argument("--checkpoints", type=int, default=3)
    p.add_argument("--save-total-limit", type=int, default=0, help="HF save_total_limit, Lightning save_top_k, TF max_to_keep, plain: files kept (0: all)")
    p.add_argument("--every-ms", type=int, default=0, help="pause between saves")
    p.add_argument("--kill-after-bytes", type=int, default=None, help="exit abruptly once this many bytes are written")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--width", type=int, default=128, help="hidden width; 128 makes ~80 KB of weights, 16 a few KB")
    p.add_argument("--steps-per-save", type=int, default=5)
    p.add_argument("--keras-format", choices=["h5", "keras"], default="h5")
    p.add_argument("--sidecar", action="store_true", help="plain layouts: write <name>.meta.json after each save")
    p.add_argument("--manifest", default=None, help="record each completed checkpoint's files and sha256 here")
    args = p.parse_args(argv)
    BUDGET.limit = args.kill_after_bytes
    os.makedirs(args.out, exist_ok=True)
    t = Training(args.seed, args.width)
    manifest = Manifest(args.manifest, args.out)
    if args.layout in ("hf", "hf-sharded"):
        run_hf(args, t, manifest, sharded=args.layout == "hf-sharded")
    elif args.layout == "lightning":
        run_lightning(args, t, manifest)
    elif args.layout == "keras":
        run_keras(args, t, manifest)
    elif args.layout == "tf":
        run_tf(args, t, manifest)
    elif args.layout == "plain-numbered":
        run_plain_numbered(args, t, manifest)
    else:
        run_plain_inplace(args, t, manifest)
    return 0


if __name__ == "__main__":
    sys.exit(main())
