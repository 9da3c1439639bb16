#!/usr/bin/env python3
"""trl_lora.py - reference LoRA trainer for mnemo's training contract.

Reads a mnemo batch directory (train.jsonl / valid.jsonl in chat "messages"
format, DESIGN §7.1), fine-tunes a LoRA adapter on a causal LM with TRL's
SFTTrainer + PEFT, and writes the adapter plus metrics.json into --out.
Exit 0 and a non-empty --out mean success (docs/training.md).

Arguments mirror the trainer placeholders:

    trl_lora.py --batch-dir {batch_dir} --out {out} --base /path/to/hf-model
                [--incumbent {incumbent}] [--seed {seed}] [--request {request}]
                [--epochs 2] [--max-steps N] [--lr 2e-4] [--rank 16]
                [--gguf]   (also write adapter.gguf via llama.cpp's
                            convert_lora_to_gguf.py when it is on PATH)

--incumbent (a previous adapter directory) warm-starts from that adapter.

Needs: torch, transformers, peft, trl, datasets. NOTE: written without
PyTorch in the development environment of mnemo; untested there. Try it
on CPU with make_tiny_model.py (see docs/external-students.md).
"""
import argparse
import json
import os
import shutil
import subprocess
import sys
import time


def load_rows(path):
    rows = []
    if not os.path.exists(path):
        return rows
    with open(path, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            line = line.strip()
            if not line:
                continue
            row = json.loads(line)
            msgs = row.get("messages")
            if not isinstance(msgs, list) or not msgs or msgs[-1].get("role") != "assistant":
                sys.exit("%s:%d: not a chat row with a final assistant message" % (path, n))
            rows.append({"messages": msgs})
    return rows


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--batch-dir", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--base", required=True, help="Hugging Face model directory or id")
    ap.add_argument("--incumbent", default="")
    ap.add_argument("--request", default="")
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--epochs", type=float, default=2.0)
    ap.add_argument("--max-steps", type=int, default=-1)
    ap.add_argument("--lr", type=float, default=2e-4)
    ap.add_argument("--rank", type=int, default=16)
    ap.add_argument("--batch-size", type=int, default=4)
    ap.add_argument("--max-len", type=int, default=2048)
    ap.add_argument("--gguf", action="store_true")
    a = ap.parse_args()

    import torch
    from datasets import Dataset
    from peft import LoraConfig, PeftModel, get_peft_model
    from transformers import AutoModelForCausalLM, AutoTokenizer, set_seed
    from trl import SFTConfig, SFTTrainer

    set_seed(a.seed)
    train = load_rows(os.path.join(a.batch_dir, "train.jsonl"))
    valid = load_rows(os.path.join(a.batch_dir, "valid.jsonl"))
    if not train:
        sys.exit("no training rows in %s/train.jsonl" % a.batch_dir)
    print("trl_lora: %d train, %d valid rows" % (len(train), len(valid)), file=sys.stderr)

    tok = AutoTokenizer.from_pretrained(a.base)
    if tok.pad_token is None:
        tok.pad_token = tok.eos_token
    if getattr(tok, "chat_template", None) is None:
        # minimal template for base models without one
        tok.chat_template = ("{% for m in messages %}<|{{ m['role'] }}|>\n{{ m['content'] }}\n"
                             "{% endfor %}{% if add_generation_prompt %}<|assistant|>\n{% endif %}")
    cuda = torch.cuda.is_available()
    dtype = torch.bfloat16 if cuda and torch.cuda.is_bf16_supported() else torch.float32
    model = AutoModelForCausalLM.from_pretrained(a.base, torch_dtype=dtype)
    if a.incumbent and os.path.exists(os.path.join(a.incumbent, "adapter_config.json")):
        print("trl_lora: warm start from %s" % a.incumbent, file=sys.stderr)
        model = PeftModel.from_pretrained(model, a.incumbent, is_trainable=True)
    else:
        model = get_peft_model(model, LoraConfig(
            r=a.rank, lora_alpha=2 * a.rank, lora_dropout=0.05, task_type="CAUSAL_LM",
            target_modules="all-linear"))
    model.print_trainable_parameters()

    work = os.path.join(a.out, ".work")
    cfg = SFTConfig(
        output_dir=work, num_train_epochs=a.epochs, max_steps=a.max_steps,
        per_device_train_batch_size=a.batch_size, gradient_accumulation_steps=1,
        learning_rate=a.lr, lr_scheduler_type="cosine", warmup_ratio=0.05,
        logging_steps=5, save_strategy="no", report_to=[], seed=a.seed,
        eval_strategy="epoch" if valid else "no", bf16=dtype == torch.bfloat16,
        max_length=a.max_len, assistant_only_loss=False)
    t0 = time.time()
    trainer = SFTTrainer(model=model, args=cfg, train_dataset=Dataset.from_list(train),
                         eval_dataset=Dataset.from_list(valid) if valid else None,
                         processing_class=tok)
    result = trainer.train()
    metrics = {"trainer": "trl_lora", "base": a.base, "seed": a.seed,
               "train_rows": len(train), "valid_rows": len(valid),
               "train_loss": result.training_loss, "seconds": round(time.time() - t0, 1)}
    if valid:
        metrics["eval_loss"] = trainer.evaluate().get("eval_loss")
    trainer.model.save_pretrained(a.out)
    tok.save_pretrained(a.out)
    shutil.rmtree(work, ignore_errors=True)
    if a.gguf:
        conv = shutil.which("convert_lora_to_gguf.py")
        if not conv:
            sys.exit("--gguf: convert_lora_to_gguf.py (llama.cpp) is not on PATH")
        subprocess.check_call([sys.executable, conv, "--base", a.base, "--outfile",
                               os.path.join(a.out, "adapter.gguf"), a.out])
    with open(os.path.join(a.out, "metrics.json"), "w") as f:
        json.dump(metrics, f, indent=2)
    print("trl_lora: wrote %s (%s)" % (a.out, json.dumps(metrics)), file=sys.stderr)


if __name__ == "__main__":
    main()
