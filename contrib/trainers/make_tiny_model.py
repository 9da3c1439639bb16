#!/usr/bin/env python3
"""make_tiny_model.py - build a tiny randomly initialised causal LM and a
tokenizer on the spot, with no network, for testing trainers (lora.py,
trl_lora.py) and contrib/serve/openai_server.py on a CPU in seconds or on
a GPU (contrib/gpu-check.sh).

usage: make_tiny_model.py OUT_DIR [--arch llama|gpt2] [--layers 2] [--dim 64]
                          [--heads 4] [--ctx 2048] [--seed 0]
                          [--corpus FILE.jsonl ...] [--vocab N] [--no-literals]

Writes a Hugging Face model directory (config.json, model.safetensors,
random weights) and a tokenizer with a chat template:

- without --corpus: the 256 byte symbols plus special tokens (byte-level
  BPE with no merges): every text is representable;
- with --corpus (chat rows {"messages": [...]}, as mnemo's train.jsonl, or
  raw rows {"raw_input", "encoded"}): a byte-level BPE of --vocab tokens
  trained on the corpus (the `tokenizers` library, in memory). Text that
  recurs verbatim at the start of the corpus's messages - the production
  system message and the fixed instructions that open every user prompt -
  becomes one token each ("literals", unless --no-literals), so a tiny
  model sees a 2,000-character prompt as a few dozen tokens. The literals
  are found in the corpus, never hard-coded: a changed prompt gives other
  literals (or none, and longer sequences).

Chat format: <|system|>\\n...<|eos|>\\n<|user|>\\n...<|eos|>\\n<|assistant|>\\n...<|eos|>\\n
(role markers and <|eos|> are single special tokens).

Needs: torch, transformers, tokenizers.
"""
import argparse
import json
import os
import sys

SPECIALS = ["<|pad|>", "<|bos|>", "<|eos|>", "<|system|>", "<|user|>", "<|assistant|>"]
CHAT_TEMPLATE = ("{% for m in messages %}<|{{ m['role'] }}|>\n{{ m['content'] }}<|eos|>\n"
                 "{% endfor %}{% if add_generation_prompt %}<|assistant|>\n{% endif %}")


def corpus_messages(paths):
    """[[{"role","content"}, ...], ...] from chat or raw jsonl files."""
    out = []
    for p in paths:
        with open(p, encoding="utf-8") as f:
            for line in f:
                line = line.strip()
                if not line:
                    continue
                row = json.loads(line)
                if isinstance(row.get("messages"), list):
                    out.append([m for m in row["messages"] if isinstance(m, dict)])
                elif "raw_input" in row:
                    enc = row.get("encoded")
                    out.append([{"role": "user", "content": row["raw_input"]},
                                {"role": "assistant",
                                 "content": json.dumps(enc, ensure_ascii=False,
                                                       separators=(",", ":"))}])
    return out


def common_prefix(strings):
    if not strings:
        return ""
    lo, hi = min(strings), max(strings)
    n = 0
    while n < len(lo) and lo[n] == hi[n]:
        n += 1
    return lo[:n]


def find_literals(convs, min_chars=64):
    """Texts that open a role's messages in (almost) every row: the whole
    message when it repeats, else the longest common prefix, cut back to a
    line start so the variable part keeps its own tokens."""
    lits = []
    by_role = {}
    for c in convs:
        for m in c:
            if m.get("role") in ("system", "user") and isinstance(m.get("content"), str):
                by_role.setdefault(m["role"], []).append(m["content"])
    for role, texts in sorted(by_role.items()):
        if len(texts) < 2:
            continue
        pre = common_prefix(texts)
        if len(pre) < len(min(texts, key=len)):
            cut = pre.rfind("\n")
            pre = pre[:cut + 1] if cut >= 0 else ""
        if len(pre) >= min_chars and pre not in lits:
            lits.append(pre)
    return lits


def build_tokenizer(a, convs):
    from tokenizers import AddedToken, Tokenizer, decoders, models, pre_tokenizers, trainers

    alphabet = pre_tokenizers.ByteLevel.alphabet()
    literals = []
    if convs:
        literals = [] if a.no_literals else find_literals(convs)
        texts = []
        for c in convs:
            for m in c:
                t = m.get("content") or ""
                for lit in literals:
                    if t.startswith(lit):
                        t = t[len(lit):]
                texts.append(t)
        tk = Tokenizer(models.BPE())
        tk.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
        tk.decoder = decoders.ByteLevel()
        trainer = trainers.BpeTrainer(vocab_size=a.vocab or 2048, min_frequency=2,
                                      special_tokens=SPECIALS, initial_alphabet=alphabet,
                                      show_progress=False)
        tk.train_from_iterator(texts, trainer=trainer)
    else:
        # Byte-level BPE with the 256 byte symbols and no merges.
        vocab = {s: i for i, s in enumerate(SPECIALS)}
        for ch in sorted(alphabet):
            vocab[ch] = len(vocab)
        tk = Tokenizer(models.BPE(vocab=vocab, merges=[]))
        tk.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
        tk.decoder = decoders.ByteLevel()
        tk.add_special_tokens([AddedToken(s, special=True, normalized=False) for s in SPECIALS])
    if literals:
        tk.add_tokens([AddedToken(s, normalized=False, special=False) for s in literals])
    return tk, literals


