#!/usr/bin/env python3
"""lora.py - LoRA trainer for mnemo's trainer contract (docs/training.md)
that needs only PyTorch, transformers and PEFT.

Reads a mnemo batch directory (train.jsonl / valid.jsonl, chat rows
{"messages": [system, user, assistant]}), fine-tunes a LoRA adapter on a
causal LM with the loss on the assistant's answer only (the prompt's tokens
are masked), and writes the adapter, the tokenizer and metrics.json into
--out. Exit 0 and a non-empty --out mean success.

    lora.py --batch-dir {batch_dir} --out {out} --base /models/hf-model
            [--incumbent {incumbent}] [--seed {seed}] [--request {request}]
            [--epochs 2] [--max-steps N] [--lr 2e-4] [--rank 16] [--alpha 32]
            [--batch-size 8] [--grad-accum 1] [--max-len 2048] [--merge]
            [--full] [--attn eager] [--engine own|trl]

--incumbent    the current registry version: an adapter directory
               (adapter_config.json) warm-starts the new adapter from it; a
               full model directory (config.json, e.g. an earlier --merge or
               --full) becomes the base. Absent or "none": a fresh adapter.
--merge        also write the merged model (base + adapter) to {out}/merged/,
               for servers that take one plain model directory.
--full         train every weight instead of an adapter and write a full
               model directory (used to pre-train a tiny model; see
               contrib/gpu-check.sh).
--engine trl   hand over to trl_lora.py (TRL's SFTTrainer; needs trl and
               datasets). The default, "own", is a plain PyTorch loop.

Deterministic for a seed on the same machine and versions: the seed fixes
the adapter's initialisation, the shuffling and dropout;
torch.use_deterministic_algorithms is on (warn only) and cuBLAS is given a
fixed workspace. Fused attention kernels may still add in a varying
order on a GPU: --attn eager makes reruns bit-identical there.

metrics.json: trainer, engine, base, warm_start, seed, rows (train, valid,
skipped as too long), steps, epochs, losses ([step, mean training loss] every
--log-every steps), train_loss_first/last, valid_loss_before/after,
seconds (whole run), train_seconds, tokens (non-padding tokens seen),
tokens_per_s, answer_tokens, trainable and total parameters, device,
versions of torch, transformers and peft.
"""
import argparse
import json
import math
import os
import random
import sys
import time

# before torch/transformers are imported: no network, fixed cuBLAS
# workspace (deterministic matmuls), quiet tokenizers
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")

# Used when the tokenizer has no chat template (a base model); the same
# text is in contrib/serve/openai_server.py, which must prompt the model
# the way it was trained.
FALLBACK_TEMPLATE = ("{% for m in messages %}<|{{ m['role'] }}|>\n{{ m['content'] }}\n"
                     "{% endfor %}{% if add_generation_prompt %}<|assistant|>\n{% endif %}")


def log(msg):
    print("lora: " + msg, file=sys.stderr, flush=True)


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
            if (not isinstance(msgs, list) or not msgs or not isinstance(msgs[-1], dict)
                    or msgs[-1].get("role") != "assistant"
                    or not isinstance(msgs[-1].get("content"), str)):
                sys.exit("%s:%d: not a chat row with a final assistant message" % (path, n))
            rows.append(msgs)
    return rows


def load_tokenizer(path):
    from transformers import AutoTokenizer

    tok = AutoTokenizer.from_pretrained(path)
    if tok.pad_token is None:
        tok.pad_token = tok.eos_token
    if not getattr(tok, "chat_template", None):
        tok.chat_template = FALLBACK_TEMPLATE
    return tok


def encode_row(tok, msgs, max_len):
    """(input_ids, labels): the prompt rendered by the chat template with
    the generation prompt, then the answer (the rest of the rendered
    conversation: the content and the template's end-of-turn). Labels are
    -100 on the prompt. None when the row does not fit max_len."""
    prompt = tok.apply_chat_template(msgs[:-1], tokenize=False, add_generation_prompt=True)
    full = tok.apply_chat_template(msgs, tokenize=False)
    if full.startswith(prompt):
        answer = full[len(prompt):]
    else:  # a template that renders the last turn differently: content + EOS
        answer = msgs[-1]["content"] + (tok.eos_token or "")
    if tok.eos_token and tok.eos_token not in answer:
        answer += tok.eos_token
    p = tok(prompt, add_special_tokens=False)["input_ids"]
    a = tok(answer, add_special_tokens=False)["input_ids"]
    if len(p) + len(a) > max_len:
        return None
    return p + a, [-100] * len(p) + a


