"""Why a `tokenizer.path` is not a usable tokenizer.json, in one line, for the common mistakes.

`Tokenizer.from_str` answers every wrong file with a serde message ("expected value at line 1
column 1", "missing field `model`"), which names neither the file's kind nor the fix. The
mistakes seen: the model folder instead of its tokenizer.json, a Git LFS pointer (a model
repository cloned without git-lfs), the transformers `tokenizer_config.json` that sits beside
the tokenizer.json, a SentencePiece `tokenizer.model` (binary), and an eos_token the file does
not have (often a file with no special tokens at all).
"""
from __future__ import annotations

import json
import re
from pathlib import Path

# Keys of a transformers tokenizer_config.json (none of them is a key of a tokenizer.json).
CONFIG_KEYS = frozenset({"tokenizer_class", "model_max_length", "added_tokens_decoder", "chat_template",
                         "bos_token", "eos_token", "unk_token", "pad_token", "clean_up_tokenization_spaces"})
SPECIALS_SHOWN = 12     # special tokens listed in an error; a file may have hundreds (reserved ids)


def path_problem(path: str | Path) -> str | None:
    """A local `path` that is missing or a directory: why, in one line; None otherwise (a remote
    path is seen when read)."""
    if "://" in str(path):
        return None
    p = Path(path)
    if p.is_dir():
        inside = p / "tokenizer.json"
        return (f"{str(path)!r} is a directory, not a tokenizer.json file"
                + (f": give the file it holds, {str(inside)!r}" if inside.is_file() else
                   " (and holds no tokenizer.json)"))
    if not p.is_file():
        return f"file not found: {str(path)!r}"
    return None


def content_problem(path: str | Path, data: bytes) -> str | None:
    """What the file at `path` (its bytes `data`, which do not load as a tokenizer.json) is
    instead, when it is a known wrong kind; None when it is not recognised."""
    from pipeline.readers import LFS_POINTER     # the readers' own test for a pointer file
    if data.startswith(LFS_POINTER):
        size = re.search(rb"\nsize (\d+)", data[:1024])
        return (f"a Git LFS pointer, not the tokenizer.json{f' of {int(size.group(1)):,} bytes' if size else ''}: "
                f"run `git lfs pull` in its repository (or download the file itself)")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return ("not a text file (a SentencePiece tokenizer.model or another binary file?): give a "
                "Hugging Face tokenizer.json (transformers' AutoTokenizer ... save_pretrained writes one)")
    try:
        conf = json.loads(text)
    except ValueError:
        return None
    if isinstance(conf, dict) and "model" not in conf and CONFIG_KEYS & conf.keys():
        beside = Path(path).parent / "tokenizer.json" if "://" not in str(path) else None
        return ("a tokenizer_config.json (transformers' settings for a tokenizer), not a tokenizer.json"
                + (f": give {str(beside)!r} beside it" if beside is not None and beside.is_file() else
                   ": give the tokenizer.json saved beside it"))
    return None


def special_tokens(tok) -> list[str]:
    """The file's special tokens, by id."""
    return [t.content for _, t in sorted(tok.get_added_tokens_decoder().items()) if t.special]


def missing_eos(tok, path, eos_token: str) -> str:
    """One line: `tok` has no `eos_token`, and which special tokens it has instead (none: say so)."""
    specials = special_tokens(tok)
    if not specials:
        return (f"tokenizer {path} has no end-of-document token {eos_token!r}: it has no special tokens at all "
                f"(add one as a special token, e.g. tok.add_special_tokens([{eos_token!r}]), and save)")
    shown = ", ".join(map(repr, specials[:SPECIALS_SHOWN])) + (
        f", ... ({len(specials):,} in all)" if len(specials) > SPECIALS_SHOWN else "")
    return (f"tokenizer {path} has no end-of-document token {eos_token!r} (set tokenizer.eos_token to one of "
            f"its special tokens: {shown})")