def save_tokenizer(tk, out, ctx):
    """tokenizer.json + tokenizer_config.json written directly (no
    constructor whose signature moved between transformers versions), then
    loaded and saved back by transformers so the files are in the form the
    installed version writes."""
    from transformers import AutoTokenizer

    tk.save(os.path.join(out, "tokenizer.json"))
    cfg = {"tokenizer_class": "PreTrainedTokenizerFast", "bos_token": "<|bos|>",
           "eos_token": "<|eos|>", "pad_token": "<|pad|>", "model_max_length": ctx,
           "clean_up_tokenization_spaces": False, "chat_template": CHAT_TEMPLATE}
    with open(os.path.join(out, "tokenizer_config.json"), "w", encoding="utf-8") as f:
        json.dump(cfg, f, indent=1)
    with open(os.path.join(out, "special_tokens_map.json"), "w", encoding="utf-8") as f:
        json.dump({"bos_token": "<|bos|>", "eos_token": "<|eos|>", "pad_token": "<|pad|>"}, f)
    tok = AutoTokenizer.from_pretrained(out)
    if not getattr(tok, "chat_template", None):
        tok.chat_template = CHAT_TEMPLATE
    tok.save_pretrained(out)
    tok = AutoTokenizer.from_pretrained(out)
    # round trip: a chat renders, tokenizes and decodes back to itself
    msgs = [{"role": "user", "content": "Deployed api-gw v2.3.1 to prod (Ann Lee)."}]
    text = tok.apply_chat_template(msgs, tokenize=False, add_generation_prompt=True)
    ids = tok(text, add_special_tokens=False)["input_ids"]
    back = tok.decode(ids)
    if back != text:
        print("make_tiny_model: warning: tokenizer round trip differs: %r != %r" % (back, text),
              file=sys.stderr)
    return tok


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("out")
    ap.add_argument("--arch", choices=["llama", "gpt2"], default="llama")
    ap.add_argument("--layers", type=int, default=2)
    ap.add_argument("--dim", type=int, default=64)
    ap.add_argument("--heads", type=int, default=4)
    ap.add_argument("--ffn", type=int, default=0, help="MLP width (default 4 x dim)")
    ap.add_argument("--ctx", type=int, default=2048)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--corpus", action="append", default=[],
                    help="jsonl of chat or raw rows to train the tokenizer on (repeatable)")
    ap.add_argument("--vocab", type=int, default=2048, help="BPE size with --corpus")
    ap.add_argument("--no-literals", action="store_true")
    a = ap.parse_args()

    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    import torch
    import transformers

    torch.manual_seed(a.seed)
    os.makedirs(a.out, exist_ok=True)
    convs = corpus_messages(a.corpus)
    tk, literals = build_tokenizer(a, convs)
    tok = save_tokenizer(tk, a.out, a.ctx)
    vocab = len(tok)
    ids = dict(bos_token_id=tok.bos_token_id, eos_token_id=tok.eos_token_id,
               pad_token_id=tok.pad_token_id)
    if a.arch == "llama":
        cfg = transformers.LlamaConfig(
            vocab_size=vocab, hidden_size=a.dim, intermediate_size=a.ffn or 4 * a.dim,
            num_hidden_layers=a.layers, num_attention_heads=a.heads,
            num_key_value_heads=a.heads, max_position_embeddings=a.ctx,
            tie_word_embeddings=True, **ids)
        model = transformers.LlamaForCausalLM(cfg)
    else:
        cfg = transformers.GPT2Config(vocab_size=vocab, n_positions=a.ctx, n_embd=a.dim,
                                      n_layer=a.layers, n_head=a.heads,
                                      n_inner=a.ffn or None, **ids)
        model = transformers.GPT2LMHeadModel(cfg)
    model.generation_config.eos_token_id = tok.eos_token_id
    model.generation_config.pad_token_id = tok.pad_token_id
    model.save_pretrained(a.out)
    n = sum(p.numel() for p in model.parameters())
    info = {"arch": a.arch, "parameters": n, "vocab": vocab, "layers": a.layers, "dim": a.dim,
            "ctx": a.ctx, "seed": a.seed, "literals": [len(s) for s in literals],
            "corpus_rows": len(convs)}
    with open(os.path.join(a.out, "tiny_model.json"), "w") as f:
        json.dump(info, f, indent=1)
    sample = ""
    if convs:
        c = convs[0]
        text = tok.apply_chat_template(c, tokenize=False)
        sample = ", first corpus row %d chars -> %d tokens" % (
            len(text), len(tok(text, add_special_tokens=False)["input_ids"]))
    print("make_tiny_model: %s (%s, %d parameters, vocab %d, %d literal token(s) of %s chars%s)"
          % (a.out, a.arch, n, vocab, len(literals), [len(s) for s in literals], sample))


if __name__ == "__main__":
    main()
