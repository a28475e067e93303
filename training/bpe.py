#!/usr/bin/python3
"""Byte-level BPE for qwenlayer's small default model, in Qwen2/Qwen3's tokenizer format.

    bpe.py train --corpus FILE.txt --vocab-size 6000 --out DIR   (progress on stderr)
    bpe.py encode --tokenizer DIR < text > ids                   (space-separated ids)
    bpe.py decode --tokenizer DIR < ids > text

The tokenizer is Qwen's pipeline with a vocabulary learned from our corpus:
  1. added tokens (Qwen3's 26, in Qwen3's order and with its `special` flags) are cut out of the
     raw text first, longest match first, scanning left to right; each is its own id;
  2. the text between them is NFC-normalized and split by Qwen2's pre-tokenizer regex;
  3. each piece's UTF-8 bytes, as GPT-2's byte-to-unicode characters, are merged by BPE rank.
Ids: 0..255 are the 256 byte tokens (in GPT-2's order: "!" is 0, as in Qwen's vocabulary), then
one token per merge in training order, then the added tokens right after the BPE vocabulary.
`vocab_size` counts every id, added tokens included (6000 gives 5974 BPE tokens + 26 added).

The regex is matched with the `regex` module under the semantics of our C++ tokenizer
(src/tokenizer/pretokenizer.h), which follows the reference JavaScript port: \\s is
ECMAScript's (no U+0085, plus U+FEFF) and the case-insensitive contractions match ASCII letters
only. tokenizer.json carries Qwen's pattern verbatim; only the way Python matches it is spelled
out with explicit classes (PRETOKENIZE_REGEX_FOR_PYTHON below).

Training counts pre-tokens, then runs the usual incremental BPE: pair counts with, per pair, the
set of words holding it, a max-heap with lazy re-validation (counts of old pairs only fall, so a
popped entry whose count is current is the true maximum), and per merge only the neighbours of
each merged occurrence are updated. Ties go to the pair of smaller ids. A merge whose result
already is a token (from another pair) reuses its id, as Hugging Face's trainer does.

save(dir) writes tokenizer.json and tokenizer_config.json as Qwen3 ships them (merges as
[left, right] pairs; no chat template: chat_template.jinja is written next to them by the
model's pipeline); Tokenizer.load(dir) reads them back (merges as pairs or "a b" strings).
"""
import argparse
import collections
import heapq
import json
import os
import sys
import time
import unicodedata

import regex

# Qwen2/Qwen2.5/Qwen3's tokenizer.json pattern, verbatim.
PRETOKENIZE_REGEX = (r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*"
                     r"|\s*[\r\n]+|\s+(?!\S)|\s+")

# ECMAScript's \s: White_Space without U+0085 and with U+FEFF (the Zs characters, TAB, VT, FF,
# CR, LF, U+2028, U+2029, U+FEFF). Python's `regex` \s is Unicode White_Space, which differs on
# those two; IGNORECASE would also let "'ſ" (U+017F) and "'K" (Kelvin sign) match.
_WS = r"\t\n\x0b\x0c\r \xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000\ufeff"
PRETOKENIZE_REGEX_FOR_PYTHON = (
    r"'(?:[sS]|[tT]|[rR][eE]|[vV][eE]|[mM]|[lL][lL]|[dD])|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}"
    r"| ?[^" + _WS + r"\p{L}\p{N}]+[\r\n]*|[" + _WS + r"]*[\r\n]+|[" + _WS + r"]+(?![^" + _WS + r"])|["
    + _WS + r"]+")
_PRETOKENIZER = regex.compile(PRETOKENIZE_REGEX_FOR_PYTHON)

# Qwen3's added tokens in Qwen3's order, with its `special` flags.
QWEN3_ADDED_TOKENS = [
    ("<|endoftext|>", True), ("<|im_start|>", True), ("<|im_end|>", True),
    ("<|object_ref_start|>", True), ("<|object_ref_end|>", True), ("<|box_start|>", True),
    ("<|box_end|>", True), ("<|quad_start|>", True), ("<|quad_end|>", True),
    ("<|vision_start|>", True), ("<|vision_end|>", True), ("<|vision_pad|>", True),
    ("<|image_pad|>", True), ("<|video_pad|>", True),
    ("<tool_call>", False), ("</tool_call>", False),
    ("<|fim_prefix|>", False), ("<|fim_middle|>", False), ("<|fim_suffix|>", False),
    ("<|fim_pad|>", False), ("<|repo_name|>", False), ("<|file_sep|>", False),
    ("<tool_response>", False), ("</tool_response>", False), ("<think>", False), ("</think>", False),
]
# tokenizer_config.json's additional_special_tokens, as Qwen3's.
QWEN3_ADDITIONAL_SPECIAL = [t for t, special in QWEN3_ADDED_TOKENS[1:14]]

