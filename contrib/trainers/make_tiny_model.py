#!/usr/bin/env python3
"""make_tiny_model.py - build a tiny randomly initialised causal LM and a
byte-level tokenizer on the spot, with no network, for testing
trl_lora.py (and any trainer) on a CPU in seconds.

usage: make_tiny_model.py OUT_DIR [--layers 2] [--dim 64] [--seed 0]

Writes a Hugging Face model directory (GPT-2 architecture: config.json,
model.safetensors) and a tokenizer whose vocabulary is the 256 bytes plus
special tokens, built with the `tokenizers` library (ByteLevel
pre-tokenizer, no merges), with a chat template.

Needs: torch, transformers, tokenizers. NOTE: written without PyTorch in
mnemo's development environment; untested there.
"""
import argparse
import os


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("out")
    ap.add_argument("--layers", type=int, default=2)
    ap.add_argument("--dim", type=int, default=64)
    ap.add_argument("--heads", type=int, default=4)
    ap.add_argument("--ctx", type=int, default=2048)
    ap.add_argument("--seed", type=int, default=0)
    a = ap.parse_args()

    import torch
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers
    from transformers import GPT2Config, GPT2LMHeadModel, PreTrainedTokenizerFast

    torch.manual_seed(a.seed)
    os.makedirs(a.out, exist_ok=True)

    # Byte-level BPE with the 256 byte symbols and no merges: every text
    # is representable, nothing is downloaded.
    alphabet = pre_tokenizers.ByteLevel.alphabet()
    specials = ["<|pad|>", "<|bos|>", "<|eos|>"]
    vocab = {s: i for i, s in enumerate(specials)}
    for ch in sorted(alphabet):
        vocab[ch] = len(vocab)
    tk = Tokenizer(models.BPE(vocab=vocab, merges=[]))
    tk.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tk.decoder = decoders.ByteLevel()
    tok = PreTrainedTokenizerFast(tokenizer_object=tk, bos_token="<|bos|>",
                                  eos_token="<|eos|>", pad_token="<|pad|>")
    tok.chat_template = ("{% for m in messages %}<|{{ m['role'] }}|>\n{{ m['content'] }}"
                         "<|eos|>\n{% endfor %}{% if add_generation_prompt %}<|assistant|>\n"
                         "{% endif %}")
    tok.model_max_length = a.ctx
    tok.save_pretrained(a.out)

    cfg = GPT2Config(vocab_size=len(vocab), n_positions=a.ctx, n_embd=a.dim,
                     n_layer=a.layers, n_head=a.heads, bos_token_id=tok.bos_token_id,
                     eos_token_id=tok.eos_token_id, pad_token_id=tok.pad_token_id)
    model = GPT2LMHeadModel(cfg)
    model.save_pretrained(a.out)
    n = sum(p.numel() for p in model.parameters())
    print("make_tiny_model: %s (%d parameters, vocab %d)" % (a.out, n, len(vocab)))


if __name__ == "__main__":
    main()
