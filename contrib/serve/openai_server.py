#!/usr/bin/env python3
"""openai_server.py - a small OpenAI-compatible chat server over
transformers, for mnemo's evaluate.serve_command and for a local
production student (docs/external-students.md).

    openai_server.py --base /models/hf-model [--adapter DIR] --port PORT
                     [--host 127.0.0.1] [--model-name NAME] [--max-tokens 1024]
                     [--device auto] [--port-file FILE] [--no-cuda-graph]
    openai_server.py load --url http://127.0.0.1:PORT [ARTIFACT]

--adapter      a LoRA adapter directory (adapter_config.json; merged into the
               base at load time), a directory with merged/ (lora.py
               --merge), or a full model directory (config.json). "none",
               "" or a directory with none of these: the base alone.
--port 0       any free port; it is written to --port-file once listening.

Endpoints:
  GET  /v1/models            {"object":"list","data":[{"id":NAME,...,"adapter":...}]}
                             (answers only once the model is loaded: mnemo
                             waits for it with evaluate.ready_timeout_s)
  POST /v1/chat/completions  messages, max_tokens / max_completion_tokens,
                             temperature (0 or absent: greedy), top_p, seed,
                             stop, response_format; no streaming, n = 1
  POST /admin/load           {"adapter": DIR | null}: load another adapter
                             (or the base alone) in place; the "load"
                             subcommand sends it, so a registry deploy_command
                             can be [python, openai_server.py, load, --url,
                             URL, "{artifact}"]
  GET  /health               {"ok": true, ...}

response_format {"type": "json_object"} or {"type": "json_schema", ...}:
generation stops as soon as the first JSON object the model opens is closed
(strings and escapes respected), and the reply is that object as the model
wrote it. When the model's text holds no complete, valid object (cut at
max_tokens, broken syntax), the text is repaired as far as it can be: cut
after the last complete member and the open strings, arrays and objects
closed; failing that, "{}". Objects are parsed as strictly as mnemo does
(a key twice makes an object invalid). The reply is then always one JSON object;
nothing is invented (a missing key stays missing) and the schema's content
is not enforced, so what a model does not know still shows in mnemo's
schema-compliance score. usage.repaired in the reply (and the server's log)
says when a repair happened.

Decoding: on a GPU, Llama-family models (llama, mistral, qwen2) decode one
token per CUDA-graph replay with a static KV cache (GraphDecoder, checked
against the model's own forward at load); other models, or --no-cuda-graph,
use the plain transformers loop with its KV cache. Requests are served one
at a time (a lock around the model). Needs torch, transformers; peft for
adapters.
"""
import argparse
import json
import os
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

# Same text as contrib/trainers/lora.py: a model is prompted the way it was
# trained.
FALLBACK_TEMPLATE = ("{% for m in messages %}<|{{ m['role'] }}|>\n{{ m['content'] }}\n"
                     "{% endfor %}{% if add_generation_prompt %}<|assistant|>\n{% endif %}")
END_OF_TURN = ("<|im_end|>", "<|eot_id|>", "<|end|>", "<end_of_turn>", "<|endoftext|>")


def log(msg):
    print("openai_server: " + msg, file=sys.stderr, flush=True)


# ---- JSON: finding the end of the first object, repairing a cut one ----

class JsonTracker:
    """Feeds on generated text; done once the first '{' is balanced."""

    def __init__(self):
        self.depth = 0
        self.started = False
        self.in_str = False
        self.esc = False
        self.done = False

    def feed(self, text):
        for ch in text:
            if self.done:
                return
            if not self.started:
                if ch == "{":
                    self.started, self.depth = True, 1
                continue
            if self.in_str:
                if self.esc:
                    self.esc = False
                elif ch == "\\":
                    self.esc = True
                elif ch == '"':
                    self.in_str = False
                continue
            if ch == '"':
                self.in_str = True
            elif ch in "{[":
                self.depth += 1
            elif ch in "}]":
                self.depth -= 1
                if self.depth == 0:
                    self.done = True


def _no_duplicates(pairs):
    keys = [k for k, _ in pairs]
    if len(set(keys)) != len(keys):
        raise ValueError("duplicate object key")
    return dict(pairs)


def _no_constant(name):
    raise ValueError("%s is not JSON" % name)


def _int64(text):
    v = int(text)
    if not -2**63 <= v < 2**63:
        raise ValueError("integer out of range")
    return v


def _finite(text):
    v = float(text)
    if v in (float("inf"), float("-inf")):
        raise ValueError("real number overflow")
    return v