# Segments above this size are cut (where that cannot change the split) before counting.
_COUNT_CHUNK_CHARS = 1 << 20


def bytes_to_unicode():
    """GPT-2's map from each byte to a printable character (printable Latin-1 bytes map to
    themselves, the others to U+0100 and up, in byte order)."""
    bs = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + \
        list(range(ord("®"), ord("ÿ") + 1))
    cs = bs[:]
    n = 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    return {b: chr(c) for b, c in zip(bs, cs)}


_BYTE_TO_CHAR = bytes_to_unicode()
_CHAR_TO_BYTE = {c: b for b, c in _BYTE_TO_CHAR.items()}
# Byte token ids in GPT-2's order (sorted by their character), as Qwen's vocabulary has them.
_BYTE_ORDER = sorted(range(256), key=lambda b: _BYTE_TO_CHAR[b])


def _to_chars(data):
    return "".join(_BYTE_TO_CHAR[b] for b in data)


def _from_chars(text):
    return bytes(_CHAR_TO_BYTE[c] for c in text)


def _sanitize(text):
    """Lone surrogates (not text) become U+FFFD per byte sequence, as our C++ tokenizer repairs
    ill-formed UTF-8."""
    try:
        text.encode("utf-8")
        return text
    except UnicodeEncodeError:
        return text.encode("utf-8", "surrogatepass").decode("utf-8", "replace")


class _AddedSplitter:
    """Cuts text at added tokens: leftmost match, longest token there (alternatives sorted by
    length, so the regex's first matching alternative is the longest)."""

    def __init__(self, contents):
        alts = sorted(set(contents), key=lambda s: (-len(s), s))
        self._re = regex.compile("|".join(regex.escape(a) for a in alts)) if alts else None

    def split(self, text):
        """Yields (segment, is_added) in order; plain segments are never empty."""
        if self._re is None:
            if text:
                yield text, False
            return
        at = 0
        for m in self._re.finditer(text):
            if m.start() > at:
                yield text[at:m.start()], False
            yield m.group(), True
            at = m.end()
        if at < len(text):
            yield text[at:], False


def pretokenize(text):
    """Qwen2's pre-tokenizer pieces of already-normalized text without added tokens."""
    return _PRETOKENIZER.findall(text)


def _safe_chunks(text):
    """`text` cut into parts of about _COUNT_CHUNK_CHARS at a newline followed by a letter, a
    place where the regex's pieces end on both sides anyway (a piece that ends in CR/LF never
    takes a letter, and a letter's optional prefix may not be CR/LF)."""
    start = 0
    while len(text) - start > _COUNT_CHUNK_CHARS:
        cut = text.find("\n", start + _COUNT_CHUNK_CHARS)
        while cut != -1 and not (cut + 1 < len(text) and text[cut + 1].isalpha()):
            cut = text.find("\n", cut + 1)
        if cut == -1:
            break
        yield text[start:cut + 1]
        start = cut + 1
    yield text[start:]


