#!/usr/bin/python3
"""A real torch training loop that saves like Hugging Face's Trainer.

Used by bench/follow.ts (npm run bench -- --only=follow). It trains a small
MLP on synthetic regression data with AdamW and a linear warm-up schedule,
and every --every steps writes `checkpoint-<step>/` the way
transformers.Trainer._save_checkpoint does (docs/TRAINERS.md cites the
lines): the model (model.safetensors + config.json), training_args.bin,
optimizer.pt, scheduler.pt, rng_state.pth, and trainer_state.json LAST; then,
with --save-total-limit K, it deletes the oldest checkpoint folders beyond K
(Trainer._rotate_checkpoints), right after the new one is complete.

The `safetensors` Python package is not installed here, so model.safetensors
is written by the small writer below, byte for byte in the format
safetensors.torch.save_file produces (8-byte little-endian header length, the
JSON header padded with spaces to a multiple of 8, then the tensors in header
order).

Each completed checkpoint is appended to --events as one JSON line
{"checkpoint": name, "step": N, "completedAt": unix seconds, "bytes": B}, so
the bench can measure the lag from "complete" to "committed".
"""
import argparse
import json
import os
import shutil
import struct
import time

import torch

DTYPES = {torch.float32: 'F32', torch.float16: 'F16', torch.bfloat16: 'BF16', torch.int64: 'I64'}


def save_safetensors(tensors, path):
    header = {}
    offset = 0
    blobs = []
    for name in sorted(tensors):
        t = tensors[name].detach().contiguous().cpu()
        data = t.numpy().tobytes() if t.dtype != torch.bfloat16 else t.view(torch.int16).numpy().tobytes()
        header[name] = {'dtype': DTYPES[t.dtype], 'shape': list(t.shape), 'data_offsets': [offset, offset + len(data)]}
        offset += len(data)
        blobs.append(data)
    header['__metadata__'] = {'format': 'pt'}
    raw = json.dumps(header, separators=(',', ':')).encode()
    raw += b' ' * ((8 - len(raw) % 8) % 8)
    with open(path, 'wb') as f:
        f.write(struct.pack('<Q', len(raw)))
        f.write(raw)
        for b in blobs:
            f.write(b)


def main():
    p = argparse.ArgumentParser()
    p.add_argument('--out', required=True)
    p.add_argument('--checkpoints', type=int, default=50)
    p.add_argument('--every', type=int, default=20, help='optimizer steps between saves')
    p.add_argument('--save-total-limit', type=int, default=0, help='0: keep every checkpoint')
    p.add_argument('--hidden', type=int, default=512)
    p.add_argument('--events', required=True)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--lr", type=float, default=5e-5, help="peak learning rate (transformers.TrainingArguments defaults to 5e-5)")
    a = p.parse_args()

    torch.manual_seed(a.seed)
    os.makedirs(a.out, exist_ok=True)
    model = torch.nn.Sequential(
        torch.nn.Linear(64, a.hidden), torch.nn.GELU(),
        torch.nn.Linear(a.hidden, a.hidden), torch.nn.GELU(),
        torch.nn.Linear(a.hidden, a.hidden), torch.nn.GELU(),
        torch.nn.Linear(a.hidden, 8),
    )
    opt = torch.optim.AdamW(model.parameters(), lr=a.lr)
    total = a.checkpoints * a.every
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: min(1.0, (s + 1) / 50) * max(0.0, 1 - s / total))
    w_true = torch.randn(64, 8)
    x_eval = torch.randn(256, 64)
    y_eval = torch.tanh(x_eval @ w_true)
    state = {'best_metric': None, 'best_model_checkpoint': None, 'epoch': 0.0, 'global_step': 0,
             'log_history': [], 'max_steps': total, 'logging_steps': a.every, 'save_steps': a.every,
             'eval_steps': a.every, 'num_train_epochs': 1, 'train_batch_size': 32, 'is_world_process_zero': True}
    saved = []
    steps_per_epoch = 200
    for step in range(1, total + 1):
        x = torch.randn(32, 64)
        y = torch.tanh(x @ w_true)
        loss = torch.nn.functional.mse_loss(model(x), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
        sched.step()
        if step % a.every:
            continue
        with torch.no_grad():
            eval_loss = torch.nn.functional.mse_loss(model(x_eval), y_eval).item()
        epoch = step / steps_per_epoch
        state['global_step'] = step
        state['epoch'] = epoch
        state['log_history'].append({'loss': round(loss.item(), 6), 'learning_rate': sched.get_last_lr()[0], 'epoch': epoch, 'step': step})
        state['log_history'].append({'eval_loss': eval_loss, 'epoch': epoch, 'step': step})
        name = f'checkpoint-{step}'
        folder = os.path.join(a.out, name)
        if state['best_metric'] is None or eval_loss < state['best_metric']:
            state['best_metric'] = eval_loss
            state['best_model_checkpoint'] = folder
        os.makedirs(folder, exist_ok=True)
        # Trainer._save_checkpoint: save_model, then optimizer and scheduler, then rng state, then the state file.
        save_safetensors(model.state_dict(), os.path.join(folder, 'model.safetensors'))
        with open(os.path.join(folder, 'config.json'), 'w') as f:
            json.dump({'architectures': ['Mlp'], 'hidden_size': a.hidden, 'torch_dtype': 'float32'}, f, indent=2)
        torch.save({'learning_rate': a.lr, 'per_device_train_batch_size': 32, 'seed': a.seed}, os.path.join(folder, 'training_args.bin'))
        torch.save(opt.state_dict(), os.path.join(folder, 'optimizer.pt'))
        torch.save(sched.state_dict(), os.path.join(folder, 'scheduler.pt'))
        torch.save({'python': None, 'cpu': torch.random.get_rng_state()}, os.path.join(folder, 'rng_state.pth'))
        with open(os.path.join(folder, 'trainer_state.json'), 'w') as f:
            f.write(json.dumps(state, indent=2, sort_keys=True) + '\n')
        size = sum(os.path.getsize(os.path.join(folder, n)) for n in os.listdir(folder))
        with open(a.events, 'a') as f:
            f.write(json.dumps({'checkpoint': name, 'step': step, 'completedAt': time.time(), 'bytes': size}) + '\n')
        saved.append(folder)
        # Trainer._rotate_checkpoints: the oldest go first, the best one is never deleted.
        if a.save_total_limit > 0 and len(saved) > a.save_total_limit:
            best = state['best_model_checkpoint']
            deletable = [c for c in saved if c != best and c != folder]
            while len(saved) > a.save_total_limit and deletable:
                victim = deletable.pop(0)
                shutil.rmtree(victim, ignore_errors=True)
                saved.remove(victim)


if __name__ == '__main__':
    main()
