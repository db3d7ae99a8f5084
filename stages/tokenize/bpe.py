"""Byte-level BPE tokenizers: build, train on a text sample, load, save, hash.

Byte-level means every string round-trips exactly: no normalizer, the ByteLevel pre-tokenizer
maps raw UTF-8 bytes to symbols and the ByteLevel decoder maps them back.

CJK: the default ByteLevel regex treats a run of letters as one pre-token, and Chinese or
Japanese has no spaces, so a whole clause (often 10-40 characters) becomes one "word". BPE then
spends merges on frequent phrases and rarely-seen long runs get poor statistics. The `cjk`
pre-tokenizer first cuts Han/kana runs into pieces of at most `cjk_max_chars` characters (a
Split before ByteLevel, serialised in tokenizer.json so any HF-tokenizers user gets the same
ids). `bench/fertility.py` measures the effect: tokens per 1,000 characters per language.
Measured (16k vocab, zh+en training text): fixed-length cuts *raise* Chinese fertility
(k=1 +33%, k=2 +12%, k=4 +6.5% on held-out CLUECorpus), Japanese improves ~1% (k>=2) and other
languages are unchanged. Cuts at fixed lengths fall inside words, so the default stays the
plain ByteLevel regex; "cjk" remains an option (bounded pre-token length, fewer phrase tokens).

Special tokens in document text are plain text: a document that contains the characters
`<|endoftext|>` (or any other special token) is encoded as those characters, never as the
special id, so the only end-of-document id in the token stream is the one the pipeline appends
(one per document). `Tokenizer.encode_special_tokens` does this; it is not saved in
tokenizer.json, so every tokenizer the pipeline builds, loads or rebuilds from JSON goes through
`text_only_specials`.

A loaded tokenizer.json may carry its own truncation and padding (GPT-2 copies ship
`truncation.max_length`): both are turned off on load, or every document would be cut or padded
silently; `load_tokenizer_noting` says which were on (mix.json / the manifest record it).
"""
from __future__ import annotations

import hashlib
import json
import logging
from pathlib import Path
from typing import Iterable, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator
from tokenizers import Regex, Tokenizer, decoders, models, pre_tokenizers, trainers

EOS_TOKEN = "<|endoftext|>"
# Han ideographs (incl. extension A and compatibility), hiragana, katakana and the long-vowel mark.
CJK_CLASS = r"\p{Han}\p{Hiragana}\p{Katakana}ー々〆"

log = logging.getLogger("pipeline")


class TokenizerSpec(BaseModel):
    """How to get the tokenizer: load `path`, or train a byte-level BPE with these settings."""
    model_config = ConfigDict(extra="forbid", frozen=True)

    path: str | None = Field(default=None, description=(
        "An existing tokenizer.json to load (local path or URL); None = train one with the options "
        "below, which a loaded file leaves unused."))
    vocab_size: int = Field(default=32000, ge=300, le=1 << 22, description=(
        "Training: vocabulary size, the 256 byte symbols and the special tokens included."))
    special_tokens: list[str] = Field(default=[EOS_TOKEN], description=(
        "Training: added first, so they get the lowest ids; in a document's text they stay plain text."))
    eos_token: str = Field(default=EOS_TOKEN, description=(
        "Ends every document in the token stream; must be one of special_tokens (with path: a token "
        "of the loaded file)."))
    pretokenizer: Literal["cjk", "bytelevel"] = Field(default="bytelevel", description=(
        "Training: bytelevel = the GPT-2 byte-level split; cjk = first cut Han/kana runs into pieces "
        "of at most cjk_max_chars characters."))
    cjk_max_chars: int = Field(default=2, ge=1, le=64, description=(
        "pretokenizer=cjk: longest Han/kana pre-token, in characters."))
    min_frequency: int = Field(default=2, ge=1, description=(
        "Training: a pair of symbols must occur at least this often in the sample to be merged."))
    sample_bytes: int = Field(default=64 << 20, gt=0, description=(
        "Training: about this many bytes of text to train on, documents drawn from the input in seeded "
        "random order (under mix, split by the sources' shares)."))

    @model_validator(mode="after")
    def _eos_is_special(self) -> "TokenizerSpec":
        # At recipe load, not after the upstream work: training would reject it, and an eos that
        # is not a special token would be split into pieces and never mark a document end.
        if self.path is None and self.eos_token not in self.special_tokens:
            raise ValueError(f"eos_token {self.eos_token!r} must be one of special_tokens {self.special_tokens}")
        return self