def collate(batch, pad_id, torch, device, multiple=64):
    """Right-padded to a multiple of 64 tokens: a handful of shapes, so the
    GPU's kernel choices (cuDNN attention plans, ...) are made once each
    rather than once per batch."""
    n = max(len(x) for x, _ in batch)
    n = -(-n // multiple) * multiple
    ids = torch.full((len(batch), n), pad_id, dtype=torch.long)
    lab = torch.full((len(batch), n), -100, dtype=torch.long)
    att = torch.zeros((len(batch), n), dtype=torch.long)
    for i, (x, y) in enumerate(batch):
        ids[i, :len(x)] = torch.tensor(x)
        lab[i, :len(y)] = torch.tensor(y)
        att[i, :len(x)] = 1
    return ids.to(device), lab.to(device), att.to(device)


def batch_loss(model, ids, lab, att, torch, amp):
    """Mean cross-entropy over the answer tokens, and their count."""
    with torch.autocast(device_type=ids.device.type, dtype=torch.bfloat16, enabled=amp):
        logits = model(input_ids=ids, attention_mask=att).logits
    logits = logits[:, :-1, :].float()
    target = lab[:, 1:]
    loss = torch.nn.functional.cross_entropy(logits.reshape(-1, logits.size(-1)),
                                             target.reshape(-1), ignore_index=-100,
                                             reduction="sum")
    n = (target != -100).sum()
    return loss, n


def evaluate(model, data, bs, pad_id, torch, device, amp):
    if not data:
        return None
    model.eval()
    tot, cnt = 0.0, 0
    with torch.no_grad():
        for i in range(0, len(data), bs):
            ids, lab, att = collate(data[i:i + bs], pad_id, torch, device)
            loss, n = batch_loss(model, ids, lab, att, torch, amp)
            tot += float(loss)
            cnt += int(n)
    model.train()
    return round(tot / max(cnt, 1), 5)


def versions():
    out = {}
    for name in ("torch", "transformers", "peft", "tokenizers"):
        try:
            out[name] = __import__(name).__version__
        except Exception:  # noqa: BLE001 - a missing optional package
            out[name] = None
    return out


def load_model(path, dtype, device, attn=None):
    from transformers import AutoModelForCausalLM

    kw = {"attn_implementation": attn} if attn else {}
    try:
        m = AutoModelForCausalLM.from_pretrained(path, dtype=dtype, **kw)
    except TypeError:  # transformers before "dtype" (it was "torch_dtype")
        m = AutoModelForCausalLM.from_pretrained(path, torch_dtype=dtype, **kw)
    return m.to(device)


def main():
    t_start = time.time()
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--batch-dir", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--base", required=True, help="Hugging Face model directory")
    ap.add_argument("--incumbent", default="")
    ap.add_argument("--request", default="")
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--epochs", type=float, default=2.0)
    ap.add_argument("--max-steps", type=int, default=-1)
    ap.add_argument("--max-seconds", type=float, default=0,
                    help="fit the run into this much training time: after 10 steps, fewer "
                         "steps when the planned ones would take longer (0: no limit)")
    ap.add_argument("--lr", type=float, default=2e-4)
    ap.add_argument("--warmup", type=float, default=0.05, help="share of steps")
    ap.add_argument("--weight-decay", type=float, default=0.0)
    ap.add_argument("--rank", type=int, default=16)
    ap.add_argument("--alpha", type=float, default=0, help="LoRA alpha (default 2 x rank)")
    ap.add_argument("--dropout", type=float, default=0.05)
    ap.add_argument("--target-modules", default="all-linear")
    ap.add_argument("--batch-size", type=int, default=8)
    ap.add_argument("--grad-accum", type=int, default=1)
    ap.add_argument("--max-len", type=int, default=2048)
    ap.add_argument("--log-every", type=int, default=10)
    ap.add_argument("--merge", action="store_true")
    ap.add_argument("--full", action="store_true", help="train all weights, no adapter")
    ap.add_argument("--device", default="auto")
    ap.add_argument("--attn", default=None,
                    help="attn_implementation (eager: bit-identical reruns on a GPU)")
    ap.add_argument("--engine", choices=["own", "trl"], default="own")
    ap.add_argument("--gguf", action="store_true", help="--engine trl only")
    a = ap.parse_args()

    if a.engine == "trl":
        here = os.path.dirname(os.path.abspath(__file__))
        argv = [sys.executable, os.path.join(here, "trl_lora.py"), "--batch-dir", a.batch_dir,
                "--out", a.out, "--base", a.base, "--seed", str(a.seed), "--epochs",
                str(a.epochs), "--max-steps", str(a.max_steps), "--lr", str(a.lr), "--rank",
                str(a.rank), "--batch-size", str(a.batch_size), "--max-len", str(a.max_len)]
        if a.incumbent and a.incumbent != "none":
            argv += ["--incumbent", a.incumbent]
        if a.gguf:
            argv.append("--gguf")
        os.execv(sys.executable, argv)

    import torch
    import transformers

    transformers.set_seed(a.seed)
    random.seed(a.seed)
    torch.use_deterministic_algorithms(True, warn_only=True)
    if a.device == "auto":
        device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    else:
        device = torch.device(a.device)
    amp = device.type == "cuda" and torch.cuda.is_bf16_supported()

    train_rows = load_rows(os.path.join(a.batch_dir, "train.jsonl"))
    valid_rows = load_rows(os.path.join(a.batch_dir, "valid.jsonl"))
    if not train_rows:
        sys.exit("lora: no training rows in %s/train.jsonl" % a.batch_dir)

    incumbent = a.incumbent if a.incumbent and a.incumbent != "none" else ""
    base = a.base
    warm = None
    if incumbent and os.path.exists(os.path.join(incumbent, "adapter_config.json")):
        warm = "adapter"
    elif incumbent and os.path.exists(os.path.join(incumbent, "config.json")):
        warm, base = "model", incumbent
    elif incumbent:
        log("incumbent %s holds neither an adapter nor a model: fresh start" % incumbent)

    tok = load_tokenizer(base)
    train, valid, skipped = [], [], 0
    for rows, out in ((train_rows, train), (valid_rows, valid)):
        for msgs in rows:
            r = encode_row(tok, msgs, a.max_len)
            if r is None:
                skipped += 1
            else:
                out.append(r)
    if not train:
        sys.exit("lora: every training row is longer than --max-len %d" % a.max_len)
    log("%d train, %d valid rows (%d skipped: longer than %d tokens); device %s%s"
        % (len(train), len(valid), skipped, a.max_len, device, ", bf16 autocast" if amp else ""))

    # Frozen base weights in bf16 on a GPU (LoRA); fp32 master weights when
    # every weight trains (--full) or on a CPU.
    dtype = torch.bfloat16 if (amp and not a.full) else torch.float32
    model = load_model(base, dtype, device, a.attn)
    if a.full:
        pass
    elif warm == "adapter":
        from peft import PeftModel

        log("warm start from the incumbent adapter %s" % incumbent)
        model = PeftModel.from_pretrained(model, incumbent, is_trainable=True)
    else:
        from peft import LoraConfig, get_peft_model

        if warm == "model":
            log("the incumbent %s is a full model: it is the base" % incumbent)
        model = get_peft_model(model, LoraConfig(
            r=a.rank, lora_alpha=a.alpha or 2 * a.rank, lora_dropout=a.dropout,
            target_modules=a.target_modules, task_type="CAUSAL_LM"))
    model.to(device)
    model.train()
    params = [p for p in model.parameters() if p.requires_grad]
    if not a.full:
        for p in params:  # adapters train in fp32 even on a bf16 base
            p.data = p.data.float()
    n_train_p = sum(p.numel() for p in params)
    n_all_p = sum(p.numel() for p in model.parameters())
    log("trainable parameters: %d of %d" % (n_train_p, n_all_p))

    bs, ga = max(1, a.batch_size), max(1, a.grad_accum)
    per_epoch = math.ceil(len(train) / (bs * ga))
    steps = a.max_steps if a.max_steps > 0 else max(1, math.ceil(a.epochs * per_epoch))
    warmup = int(steps * a.warmup)
    opt = torch.optim.AdamW(params, lr=a.lr, weight_decay=a.weight_decay,
                            betas=(0.9, 0.999), eps=1e-8)

    planned = steps

    def lr_at(step):  # linear warm-up, cosine decay to 10 %
        if step < warmup:
            return a.lr * (step + 1) / warmup
        prog = (step - warmup) / max(1, steps - warmup)
        return a.lr * (0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * prog)))

    valid_before = evaluate(model, valid, bs * 2, tok.pad_token_id, torch, device, amp)
    gen = random.Random(a.seed)
    order, pos = [], 0
    losses, window, window_n = [], 0.0, 0
    first_loss = last_loss = None
    tokens = answer_tokens = 0
    if device.type == "cuda":
        torch.cuda.synchronize()
    t0 = time.time()
    t_step1 = None
    step = 0
    while step < steps:
        if step == 1:
            if device.type == "cuda":
                torch.cuda.synchronize()
            t_step1 = time.time()  # the first step pays for kernel selection
        elif step >= 10 and step % 25 == 10 and a.max_seconds > 0 and t_step1 is not None:
            # re-planned every 25 steps from the mean step time so far (the
            # first steps are slow: new shapes), never beyond the planned
            if device.type == "cuda":
                torch.cuda.synchronize()
            per = (time.time() - t_step1) / (step - 1)
            fit = int((a.max_seconds - (t_step1 - t0)) / per) if per > 0 else planned
            fit = min(planned, max(fit, step + 1, warmup + 1))
            if fit != steps:
                log("%.3f s per step: %d of the %d planned steps fit into --max-seconds %g "
                    "(the schedule follows)" % (per, fit, planned, a.max_seconds))
                steps = fit
        for g in opt.param_groups:
            g["lr"] = lr_at(step)
        opt.zero_grad(set_to_none=True)
        step_loss, step_n = 0.0, 0
        for _ in range(ga):
            if pos + bs > len(order):
                order = list(range(len(train)))
                gen.shuffle(order)
                pos = 0
            chunk = [train[i] for i in order[pos:pos + bs]]
            pos += bs
            ids, lab, att = collate(chunk, tok.pad_token_id, torch, device)
            loss, n = batch_loss(model, ids, lab, att, torch, amp)
            n = max(int(n), 1)
            (loss / (n * ga)).backward()
            step_loss += float(loss.detach())
            step_n += n
            tokens += int(att.sum())
            answer_tokens += n
        torch.nn.utils.clip_grad_norm_(params, 1.0)
        opt.step()
        cur = step_loss / max(step_n, 1)
        if first_loss is None:
            first_loss = cur
        last_loss = cur
        window += cur
        window_n += 1
        if (step + 1) % a.log_every == 0 or step + 1 == steps:
            losses.append([step + 1, round(window / window_n, 5)])
            log("step %d/%d loss %.4f lr %.2e" % (step + 1, steps, window / window_n,
                                                  lr_at(step)))
            window, window_n = 0.0, 0
        step += 1
    if device.type == "cuda":
        torch.cuda.synchronize()
    train_seconds = time.time() - t0
    valid_after = evaluate(model, valid, bs * 2, tok.pad_token_id, torch, device, amp)

    os.makedirs(a.out, exist_ok=True)
    if a.full:
        model.save_pretrained(a.out)
    else:
        model.save_pretrained(a.out)  # adapter_config.json + adapter_model.safetensors
    tok.save_pretrained(a.out)
    merged = False
    if a.merge and not a.full:
        mdir = os.path.join(a.out, "merged")
        model.merge_and_unload().save_pretrained(mdir)
        tok.save_pretrained(mdir)
        merged = True
    metrics = {
        "trainer": "contrib/trainers/lora.py", "engine": "own",
        "mode": "full" if a.full else "lora", "base": base, "warm_start": warm,
        "incumbent": incumbent or None, "request": a.request or None, "seed": a.seed,
        "rows": {"train": len(train), "valid": len(valid), "skipped_too_long": skipped},
        "steps": steps, "planned_steps": planned, "max_seconds": a.max_seconds or None,
        "epochs": round(steps * bs * ga / len(train), 3),
        "batch_size": bs, "grad_accum": ga, "lr": a.lr,
        "rank": None if a.full else a.rank, "losses": losses,
        "train_loss_first": round(first_loss, 5), "train_loss_last": round(last_loss, 5),
        "valid_loss_before": valid_before, "valid_loss_after": valid_after,
        "train_seconds": round(train_seconds, 2), "tokens": tokens,
        "answer_tokens": answer_tokens,
        "tokens_per_s": round(tokens / train_seconds, 1) if train_seconds > 0 else None,
        "trainable_parameters": n_train_p, "parameters": n_all_p, "merged": merged,
        "device": (torch.cuda.get_device_name(device) if device.type == "cuda" else "cpu"),
        "bf16": amp, "attn": a.attn, "versions": versions(),
    }
    metrics["seconds"] = round(time.time() - t_start, 2)
    with open(os.path.join(a.out, "metrics.json"), "w") as f:
        json.dump(metrics, f, indent=1)
    log("wrote %s: %d steps in %.1f s (%.0f tokens/s), loss %.3f -> %.3f, valid %s -> %s"
        % (a.out, steps, train_seconds, metrics["tokens_per_s"] or 0, first_loss, last_loss,
           valid_before, valid_after))


if __name__ == "__main__":
    main()
