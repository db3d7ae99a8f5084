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
`text_only_specials`. It covers special tokens only: a loaded file whose end-of-document token is
an ordinary token (added with `"special": false`, or only a vocabulary entry) encodes that text
in a document as the separator id, so `literal_becomes_token` refuses such a file at load.

A loaded tokenizer.json may carry its own truncation and padding (GPT-2 copies ship
`truncation.max_length`) and BPE dropout (`model.dropout`, a training-time regulariser that skips
merges at random: two runs with one seed wrote different shards and the mix's counts were not
the tokens written): all are turned off on load, or every document would be cut, padded or
encoded differently each time, silently; `load_tokenizer_noting` says which were on (mix.json /
the manifest record it). Ids may have gaps (8,000 tokens, one of them id 70,000): the token dtype
comes from the largest id (`token_id_limit`), not from the number of tokens. Its
post-processor (a `TemplateProcessing` "<s> $A </s>", Bert/Roberta processing) is not applied
either: documents are encoded without special tokens and the stage appends the end-of-document
id itself. `template_tokens` says what it would have added; the stage warns once (not when its
bos_token adds it) and the manifest records it (`tokenizer.template_not_applied`); tokenize's
`bos_token` puts a BOS id back.

A loaded file is not necessarily byte-level: a BPE with an `[UNK]` token, a Whitespace
pre-tokenizer or NFKC/lowercase normalisers loads and encodes without error, but the token
dataset then holds '[UNK]' for emoji and rare scripts and has lost case and spacing, and nothing
downstream can tell. So a loaded file must round-trip `PROBE_TEXT` (every script and kind of
character a corpus has: case, runs of whitespace, composed and decomposed accents, CJK up to
Extension B, kana, Hangul, RTL scripts, Devanagari, ZWJ emoji, control and compatibility
characters, and the markers tokenizers write for a space or a byte -- SentencePiece's U+2581,
which a Llama-2 or Gemma file's decoder turns into a space), encoded as the stage encodes a
document (no special tokens added, special-token text as plain text; the stage appends the eos
id itself) and decoded without special tokens.
`roundtrip_loss` names the first character that comes back different and why (normaliser,
unknown token, pre-tokenizer); the recipe is refused at load unless `allow_lossy: true`, and
then the manifest records the loss, and the stage counts the ids of its unknown token per
source. A byte-level BPE passes by construction. PROBE_TEXT starts with a letter, so
`PROBE_EDGES` are probed too, each as a whole document: texts that begin or end with a space,
spaces, a tab or newlines (a Mistral-v0.3-style file -- Metaspace pre-tokenizer with
prepend_scheme "first" and a Strip decoder -- round-trips every piece mid-text but gives
' leading space' back as 'leading space' and a code file's four leading spaces as three).

Training can stop short of `vocab_size`: BPE only merges pairs that occur `min_frequency`
times in the sample, so a small or repetitive sample gives a smaller vocabulary (asked 70,000,
got 323) -- a different tokenizer than the recipe says. `vocab_shortfall` says so; the stage
logs it and records requested vs trained in the manifest and its counters.
"""
from __future__ import annotations

import hashlib
import json
import logging
import unicodedata
from pathlib import Path
from typing import Iterable, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator
from tokenizers import Regex, Tokenizer, decoders, models, pre_tokenizers, trainers

from stages.tokenize import tokenizer_file

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
    allow_lossy: bool = Field(default=False, description=(
        "With path: accept a tokenizer that does not give back every text exactly (decode(encode(x)) "
        "!= x: an [UNK] token, a normaliser, a pre-tokenizer that drops whitespace). Default: such a "
        "file is refused at recipe load; with true it is used, with a warning, and the manifest "
        "records what it loses under tokenizer.lossy."))

    @model_validator(mode="after")
    def _eos_is_special(self) -> "TokenizerSpec":
        # At recipe load, not after the upstream work: training would reject it, and an eos that
        # is not a special token would be split into pieces and never mark a document end.
        if self.path is None and self.eos_token not in self.special_tokens:
            raise ValueError(f"eos_token {self.eos_token!r} must be one of special_tokens {self.special_tokens}")
        return self


def check_tokenizer_file(spec: TokenizerSpec) -> None:
    """At recipe load: a local `path` must exist, hold `eos_token` and round-trip text unless
    `allow_lossy` (remote paths are checked when the stage loads them)."""
    if not spec.path or "://" in spec.path:
        return
    problem = tokenizer_file.path_problem(spec.path)
    if problem:
        raise ValueError(f"tokenizer.path: {problem}")
    load_tokenizer_checked(spec.path, spec.eos_token, allow_lossy=spec.allow_lossy)


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
    short = vocab_shortfall(spec, tok)
    if short:
        log.warning("tokenizer: %s", short)
    return text_only_specials(tok)


def vocab_shortfall(spec: TokenizerSpec, tok: Tokenizer) -> str | None:
    """Why a trained vocabulary is smaller than `spec.vocab_size`, or None (see the module doc)."""
    return shortfall_message(spec.vocab_size, tok, spec.min_frequency)


def shortfall_message(requested: int | None, tok: Tokenizer, min_frequency: int | None = None,
                      trained_by: str = "") -> str | None:
    """`vocab_shortfall` from the requested size alone (`min_frequency` None: not known here, e.g.
    a tokenizer a mix stage trained; `trained_by` names that stage)."""
    got = tok.get_vocab_size(with_added_tokens=True)
    if requested is None or got >= requested:
        return None
    freq = f"min_frequency={min_frequency}" if min_frequency is not None else "min_frequency"
    return (f"vocab_size {requested:,} requested, {got:,} trained{trained_by}: the training sample has no more "
            f"pairs that occur at least {freq} times (more or more varied "
            f"text, a larger sample_bytes, or a smaller vocab_size)")


def load_tokenizer(path: str | Path, eos_token: str = EOS_TOKEN) -> Tokenizer:
    return load_tokenizer_noting(path, eos_token)[0]


def load_tokenizer_noting(path: str | Path, eos_token: str = EOS_TOKEN,
                          allow_lossy: bool | None = None) -> tuple[Tokenizer, list[str]]:
    """The tokenizer at `path`, ready to encode documents, and which of its own settings
    ("truncation", "padding") were turned off. Lossy: see `load_tokenizer_checked`."""
    tok, turned_off, _ = load_tokenizer_checked(path, eos_token, allow_lossy)
    return tok, turned_off


def load_tokenizer_checked(path: str | Path, eos_token: str = EOS_TOKEN,
                           allow_lossy: bool | None = None) -> tuple[Tokenizer, list[str], str | None]:
    """(tokenizer, settings turned off, what it loses or None). A file that does not round-trip
    text raises ValueError when `allow_lossy` is False; True or None (the caller checked the
    recipe's allow_lossy at load, e.g. an inherited tokenizer) log a warning and use it. A file
    that is no tokenizer.json (a folder, a Git LFS pointer, a tokenizer_config.json) or lacks
    `eos_token` is a one-line ValueError (tokenizer_file.py). What its post-processor adds is
    not logged here: the stage knows its bos_token and says it once (`template_note`)."""
    from pipeline import storage
    problem = tokenizer_file.path_problem(path)
    if problem:
        raise ValueError(f"cannot load tokenizer: {problem}")
    try:
        data = storage.read_bytes(path)
    except Exception as e:
        raise ValueError(f"cannot load tokenizer {path}: {e}") from e
    try:
        tok = Tokenizer.from_str(data.decode("utf-8"))
    except Exception as e:  # tokenizers raises a bare Exception on a bad file
        raise ValueError(f"cannot load tokenizer {path}: {tokenizer_file.content_problem(path, data) or e}") from e
    if tok.token_to_id(eos_token) is None:
        raise ValueError(tokenizer_file.missing_eos(tok, path, eos_token))
    turned_off = whole_documents(tok)
    if turned_off:
        log.warning("tokenizer %s: turned off its %s (documents are encoded whole, the same way every time)",
                    path, " and ".join(turned_off))
    text_only_specials(tok)
    literal = literal_becomes_token(tok, eos_token, "end-of-document token")
    if literal:
        raise ValueError(f"tokenizer {path}: {literal}")
    loss = roundtrip_loss(tok)
    if loss:
        if allow_lossy is False:
            raise ValueError(f"tokenizer {path} does not give text back exactly (decode(encode(x)) != x), "
                             f"so the token dataset would lose text: {loss}. Use a byte-level BPE, or set "
                             f"tokenizer.allow_lossy: true to accept the loss")
        log.warning("tokenizer %s is lossy, used anyway (allow_lossy): %s", path, loss)
    return tok, turned_off, loss


def literal_becomes_token(tok: Tokenizer, token: str, role: str) -> str | None:
    """None when a document containing the text `token` is encoded as text (a special token:
    `text_only_specials`); else, in one line, why not and how to fix the file. A token added with
    `"special": false` (`Tokenizer.add_tokens`), or only in the model's vocabulary, is matched in
    a document's text: each literal occurrence becomes one more `role` id (for the end-of-document
    token: a fake document boundary)."""
    tid = tok.token_to_id(token)
    if tid is None:
        return None
    text_only_specials(tok)
    ids = tok.encode(f"a{token}b {token}\n{token}", add_special_tokens=False).ids
    if tid not in ids:
        return None
    added = {t.content: t.special for t in tok.get_added_tokens_decoder().values()}
    extra = (f"so a document containing the text {token!r} would get extra {token!r} ids"
             + (" (fake document boundaries)" if role.startswith("end") else ""))
    if added.get(token):    # special, yet the model itself matches the text (a Unigram vocabulary entry)
        model = json.loads(tok.to_str()).get("model") or {}
        return (f"its {role} {token!r} is special, but its model ({model.get('type')}) also matches that text "
                f"as the token (a scored vocabulary entry), {extra}; give the entry a very low score in the "
                f"file's model.vocab (e.g. -1e9), or use another token")
    how = ("was added as a non-special token (\"special\": false in its added_tokens entry)" if token in added
           else "is not one of its special tokens (only a vocabulary entry)")
    return (f"its {role} {token!r} {how}, {extra}; mark it special in the file: \"special\": true in its "
            f"added_tokens entry (or tok.add_special_tokens([{token!r}]) and save)")


def template_tokens(tok: Tokenizer) -> dict | None:
    """What the file's post-processor adds around a text when special tokens are added
    (encode(x) = <s> x </s>), which the stage does not apply (it encodes without special tokens
    and appends the end-of-document id): {"post_processor", "before", "after"} or None."""
    if tok.post_processor is None:
        return None
    tok = Tokenizer.from_str(tok.to_str())
    whole_documents(tok)
    plain = tok.encode("a", add_special_tokens=False).ids
    full = tok.encode("a", add_special_tokens=True).ids
    if full == plain:
        return None
    k = next((k for k in range(len(full) - len(plain) + 1) if full[k:k + len(plain)] == plain), None)
    if k is None:   # not a wrapper around the text: show all of it as "before"
        k, plain = len(full), []
    name = lambda ids: [tok.id_to_token(i) for i in ids]  # noqa: E731
    return {"post_processor": _kinds(json.loads(tok.to_str()).get("post_processor")),
            "before": name(full[:k]), "after": name(full[k + len(plain):])}


def template_note(template: dict, eos_token: str | None = None, bos_token: str | None = None) -> str | None:
    """One line on what a post-processor adds that the token dataset does not have (None when the
    stage adds it anyway: `bos_token` for what comes before, `eos_token` for what comes after)."""
    before, after = list(template["before"]), list(template["after"])
    if bos_token is not None and before[:1] == [bos_token]:
        before = before[1:]
    if eos_token is not None and after[-1:] == [eos_token]:
        after = after[:-1]
    if not before and not after:
        return None
    adds = " and ".join(p for p in (before and f"{' '.join(before)} before", after and f"{' '.join(after)} after") if p)
    return (f"its post-processor ({template['post_processor']}) adds {adds} each text, which the token dataset "
            f"does not have: documents are encoded without special tokens, each ends in the end-of-document "
            f"token only" + (f" (tokenize's bos_token: {before[0]!r} starts each document with it)"
                             if len(before) == 1 else ""))


def whole_documents(tok: Tokenizer) -> list[str]:
    """Turn off truncation, padding and BPE dropout: a document must become all of its tokens, no
    more, and the same tokens every time (dropout skips merges at random: two runs with one seed
    wrote different shards, and the mix's counts were not the tokens written). Returns which were on."""
    dropout = getattr(tok.model, "dropout", None)   # BPE only
    turned_off = [name for name, on in (("truncation", tok.truncation), ("padding", tok.padding),
                                        ("dropout", dropout)) if on]
    tok.no_truncation()
    tok.no_padding()
    if dropout is not None:
        tok.model.dropout = None
    return turned_off


def token_id_limit(tok: Tokenizer) -> int:
    """1 + the largest id the tokenizer can give (its vocabulary and added tokens): what the
    token dtype and an embedding table must hold. Not `get_vocab_size`, which counts entries: a
    file whose ids have gaps (8,000 entries, one of them id 70,000) gives ids beyond it."""
    return 1 + max(tok.get_vocab(with_added_tokens=True).values(), default=-1)


def token_dtype(tok: Tokenizer) -> str:
    return "uint16" if token_id_limit(tok) <= 1 << 16 else "uint32"


def id_gap_note(tok: Tokenizer) -> str | None:
    """One line when the ids have gaps (the largest id is beyond the number of tokens), else None."""
    n, limit = tok.get_vocab_size(with_added_tokens=True), token_id_limit(tok)
    if limit <= n:
        return None
    return (f"its {n:,} tokens have ids up to {limit - 1:,} (ids with gaps): ids are stored as {token_dtype(tok)} and "
            f"a model needs an embedding table of {limit:,} rows (the manifest's tokenizer.max_id + 1), not "
            f"vocab_size")


def unknown_token(tok: Tokenizer) -> tuple[str, int] | None:
    """(token, id) of the model's unknown token, which stands for text it cannot represent; None
    when it has none (a byte-level BPE)."""
    unk = _unk_token(json.loads(tok.to_str()).get("model") or {})
    i = tok.token_to_id(unk) if unk is not None else None
    return None if i is None else (unk, i)


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


def bos_id(tok: Tokenizer, bos_token: str, eos_token: str) -> int:
    """The id tokenize's `bos_token` puts before every document: a special token of `tok` (its
    text in a document stays text) other than the end-of-document token."""
    if bos_token == eos_token:
        raise ValueError(f"bos_token {bos_token!r} is the end-of-document token: every document already "
                         f"ends with it, and a second one would count as another document")
    i = tok.token_to_id(bos_token)
    if i is None:
        raise ValueError(f"bos_token {bos_token!r} is not a token of the tokenizer (give one of its special "
                         f"tokens, e.g. the one its post-processor puts first)")
    literal = literal_becomes_token(tok, bos_token, "bos_token")
    if literal:
        raise ValueError(literal)
    return i


def check_bos_token(spec: TokenizerSpec, bos_token: str) -> None:
    """At recipe load: tokenize's `bos_token` is a special token of the tokenizer `spec` trains
    (one of its special_tokens) or loads (a local file; a remote one is checked when loaded)."""
    if spec.path is None:
        if bos_token not in spec.special_tokens or bos_token == spec.eos_token:
            raise ValueError(f"bos_token {bos_token!r} must be one of the trained tokenizer's special_tokens "
                             f"{spec.special_tokens} other than its eos_token {spec.eos_token!r}")
        return
    if "://" in spec.path or not Path(spec.path).is_file():
        return
    from pipeline import storage
    try:
        tok = text_only_specials(Tokenizer.from_str(storage.read_text(spec.path)))
    except Exception:   # the file's own check (check_tokenizer_file) says what is wrong with it
        return
    try:
        bos_id(tok, bos_token, spec.eos_token)
    except ValueError as e:
        raise ValueError(f"tokenizer {spec.path}: {e}") from None


# -- does a tokenizer give text back? ------------------------------------------------------------
# (label, text): every kind of character a web/multilingual corpus has, each a piece of its own
# so a loss is named by what it hits. Starts with a letter (a pre-tokenizer's add_prefix_space
# shows), mixes case, runs of spaces/tabs/newlines, composed and decomposed (NFD) accents and
# NFKC-sensitive compatibility characters (a normaliser shows), code points beyond the BMP (CJK
# Extension B, emoji: an [UNK] or missing byte symbols show), ZWJ/variation-selector sequences,
# RTL scripts, combining vowel signs, C0/C1 controls, zero-width and bidi-neutral formatting
# characters. No special-token text: that is plain text by design (see text_only_specials).
PROBE_PIECES: tuple[tuple[str, str], ...] = (
    ("ASCII", "The Quick Brown Fox JUMPS over 13 lazy dogs: a[1] + {b: 'c'} <d> | e_f ~`g` \"h\" @#$%^&*!?\\/"),
    ("runs of spaces", "two  spaces,   three,    four; trailing   "),
    ("tabs and newlines", "tab\tand\t\ttwo\nline\n\n\nthree blank\r\nCRLF\rCR\n    indented"),
    ("Latin with diacritics", "Crème brûlée, naïve façade, Ångström, Dvořák, Łódź, Straße, İstanbul, Ærø"),
    ("decomposed Latin (NFD)", "Cre\u0300me bru\u0302le\u0301e, A\u030angstro\u0308m, n\u0303"),
    ("CJK", "汉字與漢字，中文分词。"),
    ("CJK Extension B", "𠀀𠮷𪚥"),
    ("Japanese kana", "ひらがなとカタカナ、ラーメン。ｶﾀｶﾅ"),
    ("Hangul", "한국어 텍스트, 훈민정음"),
    ("Arabic", "العربية: كَتَبَ الطالبُ ١٢٣"),
    ("Hebrew", "עברית: שָׁלוֹם"),
    ("Devanagari", "हिन्दी देवनागरी, क़िला"),
    ("emoji", "😀 👍🏽 👨\u200d👩\u200d👧\u200d👦 🏳\ufe0f\u200d🌈 ❤\ufe0f 1\ufe0f\u20e3"),
    ("compatibility characters", "ﬁ x² Ａ ① ㎏ … ½"),
    ("control characters", "a\x00b\x01\x07\x1b[0m\x7f\x85\xa0\u200b\u200c\u200e\u2028\u2029\ufeff\ufffd\x0b\x0cz"),
    # The characters and strings tokenizers use as markers, in text: SentencePiece's space
    # U+2581 (a Replace/Metaspace decoder turns it into a space), byte-level symbols for space and
    # newline, a byte-fallback token's name, WordPiece's continuation prefix, an end-of-word suffix.
    ("tokenizer marker characters", "x\u2581y \u2581\u2581 a\u0120b \u010a <0x41> ##c d</w>"),
)
PROBE_TEXT = "\n".join(text for _, text in PROBE_PIECES)
# (label, document): whitespace where a document begins or ends, each probed as a whole document
# (PROBE_TEXT starts with a letter and its whitespace is mid-text, where a tokenizer that adds a
# space in front and strips it again after decoding loses nothing: see the module doc).
PROBE_EDGES: tuple[tuple[str, str], ...] = (
    ("leading space", " leading space"),
    ("leading spaces", "    indented code\n    return x"),
    ("leading tab", "\tleading tab"),
    ("leading newlines", "\n\nleading newlines"),
    ("trailing space", "trailing space "),
    ("trailing newline", "trailing newline\n"),
    ("whitespace only", " \t\n "),
)


def roundtrip(tok: Tokenizer, text: str, skip_special_tokens: bool = True) -> str:
    """`text` encoded as the stage encodes a document (no special tokens added, so a
    post-processor's BOS/EOS template stays off; special-token text is plain text) and decoded."""
    text_only_specials(tok)
    return tok.decode(tok.encode(text, add_special_tokens=False).ids, skip_special_tokens=skip_special_tokens)


def roundtrip_loss(tok: Tokenizer) -> str | None:
    """None when `PROBE_TEXT` comes back exactly; else, in one line, the first character that
    comes back different in each kind of probe text and why (one per cause)."""
    tok = Tokenizer.from_str(tok.to_str())   # a copy as the stage encodes: whole, specials as text
    whole_documents(tok)
    whole_ok = roundtrip(tok, PROBE_TEXT) == PROBE_TEXT
    if whole_ok and all(roundtrip(tok, doc) == doc for _, doc in PROBE_EDGES):
        return None
    found: dict[str, list[str]] = {}   # cause -> [first finding, labels of the other pieces it hits]
    for label, piece in PROBE_PIECES:
        got = roundtrip(tok, piece)
        if got != piece:
            what, cause = _first_difference(tok, piece, got, label)
            found.setdefault(cause, [what]).append(label)
    for label, doc in PROBE_EDGES:
        got = roundtrip(tok, doc)
        if got != doc:
            what, cause = _edge_difference(tok, doc, got, label)
            found.setdefault(cause, [what]).append(label)
    if not found and not whole_ok:     # only the pieces together differ (e.g. at the joins)
        what, cause = _first_difference(tok, PROBE_TEXT, roundtrip(tok, PROBE_TEXT), "probe")
        found[cause] = [what, "probe"]
    return "; ".join(f"{what}: {cause}" + (f" (also {', '.join(labels[1:])})" if labels[1:] else "")
                     for cause, (what, *labels) in found.items())


def _first_difference(tok: Tokenizer, text: str, got: str, label: str) -> tuple[str, str]:
    """(what became of the first differing character, the likely cause)."""
    i = 0
    while i < min(len(text), len(got)) and text[i] == got[i]:
        i += 1
    if i == len(text):
        return f"{label}: {_show(got[i:i + 12])} is added at the end", "its decoder adds text"
    j = i + 1       # the character with what combines with it (accents, ZWJ, variation selectors)
    while j < len(text) and (unicodedata.combining(text[j]) or text[j] in "\u200d\ufe0e\ufe0f\u20e3"
                             or unicodedata.category(text[j]) == "Mn" or text[i:j].endswith("\u200d")):
        j += 1
    c = text[i:j]
    alone = roundtrip(tok, c, skip_special_tokens=False)
    if alone == c:  # fine alone: show (and diagnose) it in its context
        c = text[max(0, i - 4):i + 8]
        alone = roundtrip(tok, c, skip_special_tokens=False)
        return f"{_show(c)} ({label}) decodes as {_show(got[max(0, i - 4):i + 8])}", _cause(tok, c, alone)
    return f"{_show(c)} ({label}) decodes as {_show(alone)}", _cause(tok, c, alone)


def _edge_difference(tok: Tokenizer, doc: str, got: str, label: str) -> tuple[str, str]:
    """Like `_first_difference`, for a document that begins or ends with whitespace: the whole
    document is shown (where the loss is, is the point), and a decoder that strips the first
    character is named as the cause of a lost leading space."""
    what = f"{_show(doc)} ({label}) decodes as {_show(got)}"
    conf = json.loads(tok.to_str())
    strips = [d for d in _flat(conf.get("decoder")) if d.get("type") == "Strip" and d.get("start") or
              d.get("type") == "Metaspace" and (d.get("prepend_scheme") in ("always", "first")
                                                or d.get("add_prefix_space"))]
    if strips and doc.startswith(" ") and roundtrip(tok, " x") == "x":
        put = ("pre-tokenizer", conf.get("pre_tokenizer")) if conf.get("pre_tokenizer") else (
            "normalizer", conf.get("normalizer"))
        return what, (f"its decoder ({_kinds(conf.get('decoder'))}) strips a leading space, which its "
                      f"{put[0]} ({_kinds(put[1])}) does not add to a text that already starts with one, so "
                      f"the text's own space is lost")
    return what, _first_difference(tok, doc, got, label)[1]


def _flat(part: dict | None) -> list[dict]:
    """A normalizer/pre-tokenizer/decoder config as its list of parts (Sequences flattened)."""
    if not part:
        return []
    inner = part.get("normalizers") or part.get("pretokenizers") or part.get("decoders")
    return [q for p in inner for q in _flat(p)] if inner else [part]


def _unk_token(model: dict) -> str | None:
    """The model's unknown token: BPE, WordPiece and WordLevel name it (`unk_token`), Unigram
    gives its index in the vocabulary (`unk_id`)."""
    if model.get("unk_token"):
        return model["unk_token"]
    uid, vocab = model.get("unk_id"), model.get("vocab")
    if uid is not None and isinstance(vocab, list) and 0 <= uid < len(vocab):
        entry = vocab[uid]
        return entry[0] if isinstance(entry, (list, tuple)) else None
    return None


def _cause(tok: Tokenizer, c: str, alone: str) -> str:
    conf = json.loads(tok.to_str())
    unk = _unk_token(conf.get("model") or {})
    enc = tok.encode(c, add_special_tokens=False)
    normalized = tok.normalizer.normalize_str(c) if tok.normalizer is not None else c
    if unk and (unk in enc.tokens or tok.token_to_id(unk) in enc.ids):  # Unigram shows the text, not unk
        return f"not in its vocabulary (unknown token {unk!r}, no byte fallback)"
    marker = next((m for m in _decoder_markers(conf.get("decoder")) if m in c), None)
    if marker is not None and alone != c:
        return (f"its decoder ({_kinds(conf.get('decoder'))}) turns {_show(marker)} into text of its own (the "
                f"marker it writes for a space), so the character in a text does not come back")
    if alone == c:  # only decoding without special tokens loses it
        return "it is encoded as special tokens, which decoding (skip_special_tokens) drops"
    if normalized != c and alone == normalized:
        return f"its normalizer ({_kinds(conf.get('normalizer'))})"
    if alone == " " + c:
        return f"a space is put in front (add_prefix_space; pre-tokenizer {_kinds(conf.get('pre_tokenizer'))})"
    if tok.pre_tokenizer is not None and sum(
            b - a for _, (a, b) in tok.pre_tokenizer.pre_tokenize_str(normalized)) < len(normalized):
        return f"its pre-tokenizer drops it ({_kinds(conf.get('pre_tokenizer'))})"
    if not enc.ids:
        return "no token for it in the vocabulary (dropped)"
    if normalized != c:
        return f"its normalizer ({_kinds(conf.get('normalizer'))})"
    return f"its decoder ({_kinds(conf.get('decoder'))})"


def _decoder_markers(decoder: dict | None) -> list[str]:
    """What a decoder replaces: a Replace's pattern string, a Metaspace's replacement character."""
    out = []
    for d in _flat(decoder):
        if d.get("type") == "Replace" and isinstance(d.get("pattern"), dict) and d["pattern"].get("String"):
            out.append(d["pattern"]["String"])
        elif d.get("type") == "Metaspace" and d.get("replacement"):
            out.append(d["replacement"])
    return out


def _kinds(part: dict | None) -> str:
    """'NFKC, Lowercase' for a normalizer/pre-tokenizer/decoder config (Sequences flattened)."""
    if not part:
        return "none"
    inner = part.get("normalizers") or part.get("pretokenizers") or part.get("decoders")
    return ", ".join(_kinds(p) for p in inner) if inner else str(part.get("type"))


def _show(s: str) -> str:
    """A quoted string whose invisible characters (controls, whitespace other than a space,
    combining marks, format characters) are escaped: one readable line."""
    out = []
    for ch in s:
        cat = unicodedata.category(ch)
        if ch == "'" or ch == "\\":
            out.append("\\" + ch)
        elif ch in "\t\n\r":
            out.append(repr(ch)[1:-1])
        elif ch != " " and (cat[0] in "CZ" or cat in ("Mn", "Me")):
            cp = ord(ch)
            out.append(f"\\x{cp:02x}" if cp < 0x100 else f"\\u{cp:04x}" if cp < 0x10000 else f"\\U{cp:08x}")
        else:
            out.append(ch)
    return "'" + "".join(out) + "'"