# As strict as mnemo's parser (jansson with JSON_REJECT_DUPLICATES): an
# object with a key twice, NaN/Infinity, an integer outside 64 bits, a real
# that overflows a double and a lone surrogate escape ("\ud800") are not
# valid JSON there, so they are not here (any one of them would make mnemo
# count the item as failed to encode).
STRICT = json.JSONDecoder(object_pairs_hook=_no_duplicates, parse_constant=_no_constant,
                          parse_int=_int64, parse_float=_finite)


def _no_surrogates(v):
    if isinstance(v, str):
        if any("\ud800" <= c <= "\udfff" for c in v):
            raise ValueError("lone surrogate")
    elif isinstance(v, dict):
        for k, x in v.items():
            _no_surrogates(k)
            _no_surrogates(x)
    elif isinstance(v, list):
        for x in v:
            _no_surrogates(x)


def strict_decode(text, i=0):
    obj, end = STRICT.raw_decode(text, i)
    _no_surrogates(obj)
    return obj, end


def strict_loads(text):
    obj, end = strict_decode(text)
    if text[end:].strip():
        raise ValueError("extra data")
    return obj


def first_object(text):
    """The JSON object that starts at the text's first '{', as written, or
    None when it is cut or broken there (an object nested in a cut one is
    not the answer)."""
    i = text.find("{")
    if i < 0:
        return None
    try:
        obj, end = strict_decode(text, i)
    except ValueError:
        return None
    return text[i:end] if isinstance(obj, dict) else None


def repair(text):
    """One JSON object from a cut or broken one: try the text with its open
    string and brackets closed, then cut back to each earlier ',' (outside
    strings) or opening bracket and close what is open there."""
    i = text.find("{")
    if i < 0:
        return "{}"
    s = text[i:]
    stack, in_str, esc = [], False, False
    cuts = []  # (index to cut at, closers needed there)
    for k, ch in enumerate(s):
        if in_str:
            if esc:
                esc = False
            elif ch == "\\":
                esc = True
            elif ch == '"':
                in_str = False
            continue
        if ch == '"':
            in_str = True
        elif ch in "{[":
            stack.append("}" if ch == "{" else "]")
            cuts.append((k + 1, "".join(reversed(stack))))
        elif ch in "}]":
            if stack:
                stack.pop()
            if not stack:
                s = s[:k + 1]
                break
        elif ch == ",":
            cuts.append((k, "".join(reversed(stack))))
    tries = []
    if stack or in_str:
        tail = s
        if in_str:
            tail += ('\\' if esc else "") + '"'
        tries.append(tail + "".join(reversed(stack)))
    else:
        tries.append(s)
    for k, closers in reversed(cuts):
        tries.append(s[:k] + closers)
    for t in tries:
        try:
            if isinstance(strict_loads(t), dict):
                return t
        except ValueError:
            continue
    return "{}"


# ---- the model ----

