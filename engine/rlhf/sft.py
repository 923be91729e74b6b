"""The `sft` job: supervised fine-tuning of a policy on dialogues (loss on assistant tokens, packed)."""

from __future__ import annotations

import json
import os
import time
from typing import Callable

import torch

from engine import distributed
from engine.reward.data import DataError
from engine.reward.train import Cancelled, downsample

from . import common
from .finetune import FinetuneConfig, encode_examples, finetune
from .spec import SftSpec


def run_sft(spec: SftSpec, device: torch.device, report: Callable[..., None],
            should_stop: Callable[[], bool] = lambda: False) -> dict:
    start = time.time()
    torch.manual_seed(spec.seed)
    os.makedirs(spec.output_dir, exist_ok=True)
    report(phase="tokenizing", progress=0.0, metrics={})
    dialogues = common.read_dialogues(spec.train_file)
    if not dialogues:
        raise DataError("train_file holds no dialogues")
    model, tokenizer, adapter, params = common.load_trainable_policy(spec.base_model, device, spec.method, spec.seed)
    examples, truncated = encode_examples(tokenizer, dialogues, model.args.max_seq_len)
    cfg = FinetuneConfig(epochs=spec.epochs, learning_rate=spec.learning_rate, batch_size=spec.batch_size,
                         seed=spec.seed)
    report(phase="fine-tuning", progress=0.02, metrics={"examples": len(examples), "loss_curve": []})
    trained = finetune(model, examples, cfg, device, report, should_stop, progress=(0.02, 0.97),
                       metrics={"examples": len(examples)}, params=params)
    if should_stop():
        raise Cancelled()
    report(phase="saving", progress=0.98)
    if not distributed.current().is_main:  # rank 0 writes the artifacts
        return {"model_dir": os.path.join(spec.output_dir, "model"), "examples": len(examples),
                "train_steps": trained["train_steps"], "final_loss": trained["final_loss"], "seconds": 0.0}
    saved = common.save_trained_policy(model, adapter, spec.base_model, os.path.join(spec.output_dir, "model"),
                                       extra={"base_model": spec.base_model, "job": "sft", "seed": spec.seed},
                                       save_merged=spec.save_merged)
    curve = downsample(trained["loss_curve"])
    result = {**saved, "method": spec.method.name, "examples": len(examples), "train_steps": trained["train_steps"],
              "final_loss": trained["final_loss"], "seconds": round(time.time() - start, 3)}
    report(metrics={"loss_curve": curve, "examples": len(examples), "truncated_dialogues": truncated,
                    "tokens_per_second": trained["tokens_per_second"]})
    with open(os.path.join(spec.output_dir, "training.json"), "w") as f:
        json.dump({"spec": spec.to_json(), **result, "truncated_dialogues": truncated, "device": str(device),
                   "tokens_per_second": trained["tokens_per_second"], "loss_curve": curve}, f, indent=2)
    return result