def check_tokenizer_file(spec: TokenizerSpec) -> None:
    """At recipe load: a local `path` must exist and hold `eos_token` (remote paths are checked
    when the stage loads them)."""
    if not spec.path or "://" in spec.path:
        return
    if not Path(spec.path).is_file():
        raise ValueError(f"tokenizer.path: file not found: {spec.path!r}")
    load_tokenizer(spec.path, spec.eos_token)


def text_only_specials(tok: Tokenizer) -> Tokenizer:
    """Special tokens inside a document's text are encoded as plain text (see the module doc)."""
    tok.encode_special_tokens = True
    return tok


def build_pretokenizer(spec: TokenizerSpec) -> pre_tokenizers.PreTokenizer:
    byte_level = pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=True)
    if spec.pretokenizer == "bytelevel":
        return byte_level
    # An optional leading space stays with the CJK piece, as ByteLevel's regex does for words.
    cjk = Regex(f" ?[{CJK_CLASS}]{{1,{spec.cjk_max_chars}}}")
    return pre_tokenizers.Sequence([pre_tokenizers.Split(cjk, behavior="isolated"), byte_level])


def new_tokenizer(spec: TokenizerSpec) -> Tokenizer:
    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = build_pretokenizer(spec)
    tok.decoder = decoders.ByteLevel()
    return tok


def train_tokenizer(spec: TokenizerSpec, texts: Iterable[str], length: int | None = None) -> Tokenizer:
    """Train on `texts` (already sampled and in a fixed order, so training is deterministic)."""
    if spec.eos_token not in spec.special_tokens:
        raise ValueError(f"eos_token {spec.eos_token!r} must be one of special_tokens {spec.special_tokens}")
    tok = new_tokenizer(spec)
    trainer = trainers.BpeTrainer(
        vocab_size=spec.vocab_size, min_frequency=spec.min_frequency,
        special_tokens=list(spec.special_tokens), show_progress=False,
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet())
    tok.train_from_iterator(texts, trainer, length=length)
    return text_only_specials(tok)


def load_tokenizer(path: str | Path, eos_token: str = EOS_TOKEN) -> Tokenizer:
    return load_tokenizer_noting(path, eos_token)[0]


def load_tokenizer_noting(path: str | Path, eos_token: str = EOS_TOKEN) -> tuple[Tokenizer, list[str]]:
    """The tokenizer at `path`, ready to encode documents, and which of its own settings
    ("truncation", "padding") were turned off."""
    try:
        from pipeline import storage
        tok = Tokenizer.from_str(storage.read_text(path))
    except Exception as e:  # tokenizers raises a bare Exception on a bad file
        raise ValueError(f"cannot load tokenizer {path}: {e}") from e
    if tok.token_to_id(eos_token) is None:
        raise ValueError(f"tokenizer {path} has no end-of-document token {eos_token!r} "
                         f"(set tokenizer.eos_token to one of its special tokens)")
    turned_off = whole_documents(tok)
    if turned_off:
        log.warning("tokenizer %s: turned off its %s (documents are encoded whole)", path, " and ".join(turned_off))
    return text_only_specials(tok), turned_off


def whole_documents(tok: Tokenizer) -> list[str]:
    """Turn off truncation and padding: a document must become all of its tokens, no more.
    Returns which were on."""
    turned_off = [name for name, on in (("truncation", tok.truncation), ("padding", tok.padding)) if on]
    tok.no_truncation()
    tok.no_padding()
    return turned_off


def tokenizer_json(tok: Tokenizer) -> str:
    """Canonical serialisation: what is saved and hashed (same tokenizer -> same bytes)."""
    return json.dumps(json.loads(tok.to_str()), sort_keys=True, ensure_ascii=False)


def tokenizer_hash(tok: Tokenizer) -> str:
    return hashlib.sha256(tokenizer_json(tok).encode()).hexdigest()


def eos_id(tok: Tokenizer, eos_token: str = EOS_TOKEN) -> int:
    i = tok.token_to_id(eos_token)
    if i is None:
        raise ValueError(f"tokenizer has no end-of-document token {eos_token!r}")
    return i