class GraphDecoder:
    """Greedy/sampled decoding for Llama-family models (llama, mistral,
    qwen2 without sliding window, default RoPE) with a static KV cache and
    one decode step captured in a CUDA graph: one graph replay per token
    instead of a few hundred kernel launches and the Python of the model's
    forward. The model's own modules (projections, norms, MLP) do the work;
    only RoPE, the cache and attention are written here. Checked against
    the model's own forward at load; anything unsupported or any mismatch
    leaves the plain transformers loop in charge (openai_server.py logs
    which one decodes)."""

    TYPES = ("llama", "mistral", "qwen2")

    def __init__(self, model, ctx, torch):
        self.torch = torch
        cfg = model.config
        if cfg.model_type not in self.TYPES:
            raise ValueError("model type %s" % cfg.model_type)
        sw = getattr(cfg, "sliding_window", None)
        if sw and getattr(cfg, "use_sliding_window", True) and sw < ctx:
            raise ValueError("sliding window")
        rope = dict(getattr(cfg, "rope_parameters", None) or {})
        rope.update(getattr(cfg, "rope_scaling", None) or {})
        if (rope.get("rope_type") or rope.get("type") or "default") != "default":
            raise ValueError("rope type %s" % rope.get("rope_type") or rope.get("type"))
        theta = float(rope.get("rope_theta") or getattr(cfg, "rope_theta", None) or 10000.0)
        inner = model.model
        self.layers, self.embed, self.norm, self.head = (inner.layers, inner.embed_tokens,
                                                         inner.norm, model.lm_head)
        for layer in self.layers:
            if hasattr(layer.self_attn, "q_norm"):
                raise ValueError("q_norm")
        self.H = cfg.num_attention_heads
        self.Hkv = getattr(cfg, "num_key_value_heads", None) or self.H
        self.D = getattr(cfg, "head_dim", None) or cfg.hidden_size // self.H
        w = self.embed.weight
        dev, dt = w.device, w.dtype
        if dev.type != "cuda":
            raise ValueError("not on a GPU")
        self.T = T = int(ctx)
        L = len(self.layers)
        with torch.no_grad():
            self.K = torch.zeros(L, self.Hkv, T, self.D, dtype=dt, device=dev)
            self.V = torch.zeros_like(self.K)
            inv = 1.0 / (theta ** (torch.arange(0, self.D, 2, dtype=torch.float32,
                                                device=dev) / self.D))
            fr = torch.outer(torch.arange(T, dtype=torch.float32, device=dev), inv)
            emb = torch.cat((fr, fr), dim=-1)
            self.cos, self.sin = emb.cos().to(dt), emb.sin().to(dt)
            self.ar = torch.arange(T, device=dev)
            self.tok = torch.zeros(1, dtype=torch.long, device=dev)
            self.pos = torch.zeros(1, dtype=torch.long, device=dev)
            self.logits = torch.zeros(w.shape[0], dtype=torch.float32, device=dev)
            s = torch.cuda.Stream()
            s.wait_stream(torch.cuda.current_stream())
            with torch.cuda.stream(s):
                for _ in range(3):
                    self._step()
            torch.cuda.current_stream().wait_stream(s)
            self.graph = torch.cuda.CUDAGraph()
            with torch.cuda.graph(self.graph):
                self._step()
        self._check(model)

    @staticmethod
    def _rot(x, torch):
        h = x.shape[-1] // 2
        return torch.cat((-x[..., h:], x[..., :h]), dim=-1)

    def _step(self):
        torch = self.torch
        H, Hkv, D = self.H, self.Hkv, self.D
        x = self.embed(self.tok).unsqueeze(0)  # (1, 1, hidden)
        cos, sin = self.cos[self.pos], self.sin[self.pos]  # (1, D)
        mask = torch.where(self.ar <= self.pos, 0.0, float("-inf"))  # (T,)
        scale = D ** -0.5
        for i, layer in enumerate(self.layers):
            at = layer.self_attn
            h = layer.input_layernorm(x)
            q = at.q_proj(h).view(H, D)
            k = at.k_proj(h).view(Hkv, D)
            v = at.v_proj(h).view(Hkv, D)
            q = q * cos + self._rot(q, torch) * sin
            k = k * cos + self._rot(k, torch) * sin
            self.K[i].index_copy_(1, self.pos, k.unsqueeze(1))
            self.V[i].index_copy_(1, self.pos, v.unsqueeze(1))
            kf, vf = self.K[i], self.V[i]
            if Hkv != H:
                kf = kf.repeat_interleave(H // Hkv, dim=0)
                vf = vf.repeat_interleave(H // Hkv, dim=0)
            sc = torch.matmul(q.unsqueeze(1), kf.transpose(1, 2)).float() * scale + mask
            p = torch.softmax(sc, dim=-1).to(q.dtype)
            o = torch.matmul(p, vf).reshape(1, 1, H * D)
            x = x + at.o_proj(o)
            x = x + layer.mlp(layer.post_attention_layernorm(x))
        self.logits.copy_(self.head(self.norm(x))[0, -1].float())

    def feed(self, token, pos):
        """Run one token at position pos; self.logits then holds the next
        token's logits."""
        self.tok.fill_(int(token))
        self.pos.fill_(int(pos))
        self.graph.replay()

    def _check(self, model):
        torch = self.torch
        ids = [(7 * i + 3) % self.logits.shape[0] for i in range(24)]
        with torch.no_grad():
            ref = model(input_ids=torch.tensor([ids], device=self.tok.device)).logits[0, -1].float()
            for i, t in enumerate(ids):
                self.feed(t, i)
            got = self.logits.clone()
        cos = float(torch.nn.functional.cosine_similarity(ref, got, dim=0))
        top = [int(i) for i in torch.topk(got, 3).indices]
        if cos < 0.995 or int(ref.argmax()) not in top:
            raise ValueError("graph decode differs from the model's forward (cosine %.4f)" % cos)
        self.check_cosine = cos


class Engine:
    def __init__(self, a):
        import torch

        self.torch = torch
        self.a = a
        if a.device == "auto":
            self.device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
        else:
            self.device = torch.device(a.device)
        self.dtype = (torch.bfloat16 if self.device.type == "cuda"
                      and torch.cuda.is_bf16_supported() else torch.float32)
        self.lock = threading.Lock()
        self.name = a.model_name
        self.model = self.tok = self.graph = None
        self.adapter = None
        self.load(a.adapter)

    def _from_pretrained(self, path):
        from transformers import AutoModelForCausalLM

        try:
            m = AutoModelForCausalLM.from_pretrained(path, dtype=self.dtype)
        except TypeError:
            m = AutoModelForCausalLM.from_pretrained(path, torch_dtype=self.dtype)
        return m

    def load(self, adapter):
        from transformers import AutoTokenizer

        t0 = time.time()
        adapter = adapter if adapter and adapter != "none" else None
        model_dir, peft_dir = self.a.base, None
        if adapter:
            if os.path.exists(os.path.join(adapter, "adapter_config.json")):
                peft_dir = adapter
            elif os.path.exists(os.path.join(adapter, "merged", "config.json")):
                model_dir = os.path.join(adapter, "merged")
            elif os.path.exists(os.path.join(adapter, "config.json")):
                model_dir = adapter
            else:
                log("%s holds no adapter or model: serving the base" % adapter)
        tok_dir = model_dir
        if peft_dir and os.path.exists(os.path.join(peft_dir, "tokenizer_config.json")):
            tok_dir = peft_dir
        tok = AutoTokenizer.from_pretrained(tok_dir)
        if not getattr(tok, "chat_template", None):
            tok.chat_template = FALLBACK_TEMPLATE
        model = self._from_pretrained(model_dir)
        if peft_dir:
            from peft import PeftModel

            model = PeftModel.from_pretrained(model, peft_dir).merge_and_unload()
        model.to(self.device).eval()
        stop = set()
        gc_eos = getattr(getattr(model, "generation_config", None), "eos_token_id", None)
        for e in (gc_eos if isinstance(gc_eos, (list, tuple)) else [gc_eos]):
            if isinstance(e, int):
                stop.add(e)
        if tok.eos_token_id is not None:
            stop.add(tok.eos_token_id)
        vocab = tok.get_vocab()
        for t in END_OF_TURN:
            if t in vocab:
                stop.add(vocab[t])
        ctx = getattr(model.config, "max_position_embeddings", None) or \
            getattr(model.config, "n_positions", None) or 4096
        graph, how = None, "transformers loop"
        # under the lock: no request may use the GPU while a graph is captured
        with self.lock:
            if self.a.cuda_graph and self.device.type == "cuda":
                try:
                    graph = GraphDecoder(model, min(ctx, self.a.graph_ctx), self.torch)
                    how = ("CUDA graph (checked: cosine %.5f to the model's forward)"
                           % graph.check_cosine)
                except Exception as e:  # noqa: BLE001 - the plain loop still works
                    how = "transformers loop (no CUDA graph: %s)" % e
            self.model, self.tok, self.stop_ids, self.ctx = model, tok, stop, ctx
            self.graph = graph
            self.adapter = adapter
        if self.device.type == "cuda":
            self.torch.cuda.empty_cache()
        log("loaded %s%s on %s (%s) in %.1f s; decoding: %s" % (
            model_dir, " + adapter " + peft_dir if peft_dir else "", self.device,
            str(self.dtype).replace("torch.", ""), time.time() - t0, how))

    def chat(self, req):
        torch = self.torch
        msgs = req.get("messages")
        if not isinstance(msgs, list) or not msgs:
            raise ValueError("messages must be a non-empty array")
        clean = []
        for m in msgs:
            if not isinstance(m, dict):
                raise ValueError("every message must be an object")
            c = m.get("content")
            if isinstance(c, list):  # content parts
                c = "".join(p.get("text", "") for p in c if isinstance(p, dict))
            clean.append({"role": str(m.get("role", "user")), "content": c or ""})
        rf = req.get("response_format") or {}
        want_json = isinstance(rf, dict) and rf.get("type") in ("json_object", "json_schema")
        max_new = req.get("max_completion_tokens") or req.get("max_tokens") or self.a.max_tokens
        max_new = max(1, min(int(max_new), self.a.max_tokens_cap))
        temp = float(req.get("temperature") or 0.0)
        top_p = float(req.get("top_p") or 1.0)
        stops = req.get("stop") or []
        if isinstance(stops, str):
            stops = [stops]
        with self.lock:
            tok, model = self.tok, self.model
            prompt = tok.apply_chat_template(clean, tokenize=False, add_generation_prompt=True)
            ids = tok(prompt, add_special_tokens=False)["input_ids"]
            room = self.ctx - max_new
            if len(ids) > room:
                if room < 16:
                    max_new = max(1, self.ctx - len(ids))
                    room = self.ctx - max_new
                if len(ids) > room:
                    log("prompt of %d tokens cut to its last %d" % (len(ids), room))
                    ids = ids[-room:]
            gen = None
            if temp > 0:
                gen = torch.Generator(device=self.device)
                gen.manual_seed(int(req.get("seed") or 0))
            t0 = time.time()
            out_ids, finish = self._generate(model, tok, ids, max_new, temp, top_p, gen,
                                             want_json, stops)
            dt = time.time() - t0
        text = tok.decode(out_ids, skip_special_tokens=True)
        for s in stops:
            if s and s in text:
                text, finish = text[:text.index(s)], "stop"
        repaired = False
        if want_json:
            obj = first_object(text)
            if obj is None:
                obj, repaired = repair(text), True
            text = obj
        log("%d prompt + %d completion tokens in %.2f s (%.0f tok/s)%s%s" % (
            len(ids), len(out_ids), dt, len(out_ids) / dt if dt > 0 else 0,
            ", " + finish, ", repaired" if repaired else ""))
        return text, finish, len(ids), len(out_ids), repaired

    def _generate(self, model, tok, ids, max_new, temp, top_p, gen, want_json, stops):
        """Greedy or sampled decoding with the KV cache, one token at a
        time; stops at an end-of-turn token, at the end of the first JSON
        object (want_json), at a stop string, or after max_new tokens."""
        torch = self.torch
        tracker = JsonTracker() if want_json else None
        out, text = [], ""
        graph = self.graph
        if graph is not None and len(ids) + max_new > graph.T:
            graph = None  # longer than the graph's cache: the plain loop
        with torch.no_grad():
            if graph is not None:
                for i, t in enumerate(ids):  # prefill, one token per replay
                    graph.feed(t, i)
                logits = graph.logits
            else:
                x = torch.tensor([ids], dtype=torch.long, device=self.device)
                res = model(input_ids=x, use_cache=True)
                past = res.past_key_values
                logits = res.logits[0, -1, :]
            for _ in range(max_new):
                if temp > 0:
                    probs = torch.softmax(logits.float() / temp, dim=-1)
                    if top_p < 1.0:
                        sp, si = torch.sort(probs, descending=True)
                        keep = torch.cumsum(sp, dim=-1) - sp < top_p
                        sp = sp * keep
                        nxt = si[torch.multinomial(sp / sp.sum(), 1, generator=gen)]
                    else:
                        nxt = torch.multinomial(probs, 1, generator=gen)
                    nid = int(nxt.item())
                else:
                    nid = int(torch.argmax(logits).item())
                if nid in self.stop_ids:
                    return out, "stop"
                out.append(nid)
                if tracker is not None or stops:
                    piece = tok.decode([nid], skip_special_tokens=True)
                    if tracker is not None:
                        tracker.feed(piece)
                        if tracker.done:
                            return out, "stop"
                    if stops:
                        text += piece
                        if any(s and s in text for s in stops):
                            return out, "stop"
                if graph is not None:
                    graph.feed(nid, len(ids) + len(out) - 1)
                    logits = graph.logits
                    continue
                x = torch.tensor([[nid]], dtype=torch.long, device=self.device)
                res = model(input_ids=x, past_key_values=past, use_cache=True)
                past = res.past_key_values
                logits = res.logits[0, -1, :]
        return out, "length"


# ---- HTTP ----

class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "mnemo-openai-server/1"

    def log_message(self, fmt, *args):
        pass

    def send_json(self, status, obj):
        data = json.dumps(obj, ensure_ascii=False).encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def error(self, status, msg, kind="invalid_request_error"):
        self.send_json(status, {"error": {"message": msg, "type": kind}})

    def body(self):
        n = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(n) if n > 0 else b""
        try:
            v = json.loads(raw or b"{}")
        except ValueError:
            return None
        return v if isinstance(v, dict) else None

    def do_GET(self):
        eng = self.server.engine
        path = self.path.split("?", 1)[0].rstrip("/")
        if path in ("/v1/models", "/models"):
            self.send_json(200, {"object": "list", "data": [{
                "id": eng.name, "object": "model", "owned_by": "mnemo-contrib",
                "created": int(self.server.started), "adapter": eng.adapter}]})
        elif path == "/health":
            self.send_json(200, {"ok": True, "model": eng.name, "adapter": eng.adapter,
                                 "base": eng.a.base, "device": str(eng.device)})
        else:
            self.error(404, "not found")

    def do_POST(self):
        eng = self.server.engine
        path = self.path.split("?", 1)[0].rstrip("/")
        req = self.body()
        if req is None:
            self.error(400, "the body is not a JSON object")
            return
        if path == "/admin/load":
            try:
                eng.load(req.get("adapter"))
            except Exception as e:  # noqa: BLE001 - reported to the caller
                self.error(500, "load failed: %s" % e, "server_error")
                return
            self.send_json(200, {"ok": True, "adapter": eng.adapter})
            return
        if not path.endswith("/chat/completions"):
            self.error(404, "not found")
            return
        if req.get("stream"):
            self.error(400, "streaming is not supported")
            return
        try:
            text, finish, n_in, n_out, repaired = eng.chat(req)
        except ValueError as e:
            self.error(400, str(e))
            return
        except Exception as e:  # noqa: BLE001 - a failed generation is a 500
            log("generation failed: %r" % e)
            self.error(500, "generation failed: %s" % e, "server_error")
            return
        self.send_json(200, {
            "id": "chatcmpl-%d" % int(time.time() * 1e6), "object": "chat.completion",
            "created": int(time.time()), "model": req.get("model") or eng.name,
            "choices": [{"index": 0, "message": {"role": "assistant", "content": text},
                         "finish_reason": finish}],
            "usage": {"prompt_tokens": n_in, "completion_tokens": n_out,
                      "total_tokens": n_in + n_out, "repaired": repaired}})


def load_client(argv):
    """openai_server.py load --url URL [ARTIFACT]: ask a running server to
    load ARTIFACT (or, without it, the base alone)."""
    import urllib.request

    ap = argparse.ArgumentParser(prog="openai_server.py load")
    ap.add_argument("--url", required=True, help="http://HOST:PORT (with or without /v1)")
    ap.add_argument("--timeout", type=float, default=300)
    ap.add_argument("artifact", nargs="?", default=None)
    a = ap.parse_args(argv)
    base = a.url.rstrip("/")
    if base.endswith("/v1"):
        base = base[:-3]
    art = os.path.abspath(a.artifact) if a.artifact else None
    data = json.dumps({"adapter": art}).encode()
    req = urllib.request.Request(base + "/admin/load", data=data,
                                 headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=a.timeout) as r:
            print("openai_server load: %s" % r.read().decode())
    except Exception as e:  # noqa: BLE001 - the exit code tells mnemo
        sys.exit("openai_server load: %s: %s" % (base, e))


def main():
    if len(sys.argv) > 1 and sys.argv[1] == "load":
        load_client(sys.argv[2:])
        return
    ap = argparse.ArgumentParser(description="OpenAI-compatible server over transformers")
    ap.add_argument("--base", required=True)
    ap.add_argument("--adapter", default=None)
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=8080)
    ap.add_argument("--port-file")
    ap.add_argument("--model-name", default=None)
    ap.add_argument("--max-tokens", type=int, default=1024,
                    help="completion tokens when a request names none")
    ap.add_argument("--max-tokens-cap", type=int, default=8192)
    ap.add_argument("--device", default="auto")
    ap.add_argument("--no-cuda-graph", dest="cuda_graph", action="store_false",
                    help="always decode with the plain transformers loop")
    ap.add_argument("--graph-ctx", type=int, default=4096,
                    help="KV cache length of the CUDA-graph decoder (longer requests "
                         "use the plain loop)")
    a = ap.parse_args()
    if not a.model_name:
        a.model_name = os.path.basename(os.path.normpath(a.adapter or a.base))

    eng = Engine(a)  # load first: /v1/models answers only when ready
    srv = ThreadingHTTPServer((a.host, a.port), Handler)
    srv.daemon_threads = True
    srv.engine = eng
    srv.started = time.time()
    port = srv.server_address[1]
    if a.port_file:
        tmp = a.port_file + ".tmp"
        with open(tmp, "w") as f:
            f.write("%d\n" % port)
        os.replace(tmp, a.port_file)
    log("serving %s on http://%s:%d/v1" % (a.model_name, a.host, port))
    try:
        srv.serve_forever(poll_interval=0.2)
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