class Tokenizer:
    """A trained or loaded tokenizer. `vocab` is the BPE vocabulary (byte-level strings -> id),
    `merges` the merge pairs (byte-level strings) in rank order, `added` the added tokens as
    (content, id, special) in id order."""

    def __init__(self, vocab, merges, added, model_max_length=32768):
        self.vocab = dict(vocab)
        self.merges = list(merges)
        self.added = list(added)
        self.model_max_length = model_max_length
        self._id_to_bytes = {}
        for text, i in self.vocab.items():
            self._id_to_bytes[i] = _from_chars(text)
        for content, i, _ in self.added:
            self._id_to_bytes[i] = content.encode("utf-8")
        self._added_ids = {content: i for content, i, _ in self.added}
        self._splitter = _AddedSplitter(self._added_ids)
        self._byte_ids = [self.vocab[_BYTE_TO_CHAR[b]] for b in range(256)]
        self._ranks = {}
        for rank, (a, b) in enumerate(self.merges):
            pair = (self.vocab[a], self.vocab[b])
            if pair not in self._ranks:
                self._ranks[pair] = (rank, self.vocab[a + b])
        self._cache = {}

    # --- sizes and lookups -------------------------------------------------------------------

    @property
    def n_vocab(self):
        """Every id: BPE tokens and added tokens (the largest id + 1)."""
        return max(self._id_to_bytes) + 1

    def token_to_id(self, token):
        """An added token's id by its text, or a BPE token's id by its byte-level spelling."""
        if token in self._added_ids:
            return self._added_ids[token]
        return self.vocab.get(token)

    def id_to_bytes(self, i):
        return self._id_to_bytes.get(i, b"")

    @property
    def eos_id(self):
        return self._added_ids.get("<|im_end|>")

    @property
    def pad_id(self):
        return self._added_ids.get("<|endoftext|>")

    # --- encode / decode -----------------------------------------------------------------------

    def _bpe(self, piece):
        ids = self._cache.get(piece)
        if ids is not None:
            return ids
        ids = [self._byte_ids[b] for b in piece.encode("utf-8")]
        ranks = self._ranks
        while len(ids) > 1:
            best = None
            for pair in zip(ids, ids[1:]):
                r = ranks.get(pair)
                if r is not None and (best is None or r[0] < best[0]):
                    best = r + (pair,)
            if best is None:
                break
            _, new, (a, b) = best
            out = []
            i = 0
            n = len(ids)
            while i < n:
                if i + 1 < n and ids[i] == a and ids[i + 1] == b:
                    out.append(new)
                    i += 2
                else:
                    out.append(ids[i])
                    i += 1
            ids = out
        if len(self._cache) < 1_000_000:
            self._cache[piece] = ids
        return ids

    def encode(self, text):
        """Token ids of `text`; added tokens written in the text become their ids."""
        ids = []
        for segment, is_added in self._splitter.split(_sanitize(text)):
            if is_added:
                ids.append(self._added_ids[segment])
                continue
            for piece in pretokenize(unicodedata.normalize("NFC", segment)):
                ids.extend(self._bpe(piece))
        return ids

    def decode(self, ids):
        """The text of `ids` (added tokens as their text; unknown ids as nothing); bytes that do
        not form UTF-8 become U+FFFD."""
        return b"".join(self._id_to_bytes.get(i, b"") for i in ids).decode("utf-8", "replace")

    # --- files ---------------------------------------------------------------------------------

    def tokenizer_json(self):
        added = [{"id": i, "content": c, "single_word": False, "lstrip": False, "rstrip": False,
                  "normalized": False, "special": s} for c, i, s in self.added]
        byte_level = {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": False, "use_regex": False}
        return {
            "version": "1.0",
            "truncation": None,
            "padding": None,
            "added_tokens": added,
            "normalizer": {"type": "NFC"},
            "pre_tokenizer": {"type": "Sequence", "pretokenizers": [
                {"type": "Split", "pattern": {"Regex": PRETOKENIZE_REGEX}, "behavior": "Isolated",
                 "invert": False},
                dict(byte_level)]},
            "post_processor": dict(byte_level),
            "decoder": dict(byte_level),
            "model": {"type": "BPE", "dropout": None, "unk_token": None, "continuing_subword_prefix": "",
                      "end_of_word_suffix": "", "fuse_unk": False, "byte_fallback": False,
                      "ignore_merges": False,
                      "vocab": dict(sorted(self.vocab.items(), key=lambda kv: kv[1])),
                      "merges": [[a, b] for a, b in self.merges]},
        }

    def tokenizer_config_json(self):
        decoder = {str(i): {"content": c, "lstrip": False, "normalized": False, "rstrip": False,
                            "single_word": False, "special": s} for c, i, s in self.added}
        return {
            "add_bos_token": False,
            "add_prefix_space": False,
            "added_tokens_decoder": decoder,
            "additional_special_tokens": [t for t in QWEN3_ADDITIONAL_SPECIAL if t in self._added_ids],
            "bos_token": None,
            "clean_up_tokenization_spaces": False,
            "eos_token": "<|im_end|>",
            "errors": "replace",
            "model_max_length": self.model_max_length,
            "pad_token": "<|endoftext|>",
            "split_special_tokens": False,
            "tokenizer_class": "Qwen2Tokenizer",
            "unk_token": None,
        }

    def save(self, directory):
        """Writes tokenizer.json and tokenizer_config.json into `directory` (created if needed)."""
        os.makedirs(directory, exist_ok=True)
        for name, obj in (("tokenizer.json", self.tokenizer_json()),
                          ("tokenizer_config.json", self.tokenizer_config_json())):
            tmp = os.path.join(directory, name + ".tmp")
            with open(tmp, "w", encoding="utf-8") as f:
                json.dump(obj, f, ensure_ascii=False, indent=2)
                f.write("\n")
            os.replace(tmp, os.path.join(directory, name))

    @classmethod
    def load(cls, directory):
        """Reads `directory`/tokenizer.json (and model_max_length from tokenizer_config.json).
        ValueError names the file and field when it is not a Qwen2-style byte-level BPE."""
        path = os.path.join(directory, "tokenizer.json")
        with open(path, encoding="utf-8") as f:
            tok = json.load(f)
        model = tok.get("model") or {}
        if model.get("type") != "BPE":
            raise ValueError(f"{path}: model.type: expected BPE")
        if (tok.get("normalizer") or {}).get("type") != "NFC":
            raise ValueError(f"{path}: normalizer: expected NFC")
        pres = (tok.get("pre_tokenizer") or {}).get("pretokenizers") or []
        if not any(p.get("type") == "Split" and (p.get("pattern") or {}).get("Regex") == PRETOKENIZE_REGEX
                   for p in pres):
            raise ValueError(f"{path}: pre_tokenizer: expected the Qwen2 Split regex")
        merges = []
        for i, m in enumerate(model.get("merges", [])):
            if isinstance(m, str):
                parts = m.split(" ")
            else:
                parts = list(m)
            if len(parts) != 2:
                raise ValueError(f"{path}: model.merges[{i}]: expected two parts")
            merges.append(tuple(parts))
        added = sorted(((a["content"], a["id"], bool(a.get("special"))) for a in tok.get("added_tokens") or []),
                       key=lambda t: t[1])
        max_len = 32768
        cfg_path = os.path.join(directory, "tokenizer_config.json")
        if os.path.exists(cfg_path):
            with open(cfg_path, encoding="utf-8") as f:
                max_len = json.load(f).get("model_max_length", max_len)
        return cls(model["vocab"], merges, added, model_max_length=max_len)


# --- training -------------------------------------------------------------------------------------


def count_pretokens(texts, added_contents=None):
    """Counter of pre-token strings over `texts`, added tokens cut out first, NFC per segment."""
    splitter = _AddedSplitter(added_contents if added_contents is not None
                              else [t for t, _ in QWEN3_ADDED_TOKENS])
    counts = collections.Counter()
    for text in texts:
        for segment, is_added in splitter.split(_sanitize(text)):
            if is_added:
                continue
            segment = unicodedata.normalize("NFC", segment)
            for chunk in _safe_chunks(segment):
                counts.update(_PRETOKENIZER.findall(chunk))
    return counts


def _format_eta(seconds):
    seconds = int(seconds)
    return f"{seconds // 60}m{seconds % 60:02d}s"


def train(texts, vocab_size, min_frequency=2, added_tokens=None, model_max_length=32768, progress=None):
    """Trains a byte-level BPE on `texts` (an iterable of str) so that the tokenizer has
    `vocab_size` ids in all: 256 bytes + merges + the added tokens (Qwen3's by default, given as
    (content, special) pairs). Stops early when no pair occurs `min_frequency` times.
    `progress` (a file, e.g. sys.stderr) receives merges/s and ETA lines."""
    added_tokens = list(QWEN3_ADDED_TOKENS if added_tokens is None else added_tokens)
    n_bpe = vocab_size - len(added_tokens)
    if n_bpe < 256:
        raise ValueError(f"vocab_size {vocab_size}: needs at least 256 byte tokens + {len(added_tokens)} added")
    t0 = time.monotonic()
    counts = count_pretokens(texts, [t for t, _ in added_tokens])
    if progress:
        print(f"bpe: {sum(counts.values())} pre-tokens, {len(counts)} distinct, counted in "
              f"{time.monotonic() - t0:.1f}s", file=progress, flush=True)

    # Vocabulary: token bytes by id, ids 0..255 the bytes in GPT-2's order.
    id_bytes = [bytes([b]) for b in _BYTE_ORDER]
    byte_id = {b: i for i, b in enumerate(_BYTE_ORDER)}
    bytes_id = {tb: i for i, tb in enumerate(id_bytes)}

    words = []
    freqs = []
    for piece, n in counts.items():
        words.append([byte_id[b] for b in piece.encode("utf-8")])
        freqs.append(n)
    del counts

    pair_count = collections.defaultdict(int)
    where = collections.defaultdict(set)
    for wi, w in enumerate(words):
        f = freqs[wi]
        for p in zip(w, w[1:]):
            pair_count[p] += f
            where[p].add(wi)
    heap = [(-c, p) for p, c in pair_count.items()]
    heapq.heapify(heap)

    merges = []
    t1 = time.monotonic()
    last_report, last_merges = t1, 0
    n_target = n_bpe - 256
    while len(id_bytes) < n_bpe and heap:
        neg, pair = heapq.heappop(heap)
        current = pair_count.get(pair, 0)
        if current != -neg:
            if current > 0:
                heapq.heappush(heap, (-current, pair))
            continue
        if current < min_frequency:
            break
        a, b = pair
        merged = id_bytes[a] + id_bytes[b]
        c = bytes_id.get(merged)
        if c is None:
            c = len(id_bytes)
            id_bytes.append(merged)
            bytes_id[merged] = c
        merges.append(pair)

        grown = set()
        for wi in where.pop(pair, ()):
            w = words[wi]
            n = len(w)
            i = 0
            out = None
            while i < n:
                if i + 1 < n and w[i] == a and w[i + 1] == b:
                    if out is None:
                        out = w[:i]
                    f = freqs[wi]
                    # Neighbours: the left one is out's last (maybe a `c` just made), the right
                    # one the symbol after the pair in the old word.
                    if out:
                        x = out[-1]
                        pair_count[(x, a)] -= f
                        pair_count[(x, c)] += f
                        where[(x, c)].add(wi)
                        grown.add((x, c))
                    if i + 2 < n:
                        y = w[i + 2]
                        pair_count[(b, y)] -= f
                        pair_count[(c, y)] += f
                        where[(c, y)].add(wi)
                        grown.add((c, y))
                    out.append(c)
                    i += 2
                else:
                    if out is not None:
                        out.append(w[i])
                    i += 1
            if out is not None:
                words[wi] = out
        pair_count.pop(pair, None)
        for p in grown:
            cnt = pair_count.get(p, 0)
            if cnt > 0:
                heapq.heappush(heap, (-cnt, p))
            elif p in pair_count:
                del pair_count[p]

        if progress and len(merges) % 100 == 0:
            now = time.monotonic()
            if now - last_report >= 1.0:
                # The rate since the last line: early merges touch the most words and are the
                # slowest, so the ETA errs long.
                rate = (len(merges) - last_merges) / (now - last_report)
                last_report, last_merges = now, len(merges)
                left = n_target - len(merges)
                print(f"bpe: {len(merges)}/{n_target} merges, {rate:.0f} merges/s, ETA {_format_eta(left / rate)}",
                      file=progress, flush=True)

    if progress:
        dt = time.monotonic() - t1
        print(f"bpe: {len(merges)} merges in {dt:.1f}s ({len(merges) / max(dt, 1e-9):.0f} merges/s), "
              f"{len(id_bytes)} BPE tokens + {len(added_tokens)} added; total {time.monotonic() - t0:.1f}s",
              file=progress, flush=True)

    vocab = {_to_chars(tb): i for i, tb in enumerate(id_bytes)}
    merge_strs = [(_to_chars(id_bytes[a]), _to_chars(id_bytes[b])) for a, b in merges]
    n = len(id_bytes)
    added = [(content, n + k, special) for k, (content, special) in enumerate(added_tokens)]
    return Tokenizer(vocab, merge_strs, added, model_max_length=model_max_length)


# --- command line ---------------------------------------------------------------------------------


def _cmd_train(args):
    with open(args.corpus, "rb") as f:
        text = f.read().decode("utf-8", "replace")
    tok = train([text], args.vocab_size, min_frequency=args.min_frequency,
                model_max_length=args.model_max_length, progress=sys.stderr)
    tok.save(args.out)
    print(f"bpe: wrote {args.out}/tokenizer.json ({tok.n_vocab} ids)", file=sys.stderr)


def _cmd_encode(args):
    tok = Tokenizer.load(args.tokenizer)
    text = sys.stdin.buffer.read().decode("utf-8", "replace")
    sys.stdout.write(" ".join(map(str, tok.encode(text))) + "\n")


def _cmd_decode(args):
    tok = Tokenizer.load(args.tokenizer)
    ids = [int(t) for t in sys.stdin.read().split()]
    sys.stdout.buffer.write(tok.decode(ids).encode("utf-8"))


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    t = sub.add_parser("train", help="learn a vocabulary from a UTF-8 text file")
    t.add_argument("--corpus", required=True)
    t.add_argument("--vocab-size", type=int, required=True, help="all ids, the 26 added tokens included")
    t.add_argument("--out", required=True)
    t.add_argument("--min-frequency", type=int, default=2)
    t.add_argument("--model-max-length", type=int, default=32768)
    e = sub.add_parser("encode", help="text on stdin -> ids on stdout")
    e.add_argument("--tokenizer", required=True)
    d = sub.add_parser("decode", help="ids on stdin -> text on stdout")
    d.add_argument("--tokenizer", required=True)
    args = ap.parse_args(argv)
    {"train": _cmd_train, "encode": _cmd_encode, "decode": _cmd_decode}[args.cmd](args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
